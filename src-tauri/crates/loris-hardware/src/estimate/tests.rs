//! Every term checked against numbers worked out by hand from the published configs
//! (tests/fixtures/configs/). Notation: h hidden, L layers, q = heads·head_dim,
//! kv = kv_heads·head_dim, i intermediate, V vocab, r LoRA rank, T = batch·seq tokens.
//! Constants are those of constants.rs / docs/vram.md.

use super::*;

const GIB_BYTES: u64 = 1 << 30;

fn model(json: &str, name: &str) -> Model {
    Model::from_config_json(json, name).expect("fixture parses")
}

fn llama_1b() -> Model {
    model(
        include_str!("../../tests/fixtures/configs/llama-3.2-1b.json"),
        "llama-3.2-1b",
    )
}

fn llama_8b() -> Model {
    model(
        include_str!("../../tests/fixtures/configs/llama-3.1-8b.json"),
        "llama-3.1-8b",
    )
}

fn qwen3_06b() -> Model {
    model(
        include_str!("../../tests/fixtures/configs/qwen3-0.6b.json"),
        "qwen3-0.6b",
    )
}

fn params(m: &Model) -> ParamCounts {
    match &m.kind {
        ModelKind::Config { params, .. } => *params,
        ModelKind::Gguf(_) => unreachable!("config fixtures"),
    }
}

fn train(m: &Model, f: impl FnOnce(&mut TrainingOptions)) -> TrainingEstimate {
    let mut o = TrainingOptions::default();
    f(&mut o);
    estimate_training(m, &o).unwrap()
}

// ---- Llama-3.2-1B: h 2048, L 16, 32 heads × 64, 8 KV heads, i 8192, V 128256, tied ----------

#[test]
fn llama_3_2_1b_parameters() {
    let p = params(&llama_1b());
    // q 2048·2048 = 4,194,304; k, v 2048·512 = 1,048,576 each; o 4,194,304 → 10,485,760.
    assert_eq!(p.attention_per_layer, 10_485_760);
    // gate, up, down 3 · 2048·8192 = 50,331,648.
    assert_eq!(p.mlp_per_layer, 50_331_648);
    // Two RMSNorms: 2 · 2048.
    assert_eq!(p.norm_per_layer, 4_096);
    // Embedding 128256 · 2048 = 262,668,288; tied, so no lm_head.
    assert_eq!((p.embedding, p.lm_head), (262_668_288, 0));
    // 16 · 60,821,504 + 262,668,288 + 2,048 final norm = 1,235,814,400 (the published count).
    assert_eq!(p.total(), 1_235_814_400);
    assert_eq!(p.decoder_linear(), 973_078_528);
    assert_eq!(p.largest_matrix, 16_777_216);
}

#[test]
fn llama_3_2_1b_lora_training_terms() {
    // Defaults: LoRA r 16 on q,k,v,o,gate,up,down; batch 2 × seq 2048; no checkpointing;
    // f32 AdamW; unchunked loss.
    let e = train(&llama_1b(), |_| {});
    // LoRA per layer r·(in+out): q 16·4096 = 65,536; k, v 16·2560 = 40,960 each;
    // o 65,536; gate, up, down 16·10,240 = 163,840 each → 704,512; × 16 = 11,272,192.
    assert_eq!(e.trainable_parameters, 11_272_192);
    let t = e.terms;
    // bf16 base: 1,235,814,400 · 2.
    assert_eq!(t.weights_bytes, 2_471_628_800);
    // f32 adapters and f32 gradients: 11,272,192 · 4 each; AdamW m+v: · 8.
    assert_eq!(t.lora_adapter_bytes, 45_088_768);
    assert_eq!(t.gradients_bytes, 45_088_768);
    assert_eq!(t.optimizer_bytes, 90_177_536);
    // Per token per layer: 4h + 2q + 2kv + 3i + r·7 = 8192 + 4096 + 1024 + 24576 + 112
    // = 38,000 elements · 2 bytes = 76,000 B. T = 4096 tokens: 311,296,000 per layer; × 16.
    assert_eq!(t.activations_bytes, 4_980_736_000);
    // Logits: T · V · 10 = 4096 · 128256 · 10.
    assert_eq!(t.logits_bytes, 5_253_365_760);
    assert_eq!(t.dequant_scratch_bytes, 0);
    assert_eq!(t.overhead_bytes, GIB_BYTES);
    // Sum: 2,471,628,800 + 45,088,768 · 2 + 90,177,536 + 4,980,736,000 + 5,253,365,760
    // + 1,073,741,824 = 13,959,827,456 (13.0 GiB).
    assert_eq!(e.total_bytes, 13_959_827_456);
}

#[test]
fn llama_3_2_1b_qlora_full_and_memory_savers() {
    let m = llama_1b();
    let q = train(&m, |o| o.method = TrainingMethod::Qlora).terms;
    // NF4 decoder matrices 973,078,528 · 4.5 / 8 = 547,356,672; bf16 rest (embedding,
    // norms 16·4096 + 2048) 262,735,872 · 2 = 525,471,744 → 1,072,828,416.
    assert_eq!(q.weights_bytes, 1_072_828_416);
    // One gate/up/down matrix dequantized to bf16: 16,777,216 · 2.
    assert_eq!(q.dequant_scratch_bytes, 33_554_432);

    let f = train(&m, |o| o.method = TrainingMethod::Full);
    assert_eq!(f.trainable_parameters, 1_235_814_400);
    // bf16 gradients · 2; f32 AdamW · 8; no adapters.
    assert_eq!(f.terms.gradients_bytes, 2_471_628_800);
    assert_eq!(f.terms.optimizer_bytes, 9_886_515_200);
    assert_eq!(f.terms.lora_adapter_bytes, 0);
    // No LoRA products: 37,888 elements · 2 B · 4096 tokens · 16 layers.
    assert_eq!(f.terms.activations_bytes, 4_966_055_936);

    let gc = train(&m, |o| o.gradient_checkpointing = true).terms;
    // Layer inputs 16 · 4096 · 2048 · 2 = 268,435,456 + one layer rebuilt 311,296,000.
    assert_eq!(gc.activations_bytes, 579_731_456);

    let adam8 = train(&m, |o| o.optimizer = Optimizer::Adamw8bit).terms;
    // 11,272,192 · (2 + 8/2048) = 22,544,384 + 44,032.
    assert_eq!(adam8.optimizer_bytes, 22_588_416);

    let chunked = train(&m, |o| o.chunked_loss = true).terms;
    // 256 chunk tokens · 128256 · 6 bytes.
    assert_eq!(chunked.logits_bytes, 197_001_216);

    // Everything small together, batch 1: 1,072,828,416 + 45,088,768 · 2 + 90,177,536
    // + (16 · 2048 · 2048 · 2 + 2048 · 76,000 = 289,865,728) + 197,001,216 + 33,554,432
    // + 1,073,741,824 = 2,847,346,688.
    let small = train(&m, |o| {
        o.method = TrainingMethod::Qlora;
        o.gradient_checkpointing = true;
        o.chunked_loss = true;
        o.batch_size = 1;
    });
    assert_eq!(small.terms.activations_bytes, 289_865_728);
    assert_eq!(small.total_bytes, 2_847_346_688);
}

#[test]
fn llama_3_2_1b_inference_terms() {
    let m = llama_1b();
    let e = estimate_inference(
        &m,
        &InferenceOptions {
            context_len: 8192,
            ..Default::default()
        },
    )
    .unwrap();
    // KV: 16 layers · 8 heads · (64 + 64) · 8192 tokens · 2 bytes (f16) = 268,435,456.
    assert_eq!(e.terms.kv_cache_bytes, 268_435_456);
    assert_eq!(e.kv_bytes_per_token, 32_768);
    // torch_dtype bfloat16 → weights 1,235,814,400 · 2.
    assert_eq!(e.weights_format, "bf16");
    assert_eq!(e.terms.weights_bytes, 2_471_628_800);

    let q4 = estimate_inference(
        &m,
        &InferenceOptions {
            weights: Some("Q4_K_M".into()),
            ..Default::default()
        },
    )
    .unwrap();
    // Matrices (decoder 973,078,528 + embedding 262,668,288) · 4.5/8 = 695,107,584;
    // norms 67,584 · 4 (f32) = 270,336 → 695,377,920.
    assert_eq!(q4.terms.weights_bytes, 695_377_920);
    assert_eq!(q4.weights_format, "Q4_K");
}

// ---- Llama-3.1-8B: h 4096, L 32, 32 heads × 128, 8 KV heads, i 14336, V 128256, untied ------

#[test]
fn llama_3_1_8b_parameters_and_lora() {
    let m = llama_8b();
    let p = params(&m);
    // q, o 4096² = 16,777,216; k, v 4096·1024 = 4,194,304 → 41,943,040.
    assert_eq!(p.attention_per_layer, 41_943_040);
    // 3 · 4096 · 14336 = 176,160,768.
    assert_eq!(p.mlp_per_layer, 176_160_768);
    // Untied: embedding and lm_head each 128256 · 4096 = 525,336,576.
    assert_eq!((p.embedding, p.lm_head), (525_336_576, 525_336_576));
    // 32 · (41,943,040 + 176,160,768 + 8,192) + 2 · 525,336,576 + 4,096 = 8,030,261,248.
    assert_eq!(p.total(), 8_030_261_248);

    let e = train(&m, |_| {});
    // Per layer: q, o 16·8192 = 131,072; k, v 16·5120 = 81,920; gate, up, down
    // 16·18,432 = 294,912 → 1,310,720; × 32 = 41,943,040.
    assert_eq!(e.trainable_parameters, 41_943_040);
    assert_eq!(e.terms.weights_bytes, 16_060_522_496);
    // 4h + 2q + 2kv + 3i + 112 = 16384 + 8192 + 2048 + 43008 + 112 = 69,744 · 2 B
    // · 4096 tokens = 571,342,848 per layer; × 32.
    assert_eq!(e.terms.activations_bytes, 18_282_971_136);
    assert_eq!(e.terms.logits_bytes, 5_253_365_760);
    assert_eq!(e.total_bytes, 41_341_689_856);

    let q = train(&m, |o| o.method = TrainingMethod::Qlora).terms;
    // 6,979,321,856 · 4.5/8 = 3,925,868,544 + 1,050,939,392 · 2 = 2,101,878,784.
    assert_eq!(q.weights_bytes, 6_027_747_328);
    // Largest matrix 4096 · 14336 = 58,720,256 · 2.
    assert_eq!(q.dequant_scratch_bytes, 117_440_512);

    let full = train(&m, |o| o.method = TrainingMethod::Full).terms;
    // 8,030,261,248 · 8 bytes of AdamW state.
    assert_eq!(full.optimizer_bytes, 64_242_089_984);
}

#[test]
fn llama_3_1_8b_inference_terms() {
    let e = estimate_inference(
        &llama_8b(),
        &InferenceOptions {
            context_len: 8192,
            ..Default::default()
        },
    )
    .unwrap();
    let t = e.terms;
    // KV: 32 · 8 · (128 + 128) · 2 bytes = 131,072 B per token; × 8192 = 1 GiB.
    assert_eq!(e.kv_bytes_per_token, 131_072);
    assert_eq!(t.kv_cache_bytes, GIB_BYTES);
    // Prefill chunk 512 · (2h + 2q + 2kv + 2i = 47,104) · 4 B = 96,468,992; scores
    // 512 · 8192 · 32 heads · 4 B = 536,870,912.
    assert_eq!(t.activations_bytes, 633_339_904);
    // Last-position logits 128256 · 4.
    assert_eq!(t.logits_bytes, 513_024);
    assert_eq!(t.overhead_bytes, 512 << 20);
    assert_eq!(e.total_bytes, 18_304_988_160);
    assert_eq!(e.device_bytes, e.total_bytes);

    let offload = estimate_inference(
        &llama_8b(),
        &InferenceOptions {
            context_len: 8192,
            kv_offload: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(offload.host_bytes, GIB_BYTES);
    assert_eq!(offload.device_bytes, 18_304_988_160 - GIB_BYTES);
}

// ---- Qwen3-0.6B: h 1024, L 28, 16 heads × 128 (q 2048 ≠ h), 8 KV heads, i 3072, V 151936 ----

#[test]
fn qwen3_0_6b_parameters_lora_and_terms() {
    let m = qwen3_06b();
    let p = params(&m);
    // q 1024·2048 = 2,097,152; k, v 1024·1024 = 1,048,576; o 2048·1024 = 2,097,152.
    assert_eq!(p.attention_per_layer, 6_291_456);
    assert_eq!(p.mlp_per_layer, 9_437_184);
    // Two RMSNorms 2·1024 + q/k norms 2·128 = 2,304.
    assert_eq!(p.norm_per_layer, 2_304);
    // 28 · 15,731,200 + 155,582,464 (tied) + 1,024 = 596,049,920.
    assert_eq!(p.total(), 596_049_920);

    let e = train(&m, |_| {});
    // q 16·3072 = 49,152; k, v 16·2048 = 32,768; o 49,152; gate, up, down 16·4096 = 65,536
    // → 360,448; × 28 = 10,092,544.
    assert_eq!(e.trainable_parameters, 10_092_544);
    let t = e.terms;
    assert_eq!(t.weights_bytes, 1_192_099_840);
    assert_eq!(t.optimizer_bytes, 80_740_352);
    // 4·1024 + 2·2048 + 2·1024 + 3·3072 + 112 = 19,568 · 2 B · 4096 · 28.
    assert_eq!(t.activations_bytes, 4_488_429_568);
    // The vocabulary dominates: 4096 · 151936 · 10.
    assert_eq!(t.logits_bytes, 6_223_298_560);
    assert_eq!(e.total_bytes, 13_139_050_496);

    let q = train(&m, |o| o.method = TrainingMethod::Qlora).terms;
    // 440,401,920 · 4.5/8 = 247,726,080 + 155,648,000 · 2 = 311,296,000.
    assert_eq!(q.weights_bytes, 559_022_080);

    let inf = estimate_inference(
        &m,
        &InferenceOptions {
            context_len: 40960,
            ..Default::default()
        },
    )
    .unwrap();
    // Full trained context: 28 · 8 · 256 · 2 B = 114,688 per token · 40960.
    assert_eq!(inf.terms.kv_cache_bytes, 4_697_620_480);
}

// ---- verdicts -------------------------------------------------------------------------------

#[test]
fn an_8b_lora_on_24_gib_needs_checkpointing_or_a_short_sequence() {
    let m = llama_8b();
    let gpu = Device::given(24 * GIB_BYTES);
    let a = assess_training(&m, &TrainingOptions::default(), std::slice::from_ref(&gpu)).unwrap();
    // 41.3 GB on 25.8 GB.
    assert_eq!(a.fit, Some(Fit::DoesNotFit));
    assert_eq!(a.pick, None);
    let kinds: Vec<SuggestionKind> = a.suggestions.iter().map(|s| s.kind).collect();
    // Checkpointing alone: 41,341,689,856 − 18,282,971,136 + 1,645,084,672 = 24,703,803,392
    // = 95.9% of 24 GiB → tight. QLoRA alone (31.4 GB) does not fit, so it is not offered.
    assert!(
        kinds.contains(&SuggestionKind::GradientCheckpointing),
        "{kinds:?}"
    );
    assert!(!kinds.contains(&SuggestionKind::UseQlora), "{kinds:?}");
    let gc = a
        .suggestions
        .iter()
        .find(|s| s.kind == SuggestionKind::GradientCheckpointing)
        .unwrap();
    assert_eq!((gc.required_bytes, gc.fit), (24_703_803_392, Fit::Tight));
    // Sequence 512: activations and logits shrink 4× → 23.7 GB, tight.
    let seq = a
        .suggestions
        .iter()
        .find(|s| s.kind == SuggestionKind::ShorterSequence)
        .unwrap();
    assert_eq!(seq.value, Some(512));

    // An H200-sized and a 24 GiB GPU: the big one is picked, nothing to suggest.
    let devices = [gpu, Device::given(141 * GIB_BYTES)];
    let b = assess_training(&m, &TrainingOptions::default(), &devices).unwrap();
    assert_eq!(b.fit, Some(Fit::Fits));
    assert_eq!(b.devices[1].fit, Fit::Fits);
    assert!(b.suggestions.is_empty());
}

#[test]
fn a_hopeless_full_fine_tune_gets_a_combined_suggestion() {
    // Full fine-tuning of 8B (121 GB) on 12 GiB: no single change is enough.
    let a = assess_training(
        &llama_8b(),
        &TrainingOptions {
            method: TrainingMethod::Full,
            ..Default::default()
        },
        &[Device::given(12 * GIB_BYTES)],
    )
    .unwrap();
    assert_eq!(a.suggestions.len(), 1);
    let s = &a.suggestions[0];
    assert_eq!(s.kind, SuggestionKind::Combined);
    assert!(s.description.starts_with("use QLoRA"), "{}", s.description);
    assert_ne!(s.fit, Fit::DoesNotFit);
}

#[test]
fn inference_suggestions_include_offload_and_flash_attention() {
    let a = assess_inference(
        &llama_8b(),
        &InferenceOptions {
            context_len: 32768,
            ..Default::default()
        },
        &[Device::given(20 * GIB_BYTES)],
    )
    .unwrap();
    assert_eq!(a.fit, Some(Fit::DoesNotFit));
    let kinds: Vec<SuggestionKind> = a.suggestions.iter().map(|s| s.kind).collect();
    for k in [
        SuggestionKind::FlashAttention,
        SuggestionKind::KvCacheOffload,
        SuggestionKind::KvCacheQ8,
        SuggestionKind::QuantizedWeights,
        SuggestionKind::ShorterContext,
    ] {
        assert!(kinds.contains(&k), "{k:?} missing from {kinds:?}");
    }
}

#[test]
fn without_devices_there_is_an_estimate_but_no_verdict() {
    let a = assess_training(&qwen3_06b(), &TrainingOptions::default(), &[]).unwrap();
    assert_eq!((a.pick, a.fit), (None, None));
    assert!(a.suggestions.is_empty());
    assert!(a.estimate.total_bytes > 0);
}

#[test]
fn calibration_scales_one_term_only() {
    let m = llama_1b();
    let base = train(&m, |_| {}).terms;
    let cal = Calibration {
        activations: 0.5,
        ..Calibration::default()
    };
    let scaled = estimate_training_calibrated(&m, &TrainingOptions::default(), &cal)
        .unwrap()
        .terms;
    assert_eq!(scaled.activations_bytes, base.activations_bytes / 2);
    assert_eq!(scaled.weights_bytes, base.weights_bytes);
}

#[test]
fn the_json_shape_names_every_term() {
    let e = train(&llama_1b(), |_| {});
    let json = serde_json::to_value(&e).unwrap();
    for key in [
        "weightsBytes",
        "loraAdapterBytes",
        "gradientsBytes",
        "optimizerBytes",
        "activationsBytes",
        "logitsBytes",
        "dequantScratchBytes",
        "overheadBytes",
    ] {
        assert!(json["terms"][key].is_u64(), "{key}: {json}");
    }
    assert_eq!(json["options"]["method"], "lora");
    assert_eq!(json["options"]["targetModules"][0], "q_proj");
    assert_eq!(json["model"]["source"], "config");
}

#[test]
fn a_gguf_source_cannot_estimate_training() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.gguf");
    let bytes = crate::gguf::tests::Writer::default()
        .string("general.architecture", "llama")
        .u32("llama.embedding_length", 64)
        .u32("llama.block_count", 2)
        .u32("llama.attention.head_count", 4)
        .u32("llama.vocab_size", 10)
        .tensor("token_embd.weight", &[64, 10], 1, 1280)
        .build();
    std::fs::write(&path, bytes).unwrap();
    let m = load_model(&path).unwrap();
    let err = estimate_training(&m, &TrainingOptions::default()).unwrap_err();
    assert_eq!(err.code(), "unsupported");
    // Its weights are the tensor bytes: 64 · 10 F16 = 1,280.
    let e = estimate_inference(&m, &InferenceOptions::default()).unwrap();
    assert_eq!(e.terms.weights_bytes, 1_280);
    let err = estimate_inference(
        &m,
        &InferenceOptions {
            weights: Some("q4_0".into()),
            ..Default::default()
        },
    )
    .unwrap_err();
    assert_eq!(err.code(), "invalid_input");
}
