use std::collections::{BTreeMap, BTreeSet};

use safetensors::SafeTensors;

use super::*;
use crate::fixture_or_skip;

/// A small synthetic tokenizer, so the shape tests run without the fetched fixtures.
fn synthetic_tokenizer(dir: &Path) -> PathBuf {
    let tok_dir = dir.join("synthetic-tokenizer");
    std::fs::create_dir_all(&tok_dir).unwrap();
    let vocab: serde_json::Map<String, Value> = (0..300)
        .map(|i| (format!("t{i}"), Value::from(i)))
        .collect();
    let tokenizer = json!({
        "model": {"type": "BPE", "vocab": vocab, "merges": []},
        "added_tokens": [
            {"id": 300, "content": "<s>", "special": true},
            {"id": 301, "content": "</s>", "special": true},
            {"id": 310, "content": "<pad>", "special": true},
        ],
    });
    let config = json!({
        "bos_token": "<s>", "eos_token": "</s>", "pad_token": "<pad>",
        "chat_template": "{% for m in messages %}{{ m['content'] }}{% endfor %}",
    });
    write_json(&tok_dir.join("tokenizer.json"), &tokenizer).unwrap();
    write_json(&tok_dir.join("tokenizer_config.json"), &config).unwrap();
    tok_dir
}

const SYNTHETIC_VOCAB: usize = 311;

/// name -> (dtype, shape) for every tensor in the files of `model`.
fn reload(model: &TinyModel) -> BTreeMap<String, (Dtype, Vec<usize>)> {
    let mut found = BTreeMap::new();
    for file in &model.weight_files {
        let bytes = std::fs::read(file).unwrap();
        let (_, metadata) = SafeTensors::read_metadata(&bytes).unwrap();
        assert_eq!(
            metadata.metadata().as_ref().and_then(|m| m.get("format")),
            Some(&"pt".to_owned())
        );
        let st = SafeTensors::deserialize(&bytes).unwrap();
        for (name, view) in st.tensors() {
            let previous = found.insert(name.clone(), (view.dtype(), view.shape().to_vec()));
            assert!(previous.is_none(), "{name} is in two files");
        }
    }
    found
}

fn read_f32(model: &TinyModel, name: &str) -> Vec<f32> {
    for file in &model.weight_files {
        let bytes = std::fs::read(file).unwrap();
        let st = SafeTensors::deserialize(&bytes).unwrap();
        if let Ok(view) = st.tensor(name) {
            return match view.dtype() {
                Dtype::F32 => view
                    .data()
                    .chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect(),
                Dtype::BF16 => view
                    .data()
                    .chunks_exact(2)
                    .map(|c| half::bf16::from_le_bytes([c[0], c[1]]).to_f32())
                    .collect(),
                other => panic!("unexpected dtype {other:?}"),
            };
        }
    }
    panic!("{name} not found")
}

/// Exact names and shapes transformers saves, a few per architecture (synthetic vocab).
fn expected_shapes(arch: Arch) -> Vec<(&'static str, Vec<usize>)> {
    let v = SYNTHETIC_VOCAB;
    let mut common = vec![
        ("model.embed_tokens.weight", vec![v, 64]),
        ("model.norm.weight", vec![64]),
        ("model.layers.0.input_layernorm.weight", vec![64]),
        ("model.layers.1.post_attention_layernorm.weight", vec![64]),
        ("model.layers.0.self_attn.o_proj.weight", vec![64, 64]),
        ("model.layers.1.mlp.down_proj.weight", vec![64, 128]),
    ];
    let split_attention = [
        ("model.layers.0.self_attn.q_proj.weight", vec![64, 64]),
        ("model.layers.0.self_attn.k_proj.weight", vec![32, 64]),
        ("model.layers.1.self_attn.v_proj.weight", vec![32, 64]),
        ("model.layers.0.mlp.gate_proj.weight", vec![128, 64]),
        ("model.layers.1.mlp.up_proj.weight", vec![128, 64]),
    ];
    let extra: Vec<(&'static str, Vec<usize>)> = match arch {
        Arch::Llama | Arch::Mistral => vec![("lm_head.weight", vec![v, 64])],
        Arch::Qwen2 => vec![
            ("model.layers.0.self_attn.q_proj.bias", vec![64]),
            ("model.layers.0.self_attn.k_proj.bias", vec![32]),
            ("model.layers.1.self_attn.v_proj.bias", vec![32]),
            ("lm_head.weight", vec![v, 64]),
        ],
        Arch::Qwen3 => vec![
            ("model.layers.0.self_attn.q_norm.weight", vec![16]),
            ("model.layers.1.self_attn.k_norm.weight", vec![16]),
            ("lm_head.weight", vec![v, 64]),
        ],
        Arch::Gemma2 => vec![
            ("model.layers.0.pre_feedforward_layernorm.weight", vec![64]),
            ("model.layers.1.post_feedforward_layernorm.weight", vec![64]),
        ],
        Arch::Gemma3 => vec![
            ("model.layers.0.pre_feedforward_layernorm.weight", vec![64]),
            ("model.layers.1.post_feedforward_layernorm.weight", vec![64]),
            ("model.layers.0.self_attn.q_norm.weight", vec![16]),
            ("model.layers.1.self_attn.k_norm.weight", vec![16]),
        ],
        Arch::Phi3 => vec![
            ("model.layers.0.self_attn.qkv_proj.weight", vec![128, 64]),
            ("model.layers.1.mlp.gate_up_proj.weight", vec![256, 64]),
            ("lm_head.weight", vec![v, 64]),
        ],
    };
    if arch != Arch::Phi3 {
        common.extend(split_attention);
    }
    common.extend(extra);
    common
}

/// Names that must not be there.
fn absent_names(arch: Arch) -> Vec<&'static str> {
    let mut absent = vec!["model.layers.2.input_layernorm.weight"];
    match arch {
        Arch::Gemma2 | Arch::Gemma3 => absent.push("lm_head.weight"),
        Arch::Phi3 => absent.extend([
            "model.layers.0.self_attn.q_proj.weight",
            "model.layers.0.mlp.gate_proj.weight",
        ]),
        _ => {}
    }
    if arch != Arch::Qwen2 {
        absent.push("model.layers.0.self_attn.q_proj.bias");
    }
    if !matches!(arch, Arch::Qwen3 | Arch::Gemma3) {
        absent.push("model.layers.0.self_attn.q_norm.weight");
    }
    if !matches!(arch, Arch::Gemma2 | Arch::Gemma3) {
        absent.push("model.layers.0.pre_feedforward_layernorm.weight");
    }
    absent
}

#[test]
fn every_arch_writes_and_reloads_with_transformers_names_and_shapes() {
    let tmp = tempfile::tempdir().unwrap();
    let tok = synthetic_tokenizer(tmp.path());
    for arch in Arch::ALL {
        for dtype in [DType::F32, DType::BF16] {
            let spec = TinyModelSpec::new(arch)
                .with_dtype(dtype)
                .with_tokenizer_dir(&tok);
            let dir = tmp.path().join(format!("{arch}-{dtype:?}"));
            let model = write_tiny_model(&spec, &dir).unwrap();
            let found = reload(&model);

            let written: BTreeMap<String, (Dtype, Vec<usize>)> = model
                .tensors
                .iter()
                .map(|t| (t.name.clone(), (dtype.safetensors_dtype(), t.shape.clone())))
                .collect();
            assert_eq!(found, written, "{arch} {dtype:?}");
            for (name, shape) in expected_shapes(arch) {
                assert_eq!(
                    found.get(name).map(|(_, s)| s),
                    Some(&shape),
                    "{arch}: {name}"
                );
            }
            for name in absent_names(arch) {
                assert!(!found.contains_key(name), "{arch}: {name} should be absent");
            }

            assert_eq!(model.config["architectures"][0], arch.hf_architecture());
            assert_eq!(model.config["model_type"], arch.model_type());
            assert_eq!(model.config["vocab_size"], SYNTHETIC_VOCAB);
            assert_eq!(model.config["torch_dtype"], dtype.torch_name());
            let on_disk: Value =
                serde_json::from_slice(&std::fs::read(&model.config_path).unwrap()).unwrap();
            assert_eq!(on_disk, model.config);
            assert_eq!(model.weight_files, vec![dir.join(SAFETENSORS_FILE)]);
            assert!(model.index_path.is_none());
            assert_eq!(
                std::fs::read(&model.tokenizer_json).unwrap(),
                std::fs::read(tok.join("tokenizer.json")).unwrap()
            );
        }
    }
}

#[test]
fn values_follow_the_seed_and_dtype() {
    let tmp = tempfile::tempdir().unwrap();
    let tok = synthetic_tokenizer(tmp.path());
    let spec = TinyModelSpec::new(Arch::Qwen3)
        .with_seed(42)
        .with_tokenizer_dir(&tok);
    let a = write_tiny_model(&spec, tmp.path().join("a")).unwrap();
    let b = write_tiny_model(&spec, tmp.path().join("b")).unwrap();
    let c = write_tiny_model(&spec.clone().with_seed(43), tmp.path().join("c")).unwrap();
    let bf =
        write_tiny_model(&spec.clone().with_dtype(DType::BF16), tmp.path().join("bf")).unwrap();
    let bytes = |m: &TinyModel| std::fs::read(&m.weight_files[0]).unwrap();
    assert_eq!(bytes(&a), bytes(&b), "same seed, same bytes");
    assert_ne!(bytes(&a), bytes(&c));

    let name = "model.layers.1.self_attn.k_proj.weight";
    let expected = a.values(name).unwrap();
    assert_eq!(read_f32(&a, name), expected);
    let rounded: Vec<f32> = expected
        .iter()
        .map(|v| half::bf16::from_f32(*v).to_f32())
        .collect();
    assert_eq!(read_f32(&bf, name), rounded);
    assert!(expected.iter().any(|v| *v != 0.0));
    assert_eq!(
        read_f32(&a, "model.layers.0.self_attn.q_norm.weight"),
        vec![1.0; 16]
    );
    let gemma = write_tiny_model(
        &TinyModelSpec::new(Arch::Gemma2).with_tokenizer_dir(&tok),
        tmp.path().join("g"),
    )
    .unwrap();
    assert_eq!(read_f32(&gemma, "model.norm.weight"), vec![0.0; 64]);
}

#[test]
fn sharded_index_covers_every_tensor() {
    let tmp = tempfile::tempdir().unwrap();
    let tok = synthetic_tokenizer(tmp.path());
    for arch in Arch::ALL {
        let dir = tmp.path().join(arch.name());
        let spec = TinyModelSpec::new(arch)
            .with_dtype(DType::BF16)
            .with_sharded(true)
            .with_tokenizer_dir(&tok);
        let model = write_tiny_model(&spec, &dir).unwrap();
        assert!(!dir.join(SAFETENSORS_FILE).exists());
        assert_eq!(
            model.weight_files,
            vec![
                dir.join("model-00001-of-00002.safetensors"),
                dir.join("model-00002-of-00002.safetensors"),
            ]
        );
        let index_path = model.index_path.clone().unwrap();
        assert_eq!(index_path, dir.join(SAFETENSORS_INDEX_FILE));
        let index: Value = serde_json::from_slice(&std::fs::read(&index_path).unwrap()).unwrap();
        let weight_map = index["weight_map"].as_object().unwrap();

        let names: BTreeSet<&str> = model.tensors.iter().map(|t| t.name.as_str()).collect();
        let mapped: BTreeSet<&str> = weight_map.keys().map(String::as_str).collect();
        assert_eq!(
            mapped, names,
            "{arch}: index covers every tensor, nothing else"
        );

        // Each tensor is in the shard the index names, and each shard holds something.
        let mut per_file: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for file in &model.weight_files {
            let bytes = std::fs::read(file).unwrap();
            let st = SafeTensors::deserialize(&bytes).unwrap();
            let file_name = file.file_name().unwrap().to_string_lossy().into_owned();
            per_file.insert(
                file_name,
                st.names().into_iter().map(String::from).collect(),
            );
        }
        assert!(per_file.values().all(|names| !names.is_empty()));
        for (name, file) in weight_map {
            assert!(
                per_file[file.as_str().unwrap()].contains(name),
                "{arch}: {name} not in {file}"
            );
        }
        let total_size: usize = model.tensors.iter().map(|t| t.numel() * 2).sum();
        let total_parameters: usize = model.tensors.iter().map(TensorSpec::numel).sum();
        assert_eq!(index["metadata"]["total_size"], total_size);
        assert_eq!(index["metadata"]["total_parameters"], total_parameters);
        assert_eq!(reload(&model).len(), model.tensors.len());
    }
}

#[test]
fn v5_config_has_rope_parameters_and_no_rope_theta() {
    let tmp = tempfile::tempdir().unwrap();
    let tok = synthetic_tokenizer(tmp.path());
    for arch in Arch::ALL {
        let spec = TinyModelSpec::new(arch)
            .with_transformers_v5_config(true)
            .with_tokenizer_dir(&tok);
        let model = write_tiny_model(&spec, tmp.path().join(arch.name())).unwrap();
        let c = &model.config;
        for key in [
            "rope_theta",
            "rope_scaling",
            "rope_local_base_freq",
            "torch_dtype",
        ] {
            assert!(c.get(key).is_none(), "{arch}: v5 config has {key}");
        }
        assert_eq!(c["dtype"], "float32");
        assert_eq!(c["transformers_version"], TRANSFORMERS_V5_VERSION);
        let rope = &c["rope_parameters"];
        if arch == Arch::Gemma3 {
            assert_eq!(rope["full_attention"]["rope_type"], "default");
            assert_eq!(rope["full_attention"]["rope_theta"], 1_000_000.0);
            assert_eq!(rope["sliding_attention"]["rope_theta"], 10_000.0);
        } else {
            assert_eq!(rope["rope_type"], "default", "{arch}");
            assert!(rope["rope_theta"].as_f64().unwrap() > 0.0, "{arch}");
        }

        let v4 = write_tiny_model(
            &TinyModelSpec::new(arch).with_tokenizer_dir(&tok),
            tmp.path().join(format!("{arch}-v4")),
        )
        .unwrap();
        assert!(v4.config["rope_theta"].as_f64().unwrap() > 0.0, "{arch}");
        assert!(v4.config.get("rope_parameters").is_none(), "{arch}");
        assert_eq!(v4.config["transformers_version"], TRANSFORMERS_V4_VERSION);
    }
}

#[test]
fn overrides_change_tying_and_window() {
    let tmp = tempfile::tempdir().unwrap();
    let tok = synthetic_tokenizer(tmp.path());
    let untied_gemma = write_tiny_model(
        &TinyModelSpec::new(Arch::Gemma3)
            .with_tie_word_embeddings(false)
            .with_sliding_window(4)
            .with_tokenizer_dir(&tok),
        tmp.path().join("g"),
    )
    .unwrap();
    assert_eq!(untied_gemma.config["tie_word_embeddings"], false);
    assert_eq!(untied_gemma.config["sliding_window"], 4);
    assert!(untied_gemma.shape("lm_head.weight").is_some());

    let tied_llama = write_tiny_model(
        &TinyModelSpec::new(Arch::Llama)
            .with_tie_word_embeddings(true)
            .with_tokenizer_dir(&tok),
        tmp.path().join("l"),
    )
    .unwrap();
    assert_eq!(tied_llama.config["tie_word_embeddings"], true);
    assert!(tied_llama.shape("lm_head.weight").is_none());
    assert!(!reload(&tied_llama).contains_key("lm_head.weight"));
}

#[test]
fn missing_tokenizer_is_not_found() {
    let tmp = tempfile::tempdir().unwrap();
    let spec = TinyModelSpec::new(Arch::Llama).with_tokenizer_dir(tmp.path().join("nope"));
    let err = write_tiny_model(&spec, tmp.path().join("model")).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::NotFound);
    assert!(!tmp.path().join("model").exists());
}

/// config.json equals what transformers writes (tests/golden, see make_golden.py there) for the
/// same dimensions and the real tokenizers' ids.
#[test]
fn configs_match_transformers_golden_files() {
    let goldens: [(Arch, &str, &str); 7] = [
        (
            Arch::Llama,
            include_str!("../../tests/golden/llama.v4.config.json"),
            include_str!("../../tests/golden/llama.v5.config.json"),
        ),
        (
            Arch::Qwen2,
            include_str!("../../tests/golden/qwen2.v4.config.json"),
            include_str!("../../tests/golden/qwen2.v5.config.json"),
        ),
        (
            Arch::Qwen3,
            include_str!("../../tests/golden/qwen3.v4.config.json"),
            include_str!("../../tests/golden/qwen3.v5.config.json"),
        ),
        (
            Arch::Gemma2,
            include_str!("../../tests/golden/gemma2.v4.config.json"),
            include_str!("../../tests/golden/gemma2.v5.config.json"),
        ),
        (
            Arch::Gemma3,
            include_str!("../../tests/golden/gemma3.v4.config.json"),
            include_str!("../../tests/golden/gemma3.v5.config.json"),
        ),
        (
            Arch::Mistral,
            include_str!("../../tests/golden/mistral.v4.config.json"),
            include_str!("../../tests/golden/mistral.v5.config.json"),
        ),
        (
            Arch::Phi3,
            include_str!("../../tests/golden/phi3.v4.config.json"),
            include_str!("../../tests/golden/phi3.v5.config.json"),
        ),
    ];
    for (arch, v4, v5) in goldens {
        let tok_dir = fixture_or_skip!(crate::fixtures::tokenizer_dir(arch.tokenizer()));
        let tokenizer = tokenizer_info(&tok_dir).unwrap();
        for (v5_layout, golden) in [(false, v4), (true, v5)] {
            let golden: Value = serde_json::from_str(golden).unwrap();
            let ours = config::config_json(&config::ConfigInputs {
                arch,
                dtype: DType::BF16,
                v5: v5_layout,
                tokenizer: &tokenizer,
                tie_word_embeddings: arch.default_tie_word_embeddings(),
                sliding_window: None,
            });
            assert_eq!(
                ours,
                golden,
                "{arch} v5={v5_layout}\nours:   {}\ngolden: {}",
                serde_json::to_string(&ours).unwrap(),
                serde_json::to_string(&golden).unwrap()
            );
        }
    }
}

/// With the real tokenizers: the embedding covers every id, the special ids are the real ones.
#[test]
fn real_tokenizers_size_the_embedding() {
    let tmp = tempfile::tempdir().unwrap();
    for arch in Arch::ALL {
        let tok_dir = fixture_or_skip!(crate::fixtures::tokenizer_dir(arch.tokenizer()));
        let dir = tmp.path().join(arch.name());
        let spec = TinyModelSpec::new(arch).with_dtype(DType::BF16);
        let model = write_tiny_model(&spec, &dir).unwrap();
        let vocab = model.vocab_size();
        let found = reload(&model);
        assert_eq!(
            found["model.embed_tokens.weight"].1,
            vec![vocab, HIDDEN_SIZE]
        );
        if let Some((_, shape)) = found.get("lm_head.weight") {
            assert_eq!(shape, &vec![vocab, HIDDEN_SIZE]);
        }
        assert_eq!(model.config["vocab_size"], vocab);
        assert_eq!(model.config["torch_dtype"], "bfloat16");
        // Every added token id is inside the embedding.
        let tokenizer: Value =
            serde_json::from_slice(&std::fs::read(tok_dir.join("tokenizer.json")).unwrap())
                .unwrap();
        let max_added = tokenizer["added_tokens"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|t| t["id"].as_u64())
            .max()
            .unwrap();
        assert!((max_added as usize) < vocab, "{arch}");
        assert_eq!(
            model.config["eos_token_id"],
            model.tokenizer.eos_token_id.unwrap()
        );
        let template: Value =
            serde_json::from_slice(&std::fs::read(&model.tokenizer_config).unwrap()).unwrap();
        assert!(template["chat_template"].is_string(), "{arch}");
        // Files are replaced in place when written again.
        write_tiny_model(&spec, &dir).unwrap();
        let leftovers: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with('.') || n.contains("tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }
}
