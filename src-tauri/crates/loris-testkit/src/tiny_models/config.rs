//! config.json as transformers' `save_pretrained` writes it.
//!
//! Two layouts, each checked field for field against the real output in `tests/golden/`:
//! transformers 4.55 (`rope_theta`, `torch_dtype`, and only the fields that differ from the
//! defaults of `PretrainedConfig` or of the model's config class) and transformers 5.x
//! (`rope_parameters`, `dtype`, token ids and `tie_word_embeddings` always written).

use serde_json::{Map, Value, json};

use super::{
    Arch, DType, HEAD_DIM, HIDDEN_SIZE, INTERMEDIATE_SIZE, NUM_HEADS, NUM_KV_HEADS, NUM_LAYERS,
    TokenizerInfo,
};

/// `transformers_version` written in the 4.x layout.
pub const TRANSFORMERS_V4_VERSION: &str = "4.55.4";
/// `transformers_version` written in the 5.x layout.
pub const TRANSFORMERS_V5_VERSION: &str = "5.24.0";

/// Everything config.json depends on.
pub(super) struct ConfigInputs<'a> {
    pub arch: Arch,
    pub dtype: DType,
    pub v5: bool,
    pub tokenizer: &'a TokenizerInfo,
    pub tie_word_embeddings: bool,
    pub sliding_window: Option<usize>,
}

/// Class defaults of the fields that `PretrainedConfig` also defines (there: ids `None`,
/// `tie_word_embeddings` true). transformers 4.x omits such a field when its value equals both.
struct ClassDefaults {
    bos: Option<u32>,
    eos: Option<u32>,
    pad: Option<u32>,
    tie: bool,
}

fn class_defaults(arch: Arch) -> ClassDefaults {
    let (bos, eos, pad, tie) = match arch {
        Arch::Llama | Arch::Mistral => (Some(1), Some(2), None, false),
        Arch::Qwen2 | Arch::Qwen3 => (None, None, None, false),
        Arch::Gemma2 | Arch::Gemma3 => (Some(2), Some(1), Some(0), true),
        Arch::Phi3 => (Some(1), Some(32000), Some(32000), false),
    };
    ClassDefaults { bos, eos, pad, tie }
}

/// The rope base frequency of each architecture's real checkpoints (Gemma 3: global layers).
pub(super) fn rope_theta(arch: Arch) -> f64 {
    match arch {
        Arch::Llama => 500_000.0,
        Arch::Qwen2 | Arch::Qwen3 | Arch::Mistral | Arch::Gemma3 => 1_000_000.0,
        Arch::Gemma2 | Arch::Phi3 => 10_000.0,
    }
}

/// Gemma 3's rope base for its sliding-window layers (`rope_local_base_freq`).
pub(super) const GEMMA3_LOCAL_ROPE_THETA: f64 = 10_000.0;

/// The default `sliding_window` written for the architectures that have one.
pub(super) fn default_sliding_window(arch: Arch) -> Option<usize> {
    match arch {
        Arch::Gemma2 | Arch::Mistral => Some(4096),
        // gemma-3-270m's value
        Arch::Gemma3 => Some(512),
        _ => None,
    }
}

fn rope_default(theta: f64) -> Value {
    json!({"rope_type": "default", "rope_theta": theta})
}

fn id(v: Option<u32>) -> Value {
    v.map_or(Value::Null, Value::from)
}

pub(super) fn config_json(inputs: &ConfigInputs<'_>) -> Value {
    let ConfigInputs {
        arch,
        dtype,
        v5,
        tokenizer,
        tie_word_embeddings,
        sliding_window,
    } = *inputs;
    let sliding_window = sliding_window.or(default_sliding_window(arch));
    let theta = rope_theta(arch);
    let mut c = Map::new();
    let mut set = |key: &str, value: Value| {
        c.insert(key.to_owned(), value);
    };

    set("architectures", json!([arch.hf_architecture()]));
    set("model_type", json!(arch.model_type()));
    set("hidden_size", json!(HIDDEN_SIZE));
    set("intermediate_size", json!(INTERMEDIATE_SIZE));
    set("num_hidden_layers", json!(NUM_LAYERS));
    set("num_attention_heads", json!(NUM_HEADS));
    set("num_key_value_heads", json!(NUM_KV_HEADS));
    set("vocab_size", json!(tokenizer.vocab_size));
    set("attention_dropout", json!(0.0));
    set("initializer_range", json!(0.02));
    set("use_cache", json!(true));
    if v5 {
        set("dtype", json!(dtype.torch_name()));
        set("transformers_version", json!(TRANSFORMERS_V5_VERSION));
    } else {
        set("torch_dtype", json!(dtype.torch_name()));
        set("transformers_version", json!(TRANSFORMERS_V4_VERSION));
    }

    let full = || json!(vec!["full_attention"; NUM_LAYERS]);
    // Alternating, sliding first, as Gemma 2 does (and as we ask of Gemma 3 so that a two-layer
    // model has one layer of each kind).
    let alternating = || {
        json!(
            (0..NUM_LAYERS)
                .map(|i| if i % 2 == 0 {
                    "sliding_attention"
                } else {
                    "full_attention"
                })
                .collect::<Vec<_>>()
        )
    };
    // Plain rope: `rope_theta` (+ `rope_scaling: null` where the class has it) in 4.x,
    // `rope_parameters` in 5.x.
    let plain_rope = |set: &mut dyn FnMut(&str, Value), with_scaling: bool| {
        if v5 {
            set("rope_parameters", rope_default(theta));
        } else {
            set("rope_theta", json!(theta));
            if with_scaling {
                set("rope_scaling", Value::Null);
            }
        }
    };

    match arch {
        Arch::Llama => {
            set("attention_bias", json!(false));
            set("head_dim", json!(HEAD_DIM));
            set("hidden_act", json!("silu"));
            set("max_position_embeddings", json!(2048));
            set("mlp_bias", json!(false));
            set("pretraining_tp", json!(1));
            set("rms_norm_eps", json!(1e-6));
            plain_rope(&mut set, true);
        }
        Arch::Qwen2 | Arch::Qwen3 => {
            if arch == Arch::Qwen3 {
                set("attention_bias", json!(false));
                set("head_dim", json!(HEAD_DIM));
            }
            set("hidden_act", json!("silu"));
            set("layer_types", full());
            set("max_position_embeddings", json!(32768));
            set("max_window_layers", json!(28));
            set("rms_norm_eps", json!(1e-6));
            set("sliding_window", Value::Null);
            set("use_sliding_window", json!(false));
            plain_rope(&mut set, true);
        }
        Arch::Gemma2 => {
            set("attention_bias", json!(false));
            set("attn_logit_softcapping", json!(50.0));
            set("final_logit_softcapping", json!(30.0));
            set("head_dim", json!(HEAD_DIM));
            set("hidden_activation", json!("gelu_pytorch_tanh"));
            set("layer_types", alternating());
            set("max_position_embeddings", json!(8192));
            set("query_pre_attn_scalar", json!(HEAD_DIM));
            set("rms_norm_eps", json!(1e-6));
            set("sliding_window", json!(sliding_window));
            if v5 {
                set("use_bidirectional_attention", Value::Null);
            }
            plain_rope(&mut set, false);
        }
        Arch::Gemma3 => {
            set("_sliding_window_pattern", json!(6));
            set("attention_bias", json!(false));
            set("attn_logit_softcapping", Value::Null);
            set("final_logit_softcapping", Value::Null);
            set("head_dim", json!(HEAD_DIM));
            set("hidden_activation", json!("gelu_pytorch_tanh"));
            set("layer_types", alternating());
            set("max_position_embeddings", json!(131072));
            set("query_pre_attn_scalar", json!(HEAD_DIM));
            set("rms_norm_eps", json!(1e-6));
            set("sliding_window", json!(sliding_window));
            if v5 {
                set("use_bidirectional_attention", json!(false));
                set(
                    "rope_parameters",
                    json!({
                        "full_attention": rope_default(theta),
                        "sliding_attention": rope_default(GEMMA3_LOCAL_ROPE_THETA),
                    }),
                );
            } else {
                set("rope_local_base_freq", json!(GEMMA3_LOCAL_ROPE_THETA));
                set("rope_scaling", Value::Null);
                set("rope_theta", json!(theta));
            }
        }
        Arch::Mistral => {
            set("head_dim", json!(HEAD_DIM));
            set("hidden_act", json!("silu"));
            set("max_position_embeddings", json!(131072));
            set("rms_norm_eps", json!(1e-6));
            set("sliding_window", json!(sliding_window));
            plain_rope(&mut set, false);
        }
        Arch::Phi3 => {
            set("embd_pdrop", json!(0.0));
            set("hidden_act", json!("silu"));
            set("max_position_embeddings", json!(4096));
            set("original_max_position_embeddings", json!(4096));
            set("resid_pdrop", json!(0.0));
            set("rms_norm_eps", json!(1e-5));
            set("sliding_window", Value::Null);
            if v5 {
                set(
                    "rope_parameters",
                    json!({"partial_rotary_factor": 1.0, "rope_type": "default", "rope_theta": theta}),
                );
            } else {
                set("partial_rotary_factor", json!(1.0));
                set("rope_scaling", Value::Null);
                set("rope_theta", json!(theta));
            }
        }
    }

    // Fields that PretrainedConfig also defines (ids: None, tie: true): 5.x always writes them,
    // 4.x only when they differ from PretrainedConfig's default or from the class default.
    let defaults = class_defaults(arch);
    let ids = [
        ("bos_token_id", tokenizer.bos_token_id, defaults.bos),
        ("eos_token_id", tokenizer.eos_token_id, defaults.eos),
        ("pad_token_id", tokenizer.pad_token_id, defaults.pad),
    ];
    for (key, value, class_default) in ids {
        if v5 || value.is_some() || class_default.is_some() {
            set(key, id(value));
        }
    }
    if v5 || !tie_word_embeddings || !defaults.tie {
        set("tie_word_embeddings", json!(tie_word_embeddings));
    }

    Value::Object(c)
}
