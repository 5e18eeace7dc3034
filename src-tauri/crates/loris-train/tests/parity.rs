//! The training model computes what the inference engine computes: the same logits for the
//! same weights, for every architecture, from Hugging Face folders and from a GGUF.

mod common;

use candle_core::{DType, Device};
use loris_infer::{LoadOptions, load_gguf, load_hf_dir};
use loris_testkit::tiny_models::Arch;
use loris_train::batch::Batch;

const PROMPT: [u32; 6] = [9, 100, 2000, 31, 7, 512];

fn last_row(model: &loris_train::TrainModel, tokens: &[u32]) -> Vec<f32> {
    let seq = common::sequence(tokens);
    let batch = Batch::new(&[&seq], &Device::Cpu).unwrap();
    let logits = model.logits(&batch).unwrap();
    logits
        .get(tokens.len() - 1)
        .unwrap()
        .to_dtype(DType::F32)
        .unwrap()
        .to_vec1()
        .unwrap()
}

fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[test]
fn every_architecture_matches_the_inference_engine() {
    for arch in Arch::ALL {
        let root = tempfile::tempdir().unwrap();
        let Some(tiny) = common::tiny(arch, root.path()) else {
            return;
        };
        let mut engine = load_hf_dir(&tiny.dir, &LoadOptions::default()).unwrap();
        let expected = engine
            .model
            .forward(&PROMPT, 0)
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        let model = common::model(&tiny.dir, &common::lora(4), DType::F32, 1);
        let got = last_row(&model, &PROMPT);
        let scale = expected.iter().fold(0f32, |m, x| m.max(x.abs()));
        let d = max_diff(&expected, &got);
        eprintln!("{arch}: max |train - infer| = {d:.2e}, max |logit| {scale:.3}");
        assert!(d < 1e-4 * scale.max(1.0), "{arch}: {d} (scale {scale})");
    }
}

#[test]
fn smollm2_gguf_dequantized_matches_the_inference_engine() {
    let Some(path) = loris_testkit::fixtures::smollm2_gguf() else {
        eprintln!("SKIPPED: SmolLM2 fixture missing");
        return;
    };
    let options = LoadOptions {
        dequantize: true,
        ..Default::default()
    };
    let mut engine = load_gguf(&path, &options).unwrap();
    let tokens = [1u32, 504, 3458, 282, 4649, 314, 253];
    let expected = engine
        .model
        .forward(&tokens, 0)
        .unwrap()
        .to_vec1::<f32>()
        .unwrap();
    let model = common::model(&path, &common::lora(8), DType::F32, 1);
    let got = last_row(&model, &tokens);
    let scale = expected.iter().fold(0f32, |m, x| m.max(x.abs()));
    let d = max_diff(&expected, &got);
    eprintln!("SmolLM2 Q4_1 dequantized: max |train - infer| = {d:.2e}, max |logit| {scale:.3}");
    // Same weights; only the RoPE form (rotate-half on un-permuted rows against llama.cpp's
    // interleaved order) and summation order differ.
    assert!(d < 1e-3 * scale, "{d} (scale {scale})");
}
