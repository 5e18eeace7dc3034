//! config.json → [`ModelShape`] + [`ArchLayout`], for the architectures the estimator knows.
//!
//! Reads both transformers v4 and v5 layouts: `torch_dtype` or `dtype`; `rope_theta` /
//! `rope_scaling` or `rope_parameters` (neither matters for memory, so neither is required);
//! sliding layers from `layer_types` when present, else from each architecture's v4 fields.
//! Multimodal configs (Gemma 3) keep the language model in `text_config`; its fields win, the
//! top level fills in the rest.
//!
//! Every number is checked: a value that cannot describe a real model (zero or negative sizes,
//! more KV heads than heads, a hidden size not divisible by the heads) is a typed error rather
//! than an estimate of nonsense.

use serde_json::{Map, Value};

use super::shape::{ArchLayout, ModelShape};
use crate::error::{HardwareError, Result};

/// `model_type` values the estimator can count parameters for.
pub const SUPPORTED_MODEL_TYPES: [&str; 8] = [
    "llama",
    "mistral",
    "qwen2",
    "qwen3",
    "gemma2",
    "gemma3",
    "gemma3_text",
    "phi3",
];

// Upper bounds far beyond any released model, so a typo or a corrupted file fails here instead
// of producing exabytes (and so products of these never overflow an f64's exact range much).
const MAX_HIDDEN: u64 = 1 << 20;
const MAX_LAYERS: u64 = 4096;
const MAX_HEADS: u64 = 1 << 14;
const MAX_HEAD_DIM: u64 = 1 << 14;
const MAX_INTERMEDIATE: u64 = 1 << 22;
const MAX_VOCAB: u64 = 1 << 24;
const MAX_POSITIONS: u64 = 1 << 40;

/// A parsed config.json.
#[derive(Debug, Clone, PartialEq)]
pub struct HfConfig {
    pub shape: ModelShape,
    pub layout: ArchLayout,
    /// Things the estimate could not account for, to show beside it.
    pub notes: Vec<String>,
}

/// Parses config.json text; `source_name` names the file in error messages.
pub fn parse_config_json(text: &str, source_name: &str) -> Result<HfConfig> {
    let value: Value = serde_json::from_str(text).map_err(|e| HardwareError::InvalidJson {
        path: source_name.into(),
        reason: e.to_string(),
    })?;
    parse_config(&value, source_name)
}

pub fn parse_config(value: &Value, source_name: &str) -> Result<HfConfig> {
    let Some(top) = value.as_object() else {
        return Err(HardwareError::InvalidJson {
            path: source_name.into(),
            reason: "the top level is not a JSON object".into(),
        });
    };
    let text = match top.get("text_config") {
        Some(Value::Object(text)) => text,
        _ => top,
    };
    let mut f = Fields {
        text,
        top,
        source: source_name,
        defaults: &[],
    };
    let model_type = f
        .str("model_type")
        .ok_or_else(|| f.missing("model_type"))?
        .to_owned();
    if !SUPPORTED_MODEL_TYPES.contains(&model_type.as_str()) {
        return Err(HardwareError::UnsupportedArchitecture {
            model_type,
            supported: SUPPORTED_MODEL_TYPES.join(", "),
        });
    }
    f.defaults = class_defaults(&model_type);

    let hidden_size = f.required("hidden_size", MAX_HIDDEN)?;
    let num_layers = f.required("num_hidden_layers", MAX_LAYERS)?;
    let num_heads = f.required("num_attention_heads", MAX_HEADS)?;
    let num_kv_heads = f
        .positive("num_key_value_heads", MAX_HEADS)?
        .unwrap_or(num_heads);
    if num_kv_heads > num_heads || num_heads % num_kv_heads != 0 {
        return Err(f.invalid(
            "num_key_value_heads",
            format!("{num_kv_heads} does not divide num_attention_heads ({num_heads})"),
        ));
    }
    let head_dim = match f.positive("head_dim", MAX_HEAD_DIM)? {
        Some(d) => d,
        None if hidden_size % num_heads != 0 => {
            return Err(f.invalid(
                "hidden_size",
                format!(
                    "{hidden_size} is not divisible by num_attention_heads ({num_heads}) and no head_dim is given"
                ),
            ));
        }
        None => hidden_size / num_heads,
    };
    let intermediate_size = f.required("intermediate_size", MAX_INTERMEDIATE)?;
    let vocab_size = f.required("vocab_size", MAX_VOCAB)?;
    let tie_word_embeddings = f
        .bool("tie_word_embeddings")?
        .unwrap_or(model_type.starts_with("gemma"));
    let max_position_embeddings = f.positive("max_position_embeddings", MAX_POSITIONS)?;
    let dtype = f
        .str("dtype")
        .or_else(|| f.str("torch_dtype"))
        .map(str::to_owned);
    let layer_windows = layer_windows(&f, &model_type, num_layers)?;

    let attention_bias = f.bool("attention_bias")?.unwrap_or(false);
    let mut layout = ArchLayout {
        norms_per_layer: 2,
        ..ArchLayout::default()
    };
    match model_type.as_str() {
        "llama" => {
            layout.qkv_bias = attention_bias;
            layout.o_bias = attention_bias;
            layout.mlp_bias = f.bool("mlp_bias")?.unwrap_or(false);
        }
        // Qwen2 always has q/k/v biases, whatever the config says.
        "qwen2" => layout.qkv_bias = true,
        "qwen3" => {
            layout.qkv_bias = attention_bias;
            layout.o_bias = attention_bias;
            layout.qk_norm = true;
        }
        "gemma2" => layout.norms_per_layer = 4,
        "gemma3" | "gemma3_text" => {
            layout.norms_per_layer = 4;
            layout.qk_norm = true;
        }
        "phi3" => layout.fused_projections = true,
        _ => {}
    }

    let mut notes = Vec::new();
    if let Some(Value::Object(vision)) = top.get("vision_config") {
        match vision_parameters(vision, hidden_size) {
            Some(n) => layout.vision_parameters = n,
            None => notes.push(
                "the vision tower is not counted: its config lacks sizes the estimator needs"
                    .to_owned(),
            ),
        }
    }

    let shape = ModelShape {
        model_type,
        hidden_size,
        num_layers,
        num_heads,
        num_kv_heads,
        head_dim,
        value_head_dim: head_dim,
        intermediate_size,
        vocab_size,
        tie_word_embeddings,
        layer_kv_heads: vec![num_kv_heads; num_layers as usize],
        layer_windows,
        max_position_embeddings,
        dtype,
    };
    Ok(HfConfig {
        shape,
        layout,
        notes,
    })
}

/// Class defaults that released configs rely on by leaving the field out (transformers fills
/// them in from the config class). Gemma 3 multimodal `text_config`s omit heads, KV heads,
/// head_dim and vocab_size; Gemma 2/3 and Qwen3 default head_dim to a fixed value rather than
/// hidden/heads.
fn class_defaults(model_type: &str) -> &'static [(&'static str, u64)] {
    match model_type {
        "gemma3" | "gemma3_text" => &[
            ("hidden_size", 2304),
            ("intermediate_size", 9216),
            ("num_hidden_layers", 26),
            ("num_attention_heads", 8),
            ("num_key_value_heads", 4),
            ("head_dim", 256),
            ("vocab_size", 262_208),
            ("sliding_window", 4096),
        ],
        "gemma2" => &[("head_dim", 256), ("sliding_window", 4096)],
        "qwen3" => &[("head_dim", 128)],
        _ => &[],
    }
}

/// Which layers use a sliding window, and how wide it is.
fn layer_windows(f: &Fields<'_>, model_type: &str, num_layers: u64) -> Result<Vec<Option<u64>>> {
    let n = num_layers as usize;
    let window = f.positive("sliding_window", MAX_POSITIONS)?;
    let need_window = || f.missing("sliding_window");

    // v5 (and late v4) configs spell it out per layer.
    if let Some(types) = f.raw("layer_types") {
        let Some(types) = types.as_array() else {
            return Err(f.invalid("layer_types", "must be a list of strings"));
        };
        if types.len() != n {
            return Err(f.invalid(
                "layer_types",
                format!("has {} entries for {num_layers} layers", types.len()),
            ));
        }
        return types
            .iter()
            .map(|t| match t.as_str() {
                Some("full_attention") => Ok(None),
                Some("sliding_attention") => window.map(Some).ok_or_else(need_window),
                other => Err(f.invalid(
                    "layer_types",
                    format!("unknown layer type {}", other.unwrap_or("(not a string)")),
                )),
            })
            .collect();
    }

    Ok(match model_type {
        // Gemma 2 alternates, starting with a sliding layer.
        "gemma2" => {
            let w = window.ok_or_else(need_window)?;
            (0..n).map(|i| (i % 2 == 0).then_some(w)).collect()
        }
        // Gemma 3: every `pattern`-th layer is global, the rest slide.
        "gemma3" | "gemma3_text" => {
            let w = window.ok_or_else(need_window)?;
            let pattern = match f.positive("sliding_window_pattern", MAX_LAYERS)? {
                Some(p) => p,
                None => f
                    .positive("_sliding_window_pattern", MAX_LAYERS)?
                    .unwrap_or(6),
            } as usize;
            (0..n)
                .map(|i| ((i + 1) % pattern != 0).then_some(w))
                .collect()
        }
        // Qwen2/3: only with use_sliding_window, and only from max_window_layers on.
        "qwen2" | "qwen3" => match (f.bool("use_sliding_window")?.unwrap_or(false), window) {
            (true, Some(w)) => {
                let from = f
                    .positive("max_window_layers", MAX_LAYERS)?
                    .unwrap_or(num_layers) as usize;
                (0..n).map(|i| (i >= from).then_some(w)).collect()
            }
            _ => vec![None; n],
        },
        // Mistral (v0.1) and Phi-3 apply their window to every layer when one is set.
        "mistral" | "phi3" => vec![window; n],
        _ => vec![None; n],
    })
}

/// A ViT (SigLIP) tower plus a linear projector into the text model: per layer q/k/v/o with
/// biases, a two-matrix MLP with biases and two LayerNorms; patch embedding, position
/// embeddings, a final LayerNorm; the projector (`vision_hidden × text_hidden`) and its norm.
fn vision_parameters(vision: &Map<String, Value>, text_hidden: u64) -> Option<u64> {
    let get = |k: &str| vision.get(k).and_then(Value::as_u64).filter(|v| *v > 0);
    let h = get("hidden_size")?;
    let i = get("intermediate_size")?;
    let layers = get("num_hidden_layers")?;
    let patch = get("patch_size")?;
    let image = get("image_size")?;
    let channels = get("num_channels").unwrap_or(3);
    let per_layer = 4 * (h * h + h) + (h * i + i) + (i * h + h) + 2 * 2 * h;
    let patches = (image / patch).pow(2);
    let embeddings = channels * patch * patch * h + h + patches * h;
    let projector = h * text_hidden + h;
    Some(layers * per_layer + embeddings + 2 * h + projector)
}

/// Field access with the checks and the text_config → top-level → class-default fallback.
struct Fields<'a> {
    text: &'a Map<String, Value>,
    top: &'a Map<String, Value>,
    source: &'a str,
    defaults: &'static [(&'static str, u64)],
}

impl Fields<'_> {
    /// The value of `key`, treating JSON `null` as absent.
    fn raw(&self, key: &str) -> Option<&Value> {
        [self.text, self.top]
            .into_iter()
            .filter_map(|m| m.get(key))
            .find(|v| !v.is_null())
    }

    fn str(&self, key: &str) -> Option<&str> {
        self.raw(key).and_then(Value::as_str)
    }

    fn bool(&self, key: &str) -> Result<Option<bool>> {
        match self.raw(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(self.invalid(key, format!("must be true or false, got {other}"))),
        }
    }

    /// A whole number ≥ 1 and ≤ `max`, or `None` when absent and without a class default.
    fn positive(&self, key: &str, max: u64) -> Result<Option<u64>> {
        let Some(value) = self.raw(key) else {
            return Ok(self
                .defaults
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| *v));
        };
        let n = match value {
            Value::Number(n) => n,
            other => return Err(self.invalid(key, format!("must be a number, got {other}"))),
        };
        let v = match (n.as_u64(), n.as_i64()) {
            (Some(v), _) => v,
            (None, Some(neg)) => {
                return Err(self.invalid(key, format!("must be positive, got {neg}")));
            }
            (None, None) => {
                return Err(self.invalid(key, format!("must be a whole number, got {n}")));
            }
        };
        if v == 0 {
            return Err(self.invalid(key, "must be at least 1, got 0"));
        }
        if v > max {
            return Err(self.invalid(key, format!("{v} is not plausible (at most {max})")));
        }
        Ok(Some(v))
    }

    fn required(&self, key: &str, max: u64) -> Result<u64> {
        self.positive(key, max)?.ok_or_else(|| self.missing(key))
    }

    fn missing(&self, key: &str) -> HardwareError {
        HardwareError::MissingField {
            source_name: self.source.to_owned(),
            field: key.to_owned(),
        }
    }

    fn invalid(&self, key: &str, reason: impl Into<String>) -> HardwareError {
        HardwareError::InvalidField {
            source_name: self.source.to_owned(),
            field: key.to_owned(),
            reason: reason.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn llama() -> Value {
        json!({
            "model_type": "llama", "hidden_size": 2048, "num_hidden_layers": 16,
            "num_attention_heads": 32, "num_key_value_heads": 8, "intermediate_size": 8192,
            "vocab_size": 128256, "tie_word_embeddings": true, "torch_dtype": "bfloat16"
        })
    }

    fn err_field(value: Value) -> (String, String) {
        let err = parse_config(&value, "config.json").expect_err("must be rejected");
        let field = err
            .details()
            .and_then(|d| d["field"].as_str().map(str::to_owned))
            .unwrap_or_default();
        (err.code().to_owned(), field)
    }

    #[test]
    fn missing_and_nonsense_fields_are_typed_errors_naming_the_field() {
        let mut v = llama();
        v.as_object_mut().unwrap().remove("vocab_size");
        assert_eq!(err_field(v), ("invalid_config".into(), "vocab_size".into()));

        for (field, bad) in [
            ("num_attention_heads", json!(0)),
            ("hidden_size", json!(-2048)),
            ("intermediate_size", json!(8192.5)),
            ("num_hidden_layers", json!("16")),
            ("vocab_size", json!(1u64 << 40)),
            ("tie_word_embeddings", json!("yes")),
        ] {
            let mut v = llama();
            v[field] = bad.clone();
            assert_eq!(
                err_field(v),
                ("invalid_config".into(), field.into()),
                "{field} = {bad}"
            );
        }

        let mut kv = llama();
        kv["num_key_value_heads"] = json!(7);
        assert_eq!(err_field(kv).1, "num_key_value_heads");

        let mut odd = llama();
        odd["num_attention_heads"] = json!(30);
        odd["num_key_value_heads"] = json!(6);
        let err = parse_config(&odd, "config.json").unwrap_err();
        assert!(err.to_string().contains("not divisible"), "{err}");
    }

    #[test]
    fn not_json_or_an_unknown_architecture_are_clear() {
        let err = parse_config_json("{ nope", "config.json").unwrap_err();
        assert_eq!(err.code(), "invalid_config");
        let err = parse_config_json("[1, 2]", "config.json").unwrap_err();
        assert_eq!(err.code(), "invalid_config");
        let err = parse_config(&json!({"model_type": "mixtral"}), "c").unwrap_err();
        assert_eq!(err.code(), "unsupported_architecture");
        assert!(err.to_string().contains("qwen3"));
        let err = parse_config(&json!({"hidden_size": 8}), "c").unwrap_err();
        assert_eq!(
            err_field(json!({"hidden_size": 8})).1,
            "model_type",
            "{err}"
        );
    }

    #[test]
    fn null_fields_count_as_absent() {
        let mut v = llama();
        v["head_dim"] = Value::Null;
        v["sliding_window"] = Value::Null;
        let cfg = parse_config(&v, "c").unwrap();
        assert_eq!(cfg.shape.head_dim, 64);
        assert_eq!(cfg.shape.sliding_layers(), 0);
    }

    #[test]
    fn v5_layer_types_and_dtype_are_read() {
        let v = json!({
            "model_type": "qwen3", "hidden_size": 1024, "num_hidden_layers": 4,
            "num_attention_heads": 16, "num_key_value_heads": 8, "head_dim": 128,
            "intermediate_size": 3072, "vocab_size": 151936, "dtype": "bfloat16",
            "rope_parameters": {"rope_type": "default", "rope_theta": 1000000.0},
            "sliding_window": 4096,
            "layer_types": ["full_attention", "sliding_attention", "full_attention", "sliding_attention"]
        });
        let cfg = parse_config(&v, "c").unwrap();
        assert_eq!(cfg.shape.dtype.as_deref(), Some("bfloat16"));
        assert_eq!(
            cfg.shape.layer_windows,
            vec![None, Some(4096), None, Some(4096)]
        );
        assert!(!cfg.shape.tie_word_embeddings, "qwen3 unties by default");

        let mut short = v.clone();
        short["layer_types"] = json!(["full_attention"]);
        assert_eq!(err_field(short).1, "layer_types");
        let mut no_window = v;
        no_window["sliding_window"] = Value::Null;
        assert_eq!(err_field(no_window).1, "sliding_window");
    }

    #[test]
    fn gemma3_multimodal_reads_text_config_with_class_defaults() {
        // The shape of google/gemma-3-4b-it's config.json: the text config leaves heads,
        // KV heads, head_dim and vocab to the class defaults.
        let v = json!({
            "architectures": ["Gemma3ForConditionalGeneration"],
            "model_type": "gemma3",
            "text_config": {
                "hidden_size": 2560, "intermediate_size": 10240, "model_type": "gemma3_text",
                "num_hidden_layers": 34, "rope_scaling": {"factor": 8.0, "rope_type": "linear"},
                "sliding_window": 1024
            },
            "vision_config": {
                "hidden_size": 1152, "image_size": 896, "intermediate_size": 4304,
                "model_type": "siglip_vision_model", "num_attention_heads": 16,
                "num_hidden_layers": 27, "patch_size": 14, "vision_use_head": false
            },
            "torch_dtype": "bfloat16"
        });
        let cfg = parse_config(&v, "c").unwrap();
        let s = &cfg.shape;
        assert_eq!(s.model_type, "gemma3_text");
        assert_eq!((s.num_heads, s.num_kv_heads, s.head_dim), (8, 4, 256));
        assert_eq!(s.vocab_size, 262_208);
        assert!(s.tie_word_embeddings);
        // 34 layers, every 6th global: layers 5, 11, 17, 23, 29 → 5 global, 29 sliding.
        assert_eq!(s.sliding_layers(), 29);
        assert_eq!(s.sliding_window(), Some(1024));
        assert_eq!(s.dtype.as_deref(), Some("bfloat16"));
        // SigLIP, h = 1152, i = 4304: per layer 4(h²+h) = 5,313,024 attention + (h·i+i) +
        // (i·h+h) = 9,921,872 MLP + 4h = 4,608 norms = 15,239,504; × 27 = 411,466,608.
        // Patch embedding 3·14²·h + h = 678,528; positions (896/14)² · h = 4,718,592; post-norm
        // 2h = 2,304; projector h·2560 + h = 2,950,272. Total 419,816,304.
        assert_eq!(cfg.layout.vision_parameters, 419_816_304);
        assert_eq!(cfg.layout.norms_per_layer, 4);
    }

    #[test]
    fn v4_sliding_rules_per_architecture() {
        let base = |t: &str| {
            json!({"model_type": t, "hidden_size": 64, "num_hidden_layers": 6,
                   "num_attention_heads": 4, "intermediate_size": 128, "vocab_size": 100,
                   "head_dim": 16, "sliding_window": 32})
        };
        let windows = |v: Value| parse_config(&v, "c").unwrap().shape.layer_windows;
        let s = Some(32);
        assert_eq!(windows(base("gemma2")), vec![s, None, s, None, s, None]);
        assert_eq!(windows(base("gemma3_text")), vec![s, s, s, s, s, None]);
        assert_eq!(windows(base("mistral")), vec![s; 6]);
        assert_eq!(windows(base("phi3")), vec![s; 6]);
        assert_eq!(
            windows(base("qwen2")),
            vec![None; 6],
            "off unless use_sliding_window"
        );
        let mut q = base("qwen2");
        q["use_sliding_window"] = json!(true);
        q["max_window_layers"] = json!(4);
        assert_eq!(windows(q), vec![None, None, None, None, s, s]);
        assert_eq!(windows(base("llama")), vec![None; 6]);
    }
}
