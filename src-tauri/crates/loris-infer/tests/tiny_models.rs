//! Tiny random-weight models of every architecture load from Hugging Face folders (both
//! config.json layouts, single and sharded safetensors), and a GGUF written from the same
//! weights as llama.cpp's converter would gives the same logits (f16) or close ones (Q8_0).

use std::collections::HashMap;
use std::path::Path;

use candle_core::quantized::gguf_file::{self, Value};
use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::{DType, Device, Tensor};
use loris_infer::models::CausalLm;
use loris_infer::{LoadOptions, LoadedModel, load_gguf, load_hf_dir};
use loris_testkit::tiny_models::{
    Arch, DType as TinyDType, TinyModel, TinyModelSpec, write_tiny_model,
};
use serde_json::json;

const PROMPT: [u32; 6] = [9, 100, 2000, 31, 7, 512];

/// Writes a tiny model, or prints why the test is skipped.
fn tiny(spec: TinyModelSpec, dir: &Path) -> Option<TinyModel> {
    match write_tiny_model(&spec, dir) {
        Ok(m) => Some(m),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("SKIPPED: {e}");
            None
        }
        Err(e) => panic!("{e}"),
    }
}

/// Logits after the prompt, then after one more token (exercising the KV cache).
fn logits(model: &mut dyn CausalLm) -> (Vec<f32>, Vec<f32>) {
    model.clear_cache();
    let a = model.forward(&PROMPT, 0).unwrap().to_vec1::<f32>().unwrap();
    let b = model
        .forward(&[42], PROMPT.len())
        .unwrap()
        .to_vec1::<f32>()
        .unwrap();
    (a, b)
}

fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[test]
fn every_architecture_loads_from_both_config_layouts() {
    for arch in Arch::ALL {
        eprintln!("{arch}");
        let root = tempfile::tempdir().unwrap();
        let Some(v4) = tiny(TinyModelSpec::new(arch), &root.path().join("v4")) else {
            return;
        };
        let v5 = tiny(
            TinyModelSpec::new(arch)
                .with_transformers_v5_config(true)
                .with_sharded(true)
                .with_dtype(TinyDType::BF16),
            &root.path().join("v5"),
        )
        .unwrap();
        let mut a: LoadedModel =
            load_hf_dir(&v4.dir, &LoadOptions::default()).unwrap_or_else(|e| panic!("{arch}: {e}"));
        let mut b = load_hf_dir(&v5.dir, &LoadOptions::default())
            .unwrap_or_else(|e| panic!("{arch} v5: {e}"));
        assert_eq!(a.info.architecture.to_string(), arch.model_type(), "{arch}");
        let (a1, a2) = logits(a.model.as_mut());
        let (b1, b2) = logits(b.model.as_mut());
        assert_eq!(a1.len(), v4.vocab_size(), "{arch}");
        assert!(a1.iter().chain(&a2).all(|x| x.is_finite()), "{arch}");
        // Same seed, bf16 vs f32 storage: close, not equal.
        let scale = a1.iter().fold(1f32, |m, x| m.max(x.abs()));
        assert!(
            max_diff(&a1, &b1) < 0.05 * scale,
            "{arch}: {} vs scale {scale}",
            max_diff(&a1, &b1)
        );
        assert!(max_diff(&a2, &b2) < 0.05 * scale, "{arch}");
        // The cache is really cleared between requests.
        assert_eq!(logits(a.model.as_mut()).0, a1, "{arch}");
        assert!(a.assets.chat_template.is_some());
    }
}

#[test]
fn gguf_f16_and_safetensors_give_the_same_logits() {
    for arch in Arch::ALL {
        let root = tempfile::tempdir().unwrap();
        let Some(model) = tiny(TinyModelSpec::new(arch), root.path()) else {
            return;
        };
        assert_gguf_matches_safetensors(&model, &format!("{arch}"));
    }
}

/// Configs that exercise what the defaults leave idle: Gemma 2 soft caps small enough to bite
/// (50 and 30 leave tiny random scores and logits almost untouched; a final cap of 0.5 bends
/// logits of up to about 0.75 without flattening them), Phi-3 rotating half of each head.
#[test]
fn gguf_f16_matches_safetensors_with_soft_caps_and_partial_rotary() {
    let cases = [
        (
            Arch::Gemma2,
            "gemma2 capped",
            json!({"attn_logit_softcapping": 0.01, "final_logit_softcapping": 0.5}),
        ),
        (
            Arch::Phi3,
            "phi3 partial",
            json!({"partial_rotary_factor": 0.5}),
        ),
    ];
    for (arch, label, changes) in cases {
        let root = tempfile::tempdir().unwrap();
        let Some(mut model) = tiny(TinyModelSpec::new(arch), root.path()) else {
            return;
        };
        for (key, value) in changes.as_object().unwrap() {
            model.config[key] = value.clone();
        }
        std::fs::write(
            &model.config_path,
            serde_json::to_string_pretty(&model.config).unwrap(),
        )
        .unwrap();
        let (h1, _) = assert_gguf_matches_safetensors(&model, label);
        if arch == Arch::Gemma2 {
            let cap = 0.5;
            assert!(
                h1.iter().all(|x| x.abs() <= cap),
                "{label}: logits past the cap"
            );
        }
    }
}

/// The HF folder and a GGUF(f16) converted from it give the same logits, prompt and one cached
/// step; returns the HF logits.
fn assert_gguf_matches_safetensors(model: &TinyModel, label: &str) -> (Vec<f32>, Vec<f32>) {
    let gguf = model.dir.join("model-f16.gguf");
    write_gguf(model, &gguf, GgmlDType::F16);
    let mut hf = load_hf_dir(&model.dir, &LoadOptions::default()).unwrap();
    // The tokenizer.json beside the GGUF is picked up.
    let mut gg =
        load_gguf(&gguf, &LoadOptions::default()).unwrap_or_else(|e| panic!("{label}: {e}"));
    assert_eq!(gg.info.quantization, "F16");
    let (h1, h2) = logits(hf.model.as_mut());
    let (g1, g2) = logits(gg.model.as_mut());
    let scale = h1.iter().fold(0f32, |m, x| m.max(x.abs()));
    let (d1, d2) = (max_diff(&h1, &g1), max_diff(&h2, &g2));
    eprintln!(
        "{label}: max |safetensors - gguf f16| = {d1:.2e} (prompt), {d2:.2e} (decode); max |logit| {scale:.3}"
    );
    assert!(
        d1 < 3e-3 * scale && d2 < 3e-3 * scale,
        "{label}: {d1} {d2} (scale {scale})"
    );
    (h1, h2)
}

#[test]
fn q8_0_gguf_runs_quantized_and_dequantized() {
    for arch in Arch::ALL {
        let root = tempfile::tempdir().unwrap();
        let Some(model) = tiny(TinyModelSpec::new(arch), root.path()) else {
            return;
        };
        let gguf = root.path().join("model-q8_0.gguf");
        write_gguf(&model, &gguf, GgmlDType::Q8_0);
        let mut hf = load_hf_dir(&model.dir, &LoadOptions::default()).unwrap();
        let (h1, h2) = logits(hf.model.as_mut());
        let scale = h1.iter().fold(0f32, |m, x| m.max(x.abs()));
        for dequantize in [false, true] {
            let options = LoadOptions {
                dequantize,
                ..Default::default()
            };
            let mut gg = load_gguf(&gguf, &options).unwrap_or_else(|e| panic!("{arch}: {e}"));
            assert_eq!(gg.info.quantization, "Q8_0");
            let (g1, g2) = logits(gg.model.as_mut());
            let (d1, d2) = (max_diff(&h1, &g1), max_diff(&h2, &g2));
            eprintln!(
                "{arch} q8_0 (dequantize {dequantize}): max |safetensors - gguf| = {d1:.2e}, {d2:.2e}; max |logit| {scale:.3}"
            );
            // 8-bit weights (and, in quantized matmuls, 8-bit activations): close, not equal;
            // measured 1-4% of the largest logit.
            assert!(
                d1 < 0.1 * scale && d2 < 0.1 * scale,
                "{arch} dequantize {dequantize}: {d1} {d2} (scale {scale})"
            );
        }
    }
}

/// A GGUF as llama.cpp's converter writes it for these architectures: llama.cpp tensor names and
/// metadata keys, Q/K rows permuted for llama's interleaved RoPE (not for Qwen, Gemma or Phi-3),
/// Gemma's norms stored as 1 + weight, Phi-3's fused `qkv_proj` and `gate_up_proj` kept fused
/// (`attn_qkv`, `ffn_up`), norms and biases in f32, matrices in `matrices` (F16 or Q8_0).
fn write_gguf(model: &TinyModel, path: &Path, matrices: GgmlDType) {
    let c = &model.config;
    let n = |k: &str| c[k].as_u64().unwrap() as usize;
    let (hidden, layers, heads, kv_heads) = (
        n("hidden_size"),
        n("num_hidden_layers"),
        n("num_attention_heads"),
        n("num_key_value_heads"),
    );
    let head_dim = c["head_dim"]
        .as_u64()
        .map_or(hidden / heads, |d| d as usize);
    let mut st: HashMap<String, Tensor> = HashMap::new();
    for file in &model.weight_files {
        st.extend(candle_core::safetensors::load(file, &Device::Cpu).unwrap());
    }
    let gemma = matches!(model.arch, Arch::Gemma2 | Arch::Gemma3);
    let arch = match model.arch {
        Arch::Llama | Arch::Mistral => "llama",
        Arch::Qwen2 => "qwen2",
        Arch::Qwen3 => "qwen3",
        Arch::Gemma2 => "gemma2",
        Arch::Gemma3 => "gemma3",
        Arch::Phi3 => "phi3",
    };
    let interleaved = arch == "llama";
    let theta = c["rope_theta"].as_f64().unwrap();

    let mut tensors: Vec<(String, QTensor)> = Vec::new();
    let mut put = |name: String, t: Tensor, norm: bool| {
        let t = t.to_dtype(DType::F32).unwrap();
        let t = if norm && gemma { (t + 1.0).unwrap() } else { t };
        let dtype = if norm { GgmlDType::F32 } else { matrices };
        tensors.push((name, QTensor::quantize(&t, dtype).unwrap()));
    };
    let get = |name: &str| st.get(name).unwrap_or_else(|| panic!("{name}")).clone();
    // llama.cpp's `permute`: rows of each head reordered from rotate-half to interleaved pairs.
    let permute = |t: Tensor, h: usize| {
        let (out, inp) = t.dims2().unwrap();
        t.reshape((h, 2, out / h / 2, inp))
            .unwrap()
            .transpose(1, 2)
            .unwrap()
            .reshape((out, inp))
            .unwrap()
    };
    put(
        "token_embd.weight".into(),
        get("model.embed_tokens.weight"),
        false,
    );
    put("output_norm.weight".into(), get("model.norm.weight"), true);
    if let Some(head) = st.get("lm_head.weight") {
        put("output.weight".into(), head.clone(), false);
    }
    for i in 0..layers {
        let hf = |s: &str| get(&format!("model.layers.{i}.{s}.weight"));
        let gg = |s: &str| format!("blk.{i}.{s}.weight");
        if model.arch == Arch::Phi3 {
            put(gg("attn_qkv"), hf("self_attn.qkv_proj"), false);
            put(gg("ffn_up"), hf("mlp.gate_up_proj"), false);
        } else {
            let (q, k) = if interleaved {
                (
                    permute(hf("self_attn.q_proj"), heads),
                    permute(hf("self_attn.k_proj"), kv_heads),
                )
            } else {
                (hf("self_attn.q_proj"), hf("self_attn.k_proj"))
            };
            for (hf_name, gg_name) in [
                ("q_proj", "attn_q"),
                ("k_proj", "attn_k"),
                ("v_proj", "attn_v"),
            ] {
                if let Some(b) = st.get(&format!("model.layers.{i}.self_attn.{hf_name}.bias")) {
                    put(format!("blk.{i}.{gg_name}.bias"), b.clone(), true);
                }
            }
            put(gg("attn_q"), q, false);
            put(gg("attn_k"), k, false);
            put(gg("attn_v"), hf("self_attn.v_proj"), false);
            put(gg("ffn_gate"), hf("mlp.gate_proj"), false);
            put(gg("ffn_up"), hf("mlp.up_proj"), false);
        }
        if matches!(model.arch, Arch::Qwen3 | Arch::Gemma3) {
            put(gg("attn_q_norm"), hf("self_attn.q_norm"), true);
            put(gg("attn_k_norm"), hf("self_attn.k_norm"), true);
        }
        put(gg("attn_output"), hf("self_attn.o_proj"), false);
        put(gg("ffn_down"), hf("mlp.down_proj"), false);
        put(gg("attn_norm"), hf("input_layernorm"), true);
        if gemma {
            put(
                gg("post_attention_norm"),
                hf("post_attention_layernorm"),
                true,
            );
            put(gg("ffn_norm"), hf("pre_feedforward_layernorm"), true);
            put(gg("post_ffw_norm"), hf("post_feedforward_layernorm"), true);
        } else {
            put(gg("ffn_norm"), hf("post_attention_layernorm"), true);
        }
    }

    let u32v = |x: usize| Value::U32(x as u32);
    let f32v = |k: &str| Value::F32(c[k].as_f64().unwrap() as f32);
    let file_type = match matrices {
        GgmlDType::F16 => 1,
        GgmlDType::Q8_0 => 7,
        other => panic!("no file type for {other:?}"),
    };
    let mut meta: Vec<(String, Value)> = vec![
        ("general.architecture".into(), Value::String(arch.into())),
        ("general.file_type".into(), Value::U32(file_type)),
        (format!("{arch}.embedding_length"), u32v(hidden)),
        (format!("{arch}.block_count"), u32v(layers)),
        (
            format!("{arch}.feed_forward_length"),
            u32v(n("intermediate_size")),
        ),
        (format!("{arch}.attention.head_count"), u32v(heads)),
        (format!("{arch}.attention.head_count_kv"), u32v(kv_heads)),
        (
            format!("{arch}.attention.layer_norm_rms_epsilon"),
            f32v("rms_norm_eps"),
        ),
        (
            format!("{arch}.context_length"),
            u32v(n("max_position_embeddings")),
        ),
    ];
    let mut add = |k: &str, v: Value| meta.push((format!("{arch}.{k}"), v));
    match model.arch {
        // The Gemma 2 converter writes no RoPE base (llama.cpp's default, 10000, applies).
        Arch::Gemma2 => {
            add("attention.key_length", u32v(head_dim));
            add("attention.value_length", u32v(head_dim));
            add("attn_logit_softcapping", f32v("attn_logit_softcapping"));
            add("final_logit_softcapping", f32v("final_logit_softcapping"));
            add("attention.sliding_window", u32v(n("sliding_window")));
        }
        Arch::Gemma3 => {
            add("rope.freq_base", Value::F32(theta as f32));
            add("attention.key_length", u32v(head_dim));
            add("attention.value_length", u32v(head_dim));
            add("attention.sliding_window", u32v(n("sliding_window")));
            // The tiny model alternates sliding and full layers.
            add("attention.sliding_window_pattern", u32v(2));
        }
        Arch::Phi3 => {
            let partial = c
                .get("partial_rotary_factor")
                .and_then(serde_json::Value::as_f64)
                .unwrap_or(1.0);
            add("rope.freq_base", Value::F32(theta as f32));
            add(
                "rope.scaling.original_context_length",
                u32v(n("original_max_position_embeddings")),
            );
            add(
                "rope.dimension_count",
                u32v((partial * hidden as f64) as usize / heads),
            );
            // 0: no sliding window (what the converter writes for `null`).
            add(
                "attention.sliding_window",
                u32v(c["sliding_window"].as_u64().unwrap_or(0) as usize),
            );
        }
        Arch::Llama | Arch::Mistral | Arch::Qwen2 | Arch::Qwen3 => {
            add("rope.freq_base", Value::F32(theta as f32));
            add("rope.dimension_count", u32v(head_dim));
            add("attention.key_length", u32v(head_dim));
        }
    }
    let meta_refs: Vec<(&str, &Value)> = meta.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let tensor_refs: Vec<(&str, &QTensor)> = tensors.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let mut f = std::fs::File::create(path).unwrap();
    gguf_file::write(&mut f, &meta_refs, &tensor_refs).unwrap();
}
