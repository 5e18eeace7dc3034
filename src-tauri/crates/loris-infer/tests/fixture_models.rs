//! The fetched GGUF models produce the text transformers produces for them (greedy, weights
//! dequantized), through the engine. Skipped with a note when the fixtures are absent.

use loris_infer::{
    Engine, EngineOptions, FinishReason, GenerateRequest, LoadOptions, SamplingParams, load_gguf,
};
use loris_models::ChatRequest;
use loris_testkit::fixture_or_skip;
use loris_testkit::fixtures;

fn engine(path: &std::path::Path, options: LoadOptions) -> Engine {
    let loaded = load_gguf(path, &options).unwrap();
    Engine::start(
        loaded,
        EngineOptions {
            threads: Some(1),
            ..Default::default()
        },
    )
    .unwrap()
}

#[test]
fn smollm2_answers_the_capital_of_france() {
    let path = fixture_or_skip!(fixtures::smollm2_gguf());
    let engine = engine(
        &path,
        LoadOptions {
            dequantize: true,
            ..Default::default()
        },
    );
    assert_eq!(engine.info().quantization, "Q4_1");
    let (_, ids) = engine
        .assets()
        .encode_chat(&ChatRequest::single_user("What is the capital of France?"))
        .unwrap();
    let mut streamed = String::new();
    let output = engine
        .submit(GenerateRequest::new(
            ids.clone(),
            32,
            SamplingParams::greedy(),
        ))
        .unwrap()
        .wait(|d| streamed.push_str(&d.content))
        .unwrap();
    assert_eq!(output.text, "The capital of France is Paris.");
    assert_eq!(streamed, output.text);
    assert_eq!(output.finish_reason, FinishReason::Stop);
    // Ended by the end-of-turn token, not a stop string.
    assert_eq!(output.stop_sequence, None);
    assert_eq!(output.usage.prompt_tokens, ids.len());
    assert!(output.timings.time_to_first_token_ms > 0.0);

    // A stop string ends generation before it and is not shown.
    let mut request = GenerateRequest::new(ids.clone(), 32, SamplingParams::greedy());
    request.stop = vec![" is".into()];
    let output = engine.submit(request).unwrap().wait(|_| {}).unwrap();
    assert_eq!(output.text, "The capital of France");
    assert_eq!(output.finish_reason, FinishReason::Stop);
    assert_eq!(output.stop_sequence.as_deref(), Some(" is"));

    // Sampling with a seed repeats itself; max_tokens is honoured.
    let sampled = |seed| {
        let params = SamplingParams {
            temperature: 1.0,
            seed: Some(seed),
            ..Default::default()
        };
        engine
            .submit(GenerateRequest::new(ids.clone(), 8, params))
            .unwrap()
            .wait(|_| {})
            .unwrap()
    };
    let a = sampled(42);
    assert_eq!(a.tokens, sampled(42).tokens);
    assert!(a.usage.completion_tokens <= 8);

    // Cancellation: a cancelled request ends promptly with its reason.
    let handle = engine
        .submit(GenerateRequest::new(ids, 200, SamplingParams::greedy()))
        .unwrap();
    handle.cancel.cancel();
    let output = handle.wait(|_| {}).unwrap();
    assert_eq!(output.finish_reason, FinishReason::Cancelled);
}

#[test]
fn gemma3_continues_the_story() {
    let path = fixture_or_skip!(fixtures::gemma3_gguf());
    let dir = fixture_or_skip!(fixtures::tokenizer_dir("gemma3"));
    let engine = engine(
        &path,
        LoadOptions {
            dequantize: true,
            tokenizer: Some(dir.join("tokenizer.json")),
            ..Default::default()
        },
    );
    let ids = engine
        .assets()
        .encode_text("Once upon a time, there was a little")
        .unwrap();
    let output = engine
        .submit(GenerateRequest::new(ids, 20, SamplingParams::greedy()))
        .unwrap()
        .wait(|_| {})
        .unwrap();
    assert!(
        output.text.starts_with(
            " girl named Lily. She was a very smart girl, and she loved to play with her friends."
        ),
        "{:?}",
        output.text
    );
}

#[test]
fn requests_that_cannot_run_are_refused_with_their_codes() {
    let path = fixture_or_skip!(fixtures::smollm2_gguf());
    let engine = engine(&path, LoadOptions::default());
    assert_eq!(engine.info().context_length, 8192);
    // 135M parameters: small enough to run dequantized by default.
    assert!(loris_infer::prefers_dequantized(&path).unwrap());
    let err = engine
        .submit(GenerateRequest::new(vec![], 8, SamplingParams::greedy()))
        .err()
        .unwrap();
    assert_eq!(err.code(), "invalid_request");
    let err = engine
        .submit(GenerateRequest::new(
            vec![1; 9000],
            8,
            SamplingParams::greedy(),
        ))
        .err()
        .unwrap();
    assert_eq!(err.code(), "context_length_exceeded");
    // Native Q4_1 arithmetic (not dequantized) runs too; its greedy answer may differ.
    let ids = engine
        .assets()
        .encode_chat(&ChatRequest::single_user("Hi"))
        .unwrap()
        .1;
    let output = engine
        .submit(GenerateRequest::new(ids, 4, SamplingParams::greedy()))
        .unwrap()
        .wait(|_| {})
        .unwrap();
    assert!(output.usage.completion_tokens >= 1);
}

/// The second turn of a conversation reuses the first turn's cache and answers exactly as a
/// fresh engine does.
#[test]
fn a_follow_up_turn_reuses_the_cache_and_answers_the_same() {
    use loris_models::chat_template::message;
    let path = fixture_or_skip!(fixtures::smollm2_gguf());
    let options = || LoadOptions {
        dequantize: true,
        ..Default::default()
    };
    let first = ChatRequest::single_user("What is the capital of France?");
    let follow_up = ChatRequest {
        messages: vec![
            message("user", "What is the capital of France?"),
            message("assistant", "The capital of France is Paris."),
            message("user", "And of Germany?"),
        ],
        add_generation_prompt: true,
        ..Default::default()
    };
    let run = |engine: &Engine, request: &ChatRequest| {
        let (_, ids) = engine.assets().encode_chat(request).unwrap();
        engine
            .submit(GenerateRequest::new(ids, 16, SamplingParams::greedy()))
            .unwrap()
            .wait(|_| {})
            .unwrap()
    };

    let warm = engine(&path, options());
    let one = run(&warm, &first);
    assert_eq!(one.usage.cached_tokens, 0);
    let two = run(&warm, &follow_up);
    let (_, first_ids) = warm.assets().encode_chat(&first).unwrap();
    // Everything up to the end of the first prompt (and the reply tokens that match) is reused.
    assert!(
        two.usage.cached_tokens >= first_ids.len(),
        "{} cached of {}",
        two.usage.cached_tokens,
        first_ids.len()
    );

    let fresh = engine(&path, options());
    let reference = run(&fresh, &follow_up);
    assert_eq!(reference.usage.cached_tokens, 0);
    assert_eq!(two.tokens, reference.tokens);
    assert_eq!(two.text, reference.text);
}
