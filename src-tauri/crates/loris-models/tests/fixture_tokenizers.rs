//! The fetched fixture tokenizers and GGUF files: round trips, chat templates, GGUF-built
//! tokenizers. Each test skips with a note when its fixture is absent.

use loris_models::chat_template::message;
use loris_models::{ChatRequest, GgufFile, TextAssets, Tokenizer};
use loris_testkit::fixture_or_skip;
use loris_testkit::fixtures::{self, TOKENIZERS};
use serde_json::json;

const SAMPLES: [&str; 5] = [
    "Hello, world!",
    "  two leading spaces,\ttabs and\n\nblank lines  ",
    "Ünïcödé — 日本語のテキスト 🙂🦎",
    "def f(x):\n    return x ** 2  # 12345",
    "Once upon a time, there was a little",
];

fn round_trips(name: &str, tokenizer: &Tokenizer) {
    for text in SAMPLES {
        let ids = tokenizer.encode(text, false).unwrap();
        assert!(!ids.is_empty());
        let back = tokenizer.decode(&ids, false).unwrap();
        assert_eq!(back, text, "{name}: {ids:?}");
    }
}

#[test]
fn every_fixture_tokenizer_round_trips_and_renders_its_template() {
    for name in TOKENIZERS {
        let dir = fixture_or_skip!(fixtures::tokenizer_dir(name));
        let assets = TextAssets::from_hf_dir(&dir, None).unwrap_or_else(|e| panic!("{name}: {e}"));
        round_trips(name, &assets.tokenizer);
        assert!(!assets.eos_token_ids.is_empty(), "{name} has no EOS");

        let chat = ChatRequest {
            messages: vec![
                message("system", "You are terse."),
                message("user", "What is the capital of France?"),
                message("assistant", "Paris."),
                message("user", "And of Italy?"),
            ],
            add_generation_prompt: true,
            ..Default::default()
        };
        let (text, ids) = assets
            .encode_chat(&chat)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(text.contains("And of Italy?"), "{name}: {text}");
        if let Some(bos) = assets.special.bos_token.as_deref()
            && let Some(bos_id) = assets.tokenizer.token_to_id(bos)
        {
            let count = ids.iter().filter(|&&i| i == bos_id).count();
            assert!(count <= 1, "{name}: {count} BOS tokens in {text:?}");
        }
    }
}

#[test]
fn templates_with_tools_and_thinking_render() {
    let tools = vec![json!({"type": "function", "function": {
        "name": "get_weather", "description": "Weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}})];
    // (The llama3_1 fixture carries the tool-less Llama 3 template.)
    for name in ["qwen3", "qwen2_5", "llama3_2", "mistral_nemo"] {
        let dir = fixture_or_skip!(fixtures::tokenizer_dir(name));
        let assets = TextAssets::from_hf_dir(&dir, None).unwrap();
        let chat = ChatRequest {
            messages: vec![message("user", "Weather in Paris?")],
            tools: Some(tools.clone()),
            add_generation_prompt: true,
            extra: serde_json::from_value(json!({"date_string": "26 Jul 2024"})).unwrap(),
            ..Default::default()
        };
        let text = assets
            .render_chat(&chat)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(text.contains("get_weather"), "{name}: {text}");
        // Python's json.dumps spacing ("key": value), and the schema's key order kept.
        let name_at = text.find(r#""name": "get_weather""#);
        let description_at = text.find(r#""description": "Weather for a city""#);
        assert!(
            name_at.is_some() && name_at < description_at,
            "{name}: {text}"
        );
    }
    let dir = fixture_or_skip!(fixtures::tokenizer_dir("qwen3"));
    let assets = TextAssets::from_hf_dir(&dir, None).unwrap();
    let mut chat = ChatRequest::single_user("hi");
    chat.enable_thinking = Some(false);
    let text = assets.render_chat(&chat).unwrap();
    assert!(
        text.ends_with("<|im_start|>assistant\n<think>\n\n</think>\n\n"),
        "{text:?}"
    );
}

#[test]
fn a_real_template_that_raises_is_a_typed_error() {
    let dir = fixture_or_skip!(fixtures::tokenizer_dir("mistral_nemo"));
    let assets = TextAssets::from_hf_dir(&dir, None).unwrap();
    let chat = ChatRequest {
        messages: vec![message("user", "a"), message("user", "b")],
        add_generation_prompt: true,
        ..Default::default()
    };
    let err = assets.render_chat(&chat).unwrap_err();
    assert_eq!(err.code(), "template_error");
    assert!(err.to_string().contains("alternate"), "{err}");
}

#[test]
fn smollm2_gguf_tokenizer_round_trips_and_has_its_template() {
    let path = fixture_or_skip!(fixtures::smollm2_gguf());
    let gguf = GgufFile::open(&path).unwrap();
    let assets = TextAssets::from_gguf(&gguf, None).unwrap();
    round_trips("smollm2 gguf", &assets.tokenizer);
    let im_end = assets.tokenizer.token_to_id("<|im_end|>").unwrap();
    assert!(assets.eos_token_ids.contains(&im_end));
    let (text, ids) = assets
        .encode_chat(&ChatRequest::single_user("What is the capital of France?"))
        .unwrap();
    assert!(text.starts_with("<|im_start|>system\n"), "{text}");
    assert!(text.ends_with("<|im_start|>assistant\n"), "{text}");
    assert_eq!(
        ids[0],
        assets.tokenizer.token_to_id("<|im_start|>").unwrap()
    );
    // SmolLM2's pre-tokenizer splits digits one by one.
    let digits = assets.tokenizer.encode("12345", false).unwrap();
    assert_eq!(digits.len(), 5, "{digits:?}");
}

#[test]
fn gemma3_gguf_tokenizer_matches_the_tokenizer_json() {
    let path = fixture_or_skip!(fixtures::gemma3_gguf());
    let dir = fixture_or_skip!(fixtures::tokenizer_dir("gemma3"));
    let gguf = GgufFile::open(&path).unwrap();
    let from_gguf = Tokenizer::from_gguf(&gguf).unwrap();
    let from_json = Tokenizer::from_file(&dir.join("tokenizer.json")).unwrap();
    round_trips("gemma3 gguf", &from_gguf);
    for text in SAMPLES
        .iter()
        .chain(&["<start_of_turn>user\nHi<end_of_turn>\n", "a  b   c\n\n\nd"])
    {
        assert_eq!(
            from_gguf.encode(text, true).unwrap(),
            from_json.encode(text, true).unwrap(),
            "{text:?}"
        );
    }
    let assets = TextAssets::from_gguf(&gguf, Some(&dir.join("tokenizer.json"))).unwrap();
    let eot = assets.tokenizer.token_to_id("<end_of_turn>").unwrap();
    assert!(assets.eos_token_ids.contains(&eot) && assets.eos_token_ids.contains(&1));
    // Plain prompts get Gemma's BOS exactly once.
    let ids = assets.encode_text("Once upon a time").unwrap();
    assert_eq!(ids.iter().filter(|&&i| i == 2).count(), 1);
    let (_, ids) = assets.encode_chat(&ChatRequest::single_user("Hi")).unwrap();
    assert_eq!(ids.iter().filter(|&&i| i == 2).count(), 1, "{ids:?}");
}

#[test]
fn fixture_templates_name_their_tool_call_format() {
    use loris_models::ToolCallFormat;
    for (name, want) in [
        ("qwen3", Some(ToolCallFormat::Qwen)),
        ("qwen2_5", Some(ToolCallFormat::Qwen)),
        ("llama3_2", Some(ToolCallFormat::Llama3)),
        ("mistral_nemo", Some(ToolCallFormat::Mistral)),
        ("gemma3", None),
    ] {
        let dir = fixture_or_skip!(fixtures::tokenizer_dir(name));
        let assets = TextAssets::from_hf_dir(&dir, None).unwrap();
        let source = assets.chat_template.as_ref().unwrap().source();
        assert_eq!(ToolCallFormat::detect(source), want, "{name}");
    }
}
