//! The inference estimate of real GGUF files: weights are the file's tensor bytes, the KV cache
//! is worked out by hand from the metadata. Skipped (with a note) when the fixtures have not been
//! fetched (`tests/fixtures/fetch.sh`).

use loris_hardware::estimate::{
    InferenceOptions, ModelKind, SourceKind, estimate_inference, load_model,
};
use loris_hardware::gguf::read_gguf;
use loris_testkit::fixture_or_skip;
use loris_testkit::fixtures::{gemma3_gguf, smollm2_gguf};

#[test]
fn smollm2_weights_are_the_file_and_kv_is_gqa_sized() {
    let path = fixture_or_skip!(smollm2_gguf());
    let file_size = std::fs::metadata(&path).unwrap().len();
    let gguf = read_gguf(&path).unwrap();
    // Header + metadata end at 1,785,664 (aligned to 32); the 272 tensors fill the rest
    // exactly: 98,362,432 − 1,785,664 = 96,576,768 bytes (Q8_0 embedding 30,081,024, Q4_1
    // matrices 66,355,200, F32 norms 140,544 — the same totals an independent reader gives).
    assert_eq!(gguf.tensors.len(), 272);
    assert_eq!(gguf.data_offset, 1_785_664);
    assert_eq!(gguf.tensor_bytes(), file_size - gguf.data_offset);
    assert_eq!(gguf.tensor_bytes(), 96_576_768);

    let model = load_model(&path).unwrap();
    let s = &model.shape;
    // llama: 30 blocks, 576 wide, 9 heads of 64, 3 KV heads, 49152 tokens, 8k context.
    assert_eq!(s.model_type, "llama");
    assert_eq!(
        (s.num_layers, s.hidden_size, s.num_heads, s.num_kv_heads),
        (30, 576, 9, 3)
    );
    assert_eq!(
        (s.head_dim, s.intermediate_size, s.vocab_size),
        (64, 1536, 49152)
    );
    assert_eq!(s.max_position_embeddings, Some(8192));
    assert_eq!(s.sliding_layers(), 0);
    let ModelKind::Gguf(w) = &model.kind else {
        panic!("a GGUF model")
    };
    assert_eq!(w.file_type.as_deref(), Some("Q4_1"));
    assert_eq!(w.file_bytes, file_size);

    let e = estimate_inference(
        &model,
        &InferenceOptions {
            context_len: 8192,
            ..Default::default()
        },
    )
    .unwrap();
    // KV per token: 30 layers · 3 KV heads · (64 + 64) · 2 bytes (f16) = 23,040;
    // × 8192 tokens = 188,743,680.
    assert_eq!(e.kv_bytes_per_token, 23_040);
    assert_eq!(e.terms.kv_cache_bytes, 188_743_680);
    // Weights + KV = the file's tensor bytes + the hand-computed cache.
    assert_eq!(e.terms.weights_bytes, file_size - gguf.data_offset);
    assert_eq!(
        e.terms.weights_bytes + e.terms.kv_cache_bytes,
        96_576_768 + 188_743_680
    );
    assert_eq!(
        e.total_bytes,
        e.terms.weights_bytes
            + e.terms.kv_cache_bytes
            + e.terms.activations_bytes
            + e.terms.logits_bytes
            + e.terms.overhead_bytes
    );
    assert_eq!(e.model.source, SourceKind::Gguf);
    assert_eq!(e.weights_format, "Q4_1");
}

#[test]
fn gemma3_counts_sliding_layers_at_their_window() {
    let path = fixture_or_skip!(gemma3_gguf());
    let file_size = std::fs::metadata(&path).unwrap().len();
    let gguf = read_gguf(&path).unwrap();
    // 253,113,024 − 6,525,120 header = 246,587,904 bytes of tensors.
    assert_eq!(gguf.tensor_bytes(), file_size - gguf.data_offset);
    assert_eq!(gguf.tensor_bytes(), 246_587_904);

    let model = load_model(&path).unwrap();
    let s = &model.shape;
    // gemma3: 18 blocks, 640 wide, 4 heads, 1 KV head, key/value length 256 (not 640/4),
    // a 512-token window; 262,144 tokens; the embedding is the output (no output.weight).
    assert_eq!(
        (s.num_layers, s.hidden_size, s.num_heads, s.num_kv_heads),
        (18, 640, 4, 1)
    );
    assert_eq!((s.head_dim, s.value_head_dim), (256, 256));
    assert_eq!(s.vocab_size, 262_144);
    assert!(s.tie_word_embeddings);
    // No pattern key in this file: llama.cpp's gemma3 period of 6, so layers 5, 11 and 17
    // are global and the other 15 slide.
    assert_eq!(s.sliding_layers(), 15);
    assert_eq!(s.sliding_window(), Some(512));
    let ModelKind::Gguf(w) = &model.kind else {
        panic!("a GGUF model")
    };
    assert_eq!(w.file_type.as_deref(), Some("Q4_K_M"));

    let e = estimate_inference(
        &model,
        &InferenceOptions {
            context_len: 32768,
            ..Default::default()
        },
    )
    .unwrap();
    // Per layer per token: 1 KV head · (256 + 256) · 2 bytes = 1,024.
    // Global: 3 layers · 1,024 · 32,768 = 100,663,296. Sliding: 15 · 1,024 · 512 = 7,864,320.
    assert_eq!(e.terms.kv_cache_bytes, 108_527_616);
    assert_eq!(e.terms.weights_bytes, 246_587_904);
    assert_eq!(
        e.terms.weights_bytes + e.terms.kv_cache_bytes,
        (file_size - gguf.data_offset) + 108_527_616
    );
    // Below the window a token costs all 18 layers: 18,432 bytes.
    assert_eq!(e.kv_bytes_per_token, 18_432);

    // A context inside the window: every layer holds it all: 18 · 1,024 · 256.
    let short = estimate_inference(
        &model,
        &InferenceOptions {
            context_len: 256,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(short.terms.kv_cache_bytes, 4_718_592);
}
