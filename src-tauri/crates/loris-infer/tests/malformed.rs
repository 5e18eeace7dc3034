//! Malformed inputs give typed errors, never panics.

use std::path::Path;

use candle_core::quantized::gguf_file::{self, Value};
use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::{Device, Tensor};
use loris_infer::{LoadOptions, load_gguf};
use loris_models::{ChatTemplate, ModelConfig, SpecialTokens};

fn load_err(path: &Path) -> String {
    match load_gguf(path, &LoadOptions::default()) {
        Ok(_) => panic!("{} loaded", path.display()),
        Err(e) => e.code().to_owned(),
    }
}

/// A GGUF with the given architecture and one small f32 tensor.
fn write_gguf(path: &Path, arch: &str) {
    let t = Tensor::zeros((4, 32), candle_core::DType::F32, &Device::Cpu).unwrap();
    let q = QTensor::quantize(&t, GgmlDType::F32).unwrap();
    let arch = Value::String(arch.to_owned());
    let mut f = std::fs::File::create(path).unwrap();
    gguf_file::write(
        &mut f,
        &[("general.architecture", &arch)],
        &[("token_embd.weight", &q)],
    )
    .unwrap();
}

#[test]
fn bad_headers_and_truncation_are_invalid_gguf() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.gguf");

    std::fs::write(&path, b"GGML\x03\x00\x00\x00").unwrap();
    assert_eq!(load_err(&path), "invalid_gguf");
    std::fs::write(&path, b"GGUF\x09\x00\x00\x00\x00\x00\x00\x00").unwrap();
    assert_eq!(load_err(&path), "invalid_gguf");
    std::fs::write(&path, b"").unwrap();
    assert_eq!(load_err(&path), "invalid_gguf");

    write_gguf(&path, "llama");
    let full = std::fs::read(&path).unwrap();
    // Cut inside the tensor data, then inside the header.
    for keep in [full.len() - 8, 40, 13] {
        std::fs::write(&path, &full[..keep]).unwrap();
        assert_eq!(load_err(&path), "invalid_gguf", "truncated to {keep} bytes");
    }
    assert_eq!(load_err(&dir.path().join("absent.gguf")), "io");
}

#[test]
fn unknown_architecture_and_missing_metadata_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.gguf");
    write_gguf(&path, "mamba");
    let err = load_gguf(&path, &LoadOptions::default()).err().unwrap();
    assert_eq!(err.code(), "unknown_architecture");
    assert!(err.to_string().contains("mamba"));

    // Known architecture, but none of its hyperparameters.
    write_gguf(&path, "llama");
    let err = load_gguf(&path, &LoadOptions::default()).err().unwrap();
    assert_eq!(err.code(), "invalid_gguf");
    assert!(err.to_string().contains("llama.embedding_length"), "{err}");
}

#[test]
fn a_config_with_a_missing_field_is_invalid_config() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.json");
    std::fs::write(&path, r#"{"model_type": "qwen3", "hidden_size": 64, "num_attention_heads": 4, "rope_theta": 1e6}"#).unwrap();
    let err = ModelConfig::from_file(&path).unwrap_err();
    assert_eq!(err.code(), "invalid_config");
    std::fs::write(&path, "{not json").unwrap();
    assert_eq!(
        ModelConfig::from_file(&path).unwrap_err().code(),
        "invalid_model"
    );
}

#[test]
fn a_template_that_raises_is_template_error() {
    let raising = "{% if messages[0]['role'] != 'system' %}{{ raise_exception('System message required') }}{% endif %}";
    let err = ChatTemplate::new_validated(raising, SpecialTokens::default()).unwrap_err();
    assert_eq!(err.code(), "template_error");
    assert!(err.to_string().contains("System message required"));
    // An override goes through the same validation when a model is loaded with it.
    let err = ChatTemplate::new_validated("{{ messages[0].content }", SpecialTokens::default())
        .unwrap_err();
    assert_eq!(err.code(), "template_syntax");
}

#[test]
fn a_truncated_safetensors_file_is_invalid_model() {
    let dir = tempfile::tempdir().unwrap();
    let golden = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../loris-testkit/tests/golden/llama.v4.config.json");
    std::fs::copy(golden, dir.path().join("config.json")).unwrap();
    let weights = dir.path().join("model.safetensors");
    let t = Tensor::zeros((16, 16), candle_core::DType::F32, &Device::Cpu).unwrap();
    candle_core::safetensors::save(
        &std::collections::HashMap::from([("model.norm.weight".to_owned(), t)]),
        &weights,
    )
    .unwrap();
    let full = std::fs::read(&weights).unwrap();
    for keep in [full.len() - 100, 20, 4] {
        std::fs::write(&weights, &full[..keep]).unwrap();
        let err = loris_infer::load_hf_dir(dir.path(), &LoadOptions::default())
            .err()
            .unwrap();
        assert_eq!(err.code(), "invalid_model", "truncated to {keep}: {err}");
    }
    // Complete but missing the model's tensors.
    std::fs::write(&weights, &full).unwrap();
    let err = loris_infer::load_hf_dir(dir.path(), &LoadOptions::default())
        .err()
        .unwrap();
    assert_eq!(err.code(), "invalid_model", "{err}");
}

/// Every truncation and many single-byte corruptions of a valid GGUF open or fail with a typed
/// error; none panics or allocates without bound. (A cheap stand-in for a fuzz target.)
#[test]
fn corrupted_gguf_headers_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.gguf");
    write_gguf(&path, "llama");
    let full = std::fs::read(&path).unwrap();
    let header_len = full.len() - 4 * 32 * 4;
    let check = |bytes: &[u8]| {
        std::fs::write(&path, bytes).unwrap();
        if let Err(e) = loris_models::GgufFile::open(&path) {
            assert_eq!(e.code(), "invalid_gguf");
        }
    };
    // Every cut inside the header; inside the tensor data one cut stands for all.
    for keep in (0..header_len + 8).chain([full.len() - 1]) {
        check(&full[..keep]);
    }
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    for _ in 0..1000 {
        // xorshift: positions and values inside the header.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let mut bytes = full.clone();
        let at = (state as usize) % header_len;
        bytes[at] = (state >> 32) as u8;
        check(&bytes);
    }
}
