//! The shape and the per-architecture switches of a decoder, normalized from config.json or
//! GGUF metadata, so that one training model (`model.rs`) covers every family the inference
//! engine runs.

use candle_core::Device;
use loris_infer::rope::{Rope, RopeScaling};
use loris_models::{Architecture, GgufFile, LayerType, ModelConfig};

use crate::error::{Result, TrainError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// SwiGLU (Llama, Qwen, Mistral, Phi-3).
    Silu,
    /// GeGLU with the tanh approximation (Gemma).
    GeluTanh,
}

#[derive(Debug, Clone)]
pub struct ArchSpec {
    pub architecture: Architecture,
    pub hidden: usize,
    pub layers: usize,
    pub heads: usize,
    pub kv_heads: usize,
    pub head_dim: usize,
    pub intermediate: usize,
    pub vocab: usize,
    pub eps: f64,
    /// Qwen 2: biases on q/k/v.
    pub qkv_bias: bool,
    /// Qwen 3 and Gemma 3: RMSNorm of each query and key head.
    pub qk_norm: bool,
    /// Gemma stores RMSNorm weights as `w` and scales by `1 + w`.
    pub norm_plus_one: bool,
    /// Gemma 2/3: norms after attention and after the MLP as well as before.
    pub sandwich_norms: bool,
    /// Phi-3: one `qkv_proj` and one `gate_up_proj`.
    pub fused_projections: bool,
    /// Gemma: embeddings multiplied by sqrt(hidden).
    pub embed_scale: Option<f64>,
    pub activation: Activation,
    pub attn_scale: f64,
    pub attn_softcap: Option<f64>,
    pub final_softcap: Option<f64>,
    /// Rotated dimensions per head (Phi-3 may rotate fewer than `head_dim`).
    pub rope_dim: usize,
    pub inv_freq: Vec<f32>,
    /// Sliding-window layers' own frequencies where they differ (Gemma 3).
    pub local_inv_freq: Option<Vec<f32>>,
    /// Per layer: `Some(window)` for sliding-window attention.
    pub windows: Vec<Option<usize>>,
    pub tied_embeddings: bool,
}

impl ArchSpec {
    /// From a Hugging Face `config.json`.
    pub fn from_config(config: &ModelConfig) -> Result<Self> {
        let arch = config.architecture;
        let raw = &config.raw;
        let f64_field = |k: &str| raw.get(k).and_then(|v| v.as_f64());
        let gemma = matches!(arch, Architecture::Gemma2 | Architecture::Gemma3);
        let rope_dim =
            ((config.head_dim as f64) * config.rope.partial_rotary_factor).round() as usize;
        let scaling = rope_scaling(&config.rope.scaling)?;
        let inv_freq = inv_freq_of(rope_dim, config.rope.theta, &scaling)?;
        let local_inv_freq = match config.rope.local_theta {
            Some(theta) if arch == Architecture::Gemma3 => {
                Some(inv_freq_of(rope_dim, theta, &RopeScaling::None)?)
            }
            _ => None,
        };
        let windows = config
            .layer_types
            .iter()
            .map(|t| match t {
                LayerType::SlidingAttention => config.sliding_window,
                LayerType::FullAttention => None,
            })
            .collect::<Vec<_>>();
        let scalar = f64_field("query_pre_attn_scalar").unwrap_or(config.head_dim as f64);
        let softcap = |k: &str| f64_field(k).filter(|v| *v > 0.0);
        let spec = ArchSpec {
            architecture: arch,
            hidden: config.hidden_size,
            layers: config.num_hidden_layers,
            heads: config.num_attention_heads,
            kv_heads: config.num_key_value_heads,
            head_dim: config.head_dim,
            intermediate: config.intermediate_size,
            vocab: config.vocab_size,
            eps: config.rms_norm_eps,
            qkv_bias: arch == Architecture::Qwen2,
            qk_norm: matches!(arch, Architecture::Qwen3 | Architecture::Gemma3),
            norm_plus_one: gemma,
            sandwich_norms: gemma,
            fused_projections: arch == Architecture::Phi3,
            embed_scale: gemma.then(|| (config.hidden_size as f64).sqrt()),
            activation: if gemma {
                Activation::GeluTanh
            } else {
                Activation::Silu
            },
            attn_scale: 1.0
                / if gemma {
                    scalar
                } else {
                    config.head_dim as f64
                }
                .sqrt(),
            attn_softcap: if arch == Architecture::Gemma2 {
                softcap("attn_logit_softcapping")
            } else {
                None
            },
            final_softcap: if arch == Architecture::Gemma2 {
                softcap("final_logit_softcapping")
            } else {
                None
            },
            rope_dim,
            inv_freq,
            local_inv_freq,
            windows: if windows.len() == config.num_hidden_layers {
                windows
            } else {
                vec![None; config.num_hidden_layers]
            },
            tied_embeddings: config.tie_word_embeddings,
        };
        spec.validate()
    }

    /// From a GGUF file's metadata (llama.cpp's keys).
    pub fn from_gguf(file: &GgufFile, arch: Architecture) -> Result<Self> {
        let prefix = file.architecture()?.to_owned();
        let key = |k: &str| format!("{prefix}.{k}");
        let hidden = file.req_usize(&key("embedding_length"))?;
        let layers = file.req_usize(&key("block_count"))?;
        let heads = file.req_usize(&key("attention.head_count"))?;
        let kv_heads = file
            .opt_usize(&key("attention.head_count_kv"))?
            .unwrap_or(heads);
        let head_dim = file
            .opt_usize(&key("attention.key_length"))?
            .unwrap_or(hidden / heads.max(1));
        let intermediate = file.req_usize(&key("feed_forward_length"))?;
        let eps = file.req_f64(&key("attention.layer_norm_rms_epsilon"))?;
        let gemma = matches!(arch, Architecture::Gemma2 | Architecture::Gemma3);
        // Gemma 2 GGUFs carry no RoPE base: theirs is 10000.
        let base = match file.opt_f64(&key("rope.freq_base"))? {
            Some(b) => b,
            None if arch == Architecture::Gemma2 => 10_000.0,
            None => file.req_f64(&key("rope.freq_base"))?,
        };
        let rope_dim = file
            .opt_usize(&key("rope.dimension_count"))?
            .unwrap_or(head_dim);
        let scaling = match file.opt_str(&key("rope.scaling.type"))? {
            None | Some("none") => RopeScaling::None,
            Some("linear") => RopeScaling::Linear(file.req_f64(&key("rope.scaling.factor"))?),
            Some(other) => {
                return Err(TrainError::UnsupportedModel(format!(
                    "RoPE scaling '{other}'"
                )));
            }
        };
        // Llama 3.1+'s scaling is a tensor in GGUF; the caller applies it (see `weights`).
        let inv_freq = inv_freq_of(rope_dim, base, &scaling)?;
        let window = file.opt_usize(&key("attention.sliding_window"))?;
        let windows: Vec<Option<usize>> = match arch {
            // Gemma 2: even layers slide.
            Architecture::Gemma2 => (0..layers)
                .map(|i| (i % 2 == 0).then_some(window).flatten())
                .collect(),
            // Gemma 3: every sixth layer is global.
            Architecture::Gemma3 => {
                let pattern = file
                    .opt_usize(&key("attention.sliding_window_pattern"))?
                    .unwrap_or(6)
                    .max(1);
                (0..layers)
                    .map(|i| ((i + 1) % pattern != 0).then_some(window).flatten())
                    .collect()
            }
            _ => vec![None; layers],
        };
        // Gemma 3 27B and Gemma 2 27B scale by hidden / heads rather than head_dim.
        let wide_scalar = (gemma && hidden == 5376 && layers == 62)
            || (arch == Architecture::Gemma2 && hidden == 4608 && layers == 46);
        let scalar = if wide_scalar {
            (hidden / heads.max(1)) as f64
        } else {
            head_dim as f64
        };
        let softcap = |k: &str, default: f64| -> Result<Option<f64>> {
            Ok(match file.opt_f64(&key(k))? {
                Some(v) if v > 0.0 => Some(v),
                Some(_) => None,
                None => Some(default),
            })
        };
        let vocab = file
            .opt_str_array("tokenizer.ggml.tokens")?
            .map(|t| t.len())
            .unwrap_or(0);
        let spec = ArchSpec {
            architecture: arch,
            hidden,
            layers,
            heads,
            kv_heads,
            head_dim,
            intermediate,
            vocab,
            eps,
            qkv_bias: arch == Architecture::Qwen2,
            qk_norm: matches!(arch, Architecture::Qwen3 | Architecture::Gemma3),
            norm_plus_one: gemma,
            sandwich_norms: gemma,
            fused_projections: arch == Architecture::Phi3,
            embed_scale: gemma.then(|| (hidden as f64).sqrt()),
            activation: if gemma {
                Activation::GeluTanh
            } else {
                Activation::Silu
            },
            attn_scale: 1.0 / scalar.sqrt(),
            attn_softcap: if arch == Architecture::Gemma2 {
                softcap("attn_logit_softcapping", 50.0)?
            } else {
                None
            },
            final_softcap: if arch == Architecture::Gemma2 {
                softcap("final_logit_softcapping", 30.0)?
            } else {
                None
            },
            rope_dim,
            inv_freq,
            local_inv_freq: (arch == Architecture::Gemma3)
                .then(|| inv_freq_of(rope_dim, 10_000.0, &RopeScaling::None))
                .transpose()?,
            windows,
            // Decided by the presence of `output.weight` when the weights load.
            tied_embeddings: true,
        };
        spec.validate()
    }

    fn validate(self) -> Result<Self> {
        if self.heads == 0 || self.kv_heads == 0 || !self.heads.is_multiple_of(self.kv_heads) {
            return Err(TrainError::UnsupportedModel(format!(
                "{} heads, {} KV heads",
                self.heads, self.kv_heads
            )));
        }
        if self.rope_dim > self.head_dim || !self.rope_dim.is_multiple_of(2) {
            return Err(TrainError::UnsupportedModel(format!(
                "RoPE over {} of {} head dimensions",
                self.rope_dim, self.head_dim
            )));
        }
        Ok(self)
    }

    /// Targets named for separate projections, mapped onto a fused model's modules (Phi-3:
    /// q/k/v → `qkv_proj`, gate/up → `gate_up_proj`), so the default target list works for
    /// every family.
    pub fn resolve_targets(&self, targets: &[String]) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for t in targets {
            let mapped = match t.as_str() {
                "q_proj" | "k_proj" | "v_proj" if self.fused_projections => "qkv_proj",
                "gate_proj" | "up_proj" if self.fused_projections => "gate_up_proj",
                other => other,
            };
            if !out.iter().any(|o| o == mapped) {
                out.push(mapped.to_owned());
            }
        }
        out
    }

    /// The Hugging Face module names LoRA may target in this family.
    pub fn linear_modules(&self) -> &'static [&'static str] {
        if self.fused_projections {
            &["qkv_proj", "o_proj", "gate_up_proj", "down_proj"]
        } else {
            &[
                "q_proj",
                "k_proj",
                "v_proj",
                "o_proj",
                "gate_proj",
                "up_proj",
                "down_proj",
            ]
        }
    }
}

fn rope_scaling(scaling: &loris_models::config::RopeScaling) -> Result<RopeScaling> {
    use loris_models::config::RopeScaling as C;
    Ok(match scaling {
        C::None => RopeScaling::None,
        C::Linear { factor } => RopeScaling::Linear(*factor),
        C::Llama3 {
            factor,
            low_freq_factor,
            high_freq_factor,
            original_max_position_embeddings,
        } => RopeScaling::Llama3 {
            factor: *factor,
            low_freq_factor: *low_freq_factor,
            high_freq_factor: *high_freq_factor,
            original_context: *original_max_position_embeddings,
        },
        C::Other { kind, .. } => {
            return Err(TrainError::UnsupportedModel(format!(
                "RoPE scaling '{kind}'"
            )));
        }
    })
}

/// The inference engine's frequencies, so training and generation rotate identically.
pub(crate) fn inv_freq_of(dim: usize, base: f64, scaling: &RopeScaling) -> Result<Vec<f32>> {
    Ok(Rope::new(dim, base, scaling, false, &Device::Cpu)?
        .inv_freq()
        .to_vec())
}
