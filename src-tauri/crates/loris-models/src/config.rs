//! config.json: one normalized view of the fields every architecture needs, read from either
//! the transformers v4 layout (`rope_theta`, `rope_scaling`, `torch_dtype`) or the v5 layout
//! (`rope_parameters`, possibly per layer type, `dtype`).
//!
//! transformers 4.x omits fields equal to the config class's defaults, so fields with a
//! class default fall back to it here; the RoPE base never does: a model run with the wrong base
//! produces fluent nonsense, so a config without one is rejected.

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::{Map, Value};

use crate::arch::Architecture;
use crate::error::{ModelError, Result};

#[derive(Debug, Clone, Serialize)]
pub struct ModelConfig {
    pub architecture: Architecture,
    pub hidden_size: usize,
    pub intermediate_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub num_key_value_heads: usize,
    pub head_dim: usize,
    pub vocab_size: usize,
    pub rms_norm_eps: f64,
    pub max_position_embeddings: usize,
    pub tie_word_embeddings: bool,
    pub rope: RopeConfig,
    /// Window of the sliding-window layers, when the model has any.
    pub sliding_window: Option<usize>,
    /// One entry per layer; every layer is full attention when the config has no `layer_types`
    /// and no sliding window.
    pub layer_types: Vec<LayerType>,
    /// `hidden_act` / `hidden_activation`.
    pub hidden_act: String,
    pub bos_token_id: Option<u32>,
    pub eos_token_ids: Vec<u32>,
    /// `torch_dtype` (v4) or `dtype` (v5), as written.
    pub dtype: Option<String>,
    /// The whole file, for the architecture code that needs fields not normalized here.
    #[serde(skip)]
    pub raw: Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LayerType {
    FullAttention,
    SlidingAttention,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RopeConfig {
    /// Base frequency of full-attention layers.
    pub theta: f64,
    /// Base frequency of sliding-window layers where it differs (Gemma 3).
    pub local_theta: Option<f64>,
    /// Scaling of the full-attention layers (`rope_scaling` / `rope_parameters`).
    pub scaling: RopeScaling,
    /// Fraction of each head's dimensions that is rotated.
    pub partial_rotary_factor: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RopeScaling {
    None,
    Linear {
        factor: f64,
    },
    Llama3 {
        factor: f64,
        low_freq_factor: f64,
        high_freq_factor: f64,
        original_max_position_embeddings: usize,
    },
    /// A scaling type this crate parses but does not interpret (yarn, longrope, dynamic, ...);
    /// a model loader must refuse it rather than run without it.
    Other {
        kind: String,
        params: Value,
    },
}

impl ModelConfig {
    /// Reads and normalizes `config.json`.
    pub fn from_file(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|e| ModelError::io("read", path, e))?;
        let raw: Value = serde_json::from_slice(&bytes).map_err(|e| {
            ModelError::invalid_model(path, format!("config.json is not JSON: {e}"))
        })?;
        Self::from_value(raw, path)
    }

    /// Normalizes an already parsed config.json; `path` is only used in error messages.
    pub fn from_value(raw: Value, path: &Path) -> Result<Self> {
        let obj = raw
            .as_object()
            .ok_or_else(|| ModelError::invalid_model(path, "config.json is not a JSON object"))?;
        let f = Fields { obj, path };
        let architectures: Vec<String> = obj
            .get("architectures")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let architecture = Architecture::from_hf(
            obj.get("model_type").and_then(Value::as_str),
            &architectures,
        )?;

        let hidden_size = f.usize("hidden_size")?;
        let num_attention_heads = f.usize("num_attention_heads")?;
        let num_hidden_layers = f.usize("num_hidden_layers")?;
        if num_attention_heads == 0 {
            return Err(f.err("num_attention_heads", "must be at least 1"));
        }
        // transformers' own fallback in every config class.
        let num_key_value_heads = f
            .opt_usize("num_key_value_heads")?
            .unwrap_or(num_attention_heads);
        if num_key_value_heads == 0 || num_attention_heads % num_key_value_heads != 0 {
            return Err(f.err(
                "num_key_value_heads",
                format!("{num_key_value_heads} does not divide {num_attention_heads} heads"),
            ));
        }
        let head_dim = match f.opt_usize("head_dim")? {
            Some(d) => d,
            None if hidden_size % num_attention_heads == 0 => hidden_size / num_attention_heads,
            None => {
                return Err(f.err(
                    "head_dim",
                    "absent and hidden_size is not divisible by heads",
                ));
            }
        };
        let defaults = ClassDefaults::of(architecture);
        let rope = parse_rope(&f, architecture)?;
        let sliding_window = match architecture {
            // Qwen2/3 write a window but ignore it unless `use_sliding_window` is true.
            Architecture::Qwen2 | Architecture::Qwen3 => {
                if f.opt_bool("use_sliding_window")?.unwrap_or(false) {
                    f.opt_usize("sliding_window")?
                } else {
                    None
                }
            }
            _ => f.opt_usize("sliding_window")?,
        };
        let layer_types = parse_layer_types(&f, architecture, num_hidden_layers, sliding_window)?;
        let eos_token_ids = match obj.get("eos_token_id") {
            None | Some(Value::Null) => Vec::new(),
            Some(v) => {
                token_ids(v).ok_or_else(|| f.err("eos_token_id", "not an id or list of ids"))?
            }
        };

        Ok(ModelConfig {
            architecture,
            hidden_size,
            intermediate_size: f.usize("intermediate_size")?,
            num_hidden_layers,
            num_attention_heads,
            num_key_value_heads,
            head_dim,
            vocab_size: f.usize("vocab_size")?,
            rms_norm_eps: f.opt_f64("rms_norm_eps")?.unwrap_or(defaults.rms_norm_eps),
            max_position_embeddings: f
                .opt_usize("max_position_embeddings")?
                .unwrap_or(defaults.max_position_embeddings),
            tie_word_embeddings: f.opt_bool("tie_word_embeddings")?.unwrap_or(defaults.tie),
            rope,
            sliding_window,
            layer_types,
            hidden_act: obj
                .get("hidden_activation")
                .or_else(|| obj.get("hidden_act"))
                .and_then(Value::as_str)
                .unwrap_or(defaults.hidden_act)
                .to_owned(),
            bos_token_id: f.opt_u32("bos_token_id")?,
            eos_token_ids,
            dtype: obj
                .get("dtype")
                .or_else(|| obj.get("torch_dtype"))
                .and_then(Value::as_str)
                .map(str::to_owned),
            raw,
        })
    }

    /// The `path` this config would be read from in a model folder.
    pub fn path_in(dir: &Path) -> PathBuf {
        dir.join("config.json")
    }
}

/// Class defaults of fields transformers 4.x leaves out of config.json when unchanged.
struct ClassDefaults {
    rms_norm_eps: f64,
    tie: bool,
    max_position_embeddings: usize,
    hidden_act: &'static str,
}

impl ClassDefaults {
    fn of(arch: Architecture) -> Self {
        let (rms_norm_eps, tie, max_position_embeddings, hidden_act) = match arch {
            Architecture::Llama => (1e-6, false, 2048, "silu"),
            Architecture::Mistral => (1e-6, false, 4096 * 32, "silu"),
            Architecture::Qwen2 | Architecture::Qwen3 => (1e-6, false, 32768, "silu"),
            Architecture::Gemma2 => (1e-6, true, 8192, "gelu_pytorch_tanh"),
            Architecture::Gemma3 => (1e-6, true, 131072, "gelu_pytorch_tanh"),
            Architecture::Phi3 => (1e-5, false, 4096, "silu"),
        };
        ClassDefaults {
            rms_norm_eps,
            tie,
            max_position_embeddings,
            hidden_act,
        }
    }
}

fn token_ids(v: &Value) -> Option<Vec<u32>> {
    match v {
        Value::Number(n) => n
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .map(|n| vec![n]),
        Value::Array(a) => a
            .iter()
            .map(|x| x.as_u64().and_then(|n| u32::try_from(n).ok()))
            .collect::<Option<Vec<_>>>(),
        _ => None,
    }
}

fn parse_rope(f: &Fields<'_>, arch: Architecture) -> Result<RopeConfig> {
    let missing = |field: &str| {
        f.err(
            field,
            "no RoPE base frequency: config.json needs `rope_theta` (transformers 4.x) or \
             `rope_parameters.rope_theta` (5.x); refusing to guess one",
        )
    };
    let partial_top = f.opt_f64("partial_rotary_factor")?;
    if let Some(params) = f.obj.get("rope_parameters").filter(|v| !v.is_null()) {
        let params = params
            .as_object()
            .ok_or_else(|| f.err("rope_parameters", "not an object"))?;
        // Gemma 3 in 5.x: one parameter set per layer type.
        if let Some(full) = params.get("full_attention") {
            let full = full
                .as_object()
                .ok_or_else(|| f.err("rope_parameters.full_attention", "not an object"))?;
            let theta = rope_theta_in(full)
                .ok_or_else(|| missing("rope_parameters.full_attention.rope_theta"))?;
            let local_theta = match params.get("sliding_attention") {
                None => None,
                Some(sliding) => Some(
                    sliding
                        .as_object()
                        .and_then(rope_theta_in)
                        .ok_or_else(|| missing("rope_parameters.sliding_attention.rope_theta"))?,
                ),
            };
            return Ok(RopeConfig {
                theta,
                local_theta,
                scaling: parse_scaling(f, "rope_parameters.full_attention", full)?,
                partial_rotary_factor: partial_top.unwrap_or(1.0),
            });
        }
        let theta = rope_theta_in(params).ok_or_else(|| missing("rope_parameters.rope_theta"))?;
        let partial = params
            .get("partial_rotary_factor")
            .and_then(Value::as_f64)
            .or(partial_top);
        return Ok(RopeConfig {
            theta,
            local_theta: None,
            scaling: parse_scaling(f, "rope_parameters", params)?,
            partial_rotary_factor: partial.unwrap_or(1.0),
        });
    }
    let theta = f
        .opt_f64("rope_theta")?
        .ok_or_else(|| missing("rope_theta"))?;
    let local_theta = if arch == Architecture::Gemma3 {
        Some(
            f.opt_f64("rope_local_base_freq")?
                .ok_or_else(|| missing("rope_local_base_freq"))?,
        )
    } else {
        None
    };
    let scaling = match f.obj.get("rope_scaling") {
        None | Some(Value::Null) => RopeScaling::None,
        Some(Value::Object(m)) => parse_scaling(f, "rope_scaling", m)?,
        Some(_) => return Err(f.err("rope_scaling", "not an object")),
    };
    Ok(RopeConfig {
        theta,
        local_theta,
        scaling,
        partial_rotary_factor: partial_top.unwrap_or(1.0),
    })
}

fn rope_theta_in(m: &Map<String, Value>) -> Option<f64> {
    m.get("rope_theta")
        .and_then(Value::as_f64)
        .filter(|t| *t > 0.0)
}

fn parse_scaling(f: &Fields<'_>, at: &str, m: &Map<String, Value>) -> Result<RopeScaling> {
    // v4 wrote `type`, later v4 and v5 `rope_type`.
    let kind = m
        .get("rope_type")
        .or_else(|| m.get("type"))
        .and_then(Value::as_str)
        .unwrap_or("default");
    let num = |key: &str| -> Result<f64> {
        m.get(key).and_then(Value::as_f64).ok_or_else(|| {
            f.err(
                format!("{at}.{key}"),
                format!("required by rope type '{kind}'"),
            )
        })
    };
    Ok(match kind {
        "default" => RopeScaling::None,
        "linear" => RopeScaling::Linear {
            factor: num("factor")?,
        },
        "llama3" => RopeScaling::Llama3 {
            factor: num("factor")?,
            low_freq_factor: num("low_freq_factor")?,
            high_freq_factor: num("high_freq_factor")?,
            original_max_position_embeddings: num("original_max_position_embeddings")? as usize,
        },
        other => RopeScaling::Other {
            kind: other.to_owned(),
            params: Value::Object(m.clone()),
        },
    })
}

fn parse_layer_types(
    f: &Fields<'_>,
    arch: Architecture,
    layers: usize,
    sliding_window: Option<usize>,
) -> Result<Vec<LayerType>> {
    if let Some(v) = f.obj.get("layer_types").filter(|v| !v.is_null()) {
        let list = v
            .as_array()
            .ok_or_else(|| f.err("layer_types", "not a list"))?;
        if list.len() != layers {
            return Err(f.err(
                "layer_types",
                format!("{} entries for {layers} layers", list.len()),
            ));
        }
        return list
            .iter()
            .map(|t| match t.as_str() {
                Some("full_attention") => Ok(LayerType::FullAttention),
                Some("sliding_attention") => Ok(LayerType::SlidingAttention),
                other => Err(f.err("layer_types", format!("unknown layer type {other:?}"))),
            })
            .collect();
    }
    let pattern = |every: usize| {
        (0..layers)
            .map(|i| {
                if (i + 1) % every == 0 {
                    LayerType::FullAttention
                } else {
                    LayerType::SlidingAttention
                }
            })
            .collect()
    };
    Ok(match (arch, sliding_window) {
        (_, None) => vec![LayerType::FullAttention; layers],
        // Gemma 2 alternates, sliding first.
        (Architecture::Gemma2, Some(_)) => pattern(2),
        (Architecture::Gemma3, Some(_)) => {
            let every = f
                .opt_usize("sliding_window_pattern")?
                .or(f.opt_usize("_sliding_window_pattern")?)
                .unwrap_or(6);
            pattern(every.max(1))
        }
        // Mistral-style: one window for every layer.
        (_, Some(_)) => vec![LayerType::SlidingAttention; layers],
    })
}

/// Typed access to config.json fields, with errors that name the field.
struct Fields<'a> {
    obj: &'a Map<String, Value>,
    path: &'a Path,
}

impl Fields<'_> {
    fn err(&self, field: impl Into<String>, reason: impl Into<String>) -> ModelError {
        ModelError::config(self.path, field, reason)
    }

    fn present(&self, key: &str) -> Option<&Value> {
        self.obj.get(key).filter(|v| !v.is_null())
    }

    fn usize(&self, key: &str) -> Result<usize> {
        self.opt_usize(key)?
            .ok_or_else(|| self.err(key, "required"))
    }

    fn opt_usize(&self, key: &str) -> Result<Option<usize>> {
        self.present(key)
            .map(|v| {
                v.as_u64()
                    .and_then(|n| usize::try_from(n).ok())
                    .ok_or_else(|| {
                        self.err(key, format!("expected a non-negative integer, got {v}"))
                    })
            })
            .transpose()
    }

    fn opt_u32(&self, key: &str) -> Result<Option<u32>> {
        self.present(key)
            .map(|v| {
                v.as_u64()
                    .and_then(|n| u32::try_from(n).ok())
                    .ok_or_else(|| self.err(key, format!("expected a token id, got {v}")))
            })
            .transpose()
    }

    fn opt_f64(&self, key: &str) -> Result<Option<f64>> {
        self.present(key)
            .map(|v| {
                v.as_f64()
                    .ok_or_else(|| self.err(key, format!("expected a number, got {v}")))
            })
            .transpose()
    }

    fn opt_bool(&self, key: &str) -> Result<Option<bool>> {
        self.present(key)
            .map(|v| {
                v.as_bool()
                    .ok_or_else(|| self.err(key, format!("expected true/false, got {v}")))
            })
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> Result<ModelConfig> {
        ModelConfig::from_value(v, Path::new("config.json"))
    }

    fn llama(extra: Value) -> Value {
        let mut base = json!({
            "model_type": "llama", "hidden_size": 64, "intermediate_size": 128,
            "num_hidden_layers": 2, "num_attention_heads": 4, "vocab_size": 100,
        });
        if let (Some(b), Some(e)) = (base.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        base
    }

    #[test]
    fn v4_and_v5_rope_layouts_agree() {
        let v4 = parse(llama(json!({"rope_theta": 500000.0}))).unwrap();
        let v5 = parse(llama(
            json!({"rope_parameters": {"rope_type": "default", "rope_theta": 500000.0}}),
        ))
        .unwrap();
        assert_eq!(v4.rope, v5.rope);
        assert_eq!(v4.rope.theta, 500000.0);
        assert_eq!(v4.num_key_value_heads, 4);
        assert_eq!(v4.head_dim, 16);
    }

    #[test]
    fn a_missing_rope_base_is_an_error() {
        let err = parse(llama(json!({}))).unwrap_err();
        assert_eq!(err.code(), "invalid_config");
        assert!(err.to_string().contains("rope_theta"), "{err}");
        let err = parse(llama(json!({"rope_parameters": {"rope_type": "default"}}))).unwrap_err();
        assert!(
            err.to_string().contains("rope_parameters.rope_theta"),
            "{err}"
        );
    }

    #[test]
    fn a_missing_dimension_names_the_field() {
        let mut v = llama(json!({"rope_theta": 1e4}));
        v.as_object_mut().unwrap().remove("hidden_size");
        let err = parse(v).unwrap_err();
        assert_eq!(err.code(), "invalid_config");
        assert!(err.to_string().contains("'hidden_size'"), "{err}");
    }

    #[test]
    fn llama3_scaling_is_read() {
        let c = parse(llama(json!({"rope_theta": 5e5, "rope_scaling": {
            "rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0,
            "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}})))
        .unwrap();
        assert!(matches!(c.rope.scaling, RopeScaling::Llama3 { factor, .. } if factor == 32.0));
    }

    #[test]
    fn every_tiny_model_config_parses_in_both_layouts() {
        let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("../loris-testkit/tests/golden");
        let mut seen = 0;
        for entry in std::fs::read_dir(&golden).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().and_then(|e| e.to_str()) != Some("json") {
                continue;
            }
            let c =
                ModelConfig::from_file(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert!(c.rope.theta > 0.0);
            assert_eq!(c.layer_types.len(), c.num_hidden_layers);
            if c.architecture == Architecture::Gemma3 {
                assert_eq!(c.rope.local_theta, Some(10_000.0), "{}", path.display());
                assert_eq!(c.rope.theta, 1_000_000.0);
                assert!(c.tie_word_embeddings);
            }
            seen += 1;
        }
        assert_eq!(seen, 14);
    }
}
