//! Memory to serve a model: weights, KV cache for the context, prefill buffers, overhead.

use serde::{Deserialize, Serialize};

use super::constants::*;
use super::shape::ModelShape;
use super::{Calibration, Model, ModelKind, ModelSummary, bytes};
use crate::error::{HardwareError, Result};
use crate::gguf::GgmlType;

/// Element type of the KV cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum KvCacheType {
    F32,
    F16,
    Bf16,
    Q8_0,
    Q4_0,
}

impl KvCacheType {
    /// Bytes per cached element, block scales included (Q8_0: 34 bytes per 32).
    pub fn bytes_per_element(self) -> f64 {
        match self {
            KvCacheType::F32 => 4.0,
            KvCacheType::F16 | KvCacheType::Bf16 => 2.0,
            KvCacheType::Q8_0 => 34.0 / 32.0,
            KvCacheType::Q4_0 => 18.0 / 32.0,
        }
    }
}

impl std::str::FromStr for KvCacheType {
    type Err = HardwareError;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "f32" => Ok(Self::F32),
            "f16" => Ok(Self::F16),
            "bf16" => Ok(Self::Bf16),
            "q8_0" => Ok(Self::Q8_0),
            "q4_0" => Ok(Self::Q4_0),
            _ => Err(HardwareError::option(
                "kv_cache_type",
                format!("{s:?} is not f32, f16, bf16, q8_0 or q4_0"),
            )),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct InferenceOptions {
    /// Tokens of context per sequence (prompt + answer).
    #[specta(type = specta_typescript::Number)]
    pub context_len: u64,
    /// Sequences served at once, each with its own KV cache.
    #[specta(type = specta_typescript::Number)]
    pub parallel: u64,
    /// For a config.json: `bf16`, `f16`, `f32` or a ggml type (`q4_k`, `q4_k_m`, `q8_0`);
    /// `None` = the config's dtype. A GGUF file's weights are what it holds.
    pub weights: Option<String>,
    pub kv_cache_type: KvCacheType,
    /// Keep the KV cache in host RAM (slower, frees device memory).
    pub kv_offload: bool,
    /// Flash attention: no chunk × context score matrix.
    pub flash_attention: bool,
}

impl Default for InferenceOptions {
    fn default() -> Self {
        Self {
            context_len: 4096,
            parallel: 1,
            weights: None,
            kv_cache_type: KvCacheType::F16,
            kv_offload: false,
            flash_attention: false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct InferenceTerms {
    #[specta(type = specta_typescript::Number)]
    pub weights_bytes: u64,
    /// K and V of every layer for the context (sliding layers hold their window only).
    #[specta(type = specta_typescript::Number)]
    pub kv_cache_bytes: u64,
    /// Prefill working set for one chunk of prompt tokens, attention scores included.
    #[specta(type = specta_typescript::Number)]
    pub activations_bytes: u64,
    #[specta(type = specta_typescript::Number)]
    pub logits_bytes: u64,
    #[specta(type = specta_typescript::Number)]
    pub overhead_bytes: u64,
}

impl InferenceTerms {
    pub fn total(&self) -> u64 {
        self.weights_bytes
            + self.kv_cache_bytes
            + self.activations_bytes
            + self.logits_bytes
            + self.overhead_bytes
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct InferenceEstimate {
    pub model: ModelSummary,
    pub options: InferenceOptions,
    /// `bf16`, `Q4_K`, or the GGUF's file type.
    pub weights_format: String,
    pub terms: InferenceTerms,
    /// KV cache bytes one more token of context adds (all layers, one sequence, below the
    /// sliding window).
    #[specta(type = specta_typescript::Number)]
    pub kv_bytes_per_token: u64,
    /// What must sit in device memory (everything, less the KV cache when offloaded).
    #[specta(type = specta_typescript::Number)]
    pub device_bytes: u64,
    /// Host RAM for the offloaded KV cache (0 when not offloaded).
    #[specta(type = specta_typescript::Number)]
    pub host_bytes: u64,
    #[specta(type = specta_typescript::Number)]
    pub total_bytes: u64,
    pub notes: Vec<String>,
}

pub fn estimate_inference(model: &Model, options: &InferenceOptions) -> Result<InferenceEstimate> {
    estimate_inference_calibrated(model, options, &Calibration::default())
}

pub fn estimate_inference_calibrated(
    model: &Model,
    options: &InferenceOptions,
    cal: &Calibration,
) -> Result<InferenceEstimate> {
    if options.context_len == 0 || options.context_len > 1 << 24 {
        return Err(HardwareError::option(
            "context_len",
            format!(
                "must be between 1 and {}, got {}",
                1u64 << 24,
                options.context_len
            ),
        ));
    }
    if options.parallel == 0 || options.parallel > 256 {
        return Err(HardwareError::option(
            "parallel",
            format!("must be between 1 and 256, got {}", options.parallel),
        ));
    }
    let shape = &model.shape;
    let mut notes = model.notes.clone();
    if let Some(max) = shape
        .max_position_embeddings
        .filter(|m| options.context_len > *m)
    {
        notes.push(format!(
            "a context of {} is beyond the {max} tokens the model was trained for",
            options.context_len
        ));
    }

    let (weights, weights_format) = weights_bytes(model, options.weights.as_deref())?;
    let kv =
        kv_cache_bytes(shape, options.context_len, options.kv_cache_type) * options.parallel as f64;
    let kv_per_token = kv_cache_bytes(shape, 1, options.kv_cache_type);

    let chunk = (options.context_len * options.parallel).min(PREFILL_CHUNK_TOKENS) as f64;
    let per_token = INFER_ACT_HIDDEN * shape.hidden_size as f64
        + INFER_ACT_Q * shape.q_dim() as f64
        + INFER_ACT_KV * shape.kv_dim() as f64
        + INFER_ACT_MLP * shape.intermediate_size as f64;
    let attended = shape
        .layer_windows
        .iter()
        .map(|w| w.map_or(options.context_len, |w| w.min(options.context_len)))
        .max()
        .unwrap_or(options.context_len) as f64;
    let scores = if options.flash_attention {
        0.0
    } else {
        chunk * attended * shape.num_heads as f64 * ATTN_SCORE_BYTES
    };
    let activations = chunk * per_token * INFER_ACT_BYTES + scores;
    let logits = options.parallel as f64 * shape.vocab_size as f64 * INFER_LOGIT_BYTES;

    let terms = InferenceTerms {
        weights_bytes: bytes(weights * cal.weights),
        kv_cache_bytes: bytes(kv * cal.kv_cache),
        activations_bytes: bytes(activations * cal.activations),
        logits_bytes: bytes(logits * cal.logits),
        overhead_bytes: bytes(INFERENCE_OVERHEAD_BYTES as f64 * cal.overhead),
    };
    let total = terms.total();
    let host = if options.kv_offload {
        terms.kv_cache_bytes
    } else {
        0
    };
    Ok(InferenceEstimate {
        model: model.summary(),
        options: options.clone(),
        weights_format,
        terms,
        kv_bytes_per_token: bytes(kv_per_token),
        device_bytes: total - host,
        host_bytes: host,
        total_bytes: total,
        notes,
    })
}

/// K and V of one sequence of `context` tokens, over all layers.
pub fn kv_cache_bytes(shape: &ModelShape, context: u64, kv_type: KvCacheType) -> f64 {
    shape
        .layer_windows
        .iter()
        .zip(&shape.layer_kv_heads)
        .map(|(window, kv_heads)| {
            let tokens = window.map_or(context, |w| w.min(context));
            (kv_heads * (shape.head_dim + shape.value_head_dim) * tokens) as f64
        })
        .sum::<f64>()
        * kv_type.bytes_per_element()
}

/// Weights as stored (GGUF) or as they would be in the requested format (config.json).
fn weights_bytes(model: &Model, format: Option<&str>) -> Result<(f64, String)> {
    match &model.kind {
        ModelKind::Gguf(w) => {
            if let Some(f) = format {
                return Err(HardwareError::option(
                    "weights",
                    format!(
                        "a GGUF file's weights are what it holds; {f:?} applies to a config.json"
                    ),
                ));
            }
            let name = w.file_type.clone().unwrap_or_else(|| "GGUF".to_owned());
            Ok((w.tensor_bytes as f64, name))
        }
        ModelKind::Config { params, .. } => {
            let requested = format
                .map(str::to_owned)
                .or_else(|| model.shape.dtype.clone())
                .unwrap_or_else(|| "bf16".to_owned());
            match WeightFormat::parse(&requested)? {
                WeightFormat::Dense { name, bytes } => Ok((params.total() as f64 * bytes, name)),
                // Matrices (embeddings included, as llama.cpp quantizes them) at the type's
                // bits per weight; norms and biases stay f32.
                WeightFormat::Ggml(t) => {
                    let matrices =
                        params.decoder_linear() + params.embedding + params.lm_head + params.vision;
                    let small = params.total() - matrices;
                    Ok((
                        matrices as f64 * t.bits_per_weight() / 8.0
                            + small as f64 * GGML_SMALL_TENSOR_BYTES,
                        t.name.to_owned(),
                    ))
                }
            }
        }
    }
}

enum WeightFormat {
    Dense { name: String, bytes: f64 },
    Ggml(GgmlType),
}

impl WeightFormat {
    fn parse(s: &str) -> Result<Self> {
        let lower = s.trim().to_ascii_lowercase();
        let dense = |name: &str, bytes: f64| {
            Ok(WeightFormat::Dense {
                name: name.to_owned(),
                bytes,
            })
        };
        match lower.as_str() {
            "bf16" | "bfloat16" => return dense("bf16", 2.0),
            "f16" | "fp16" | "float16" | "half" => return dense("f16", 2.0),
            "f32" | "fp32" | "float32" | "float" => return dense("f32", 4.0),
            _ => {}
        }
        // llama.cpp mixture names (Q4_K_M) map to their dominant type; the mixture's few
        // higher-precision tensors are within the estimate's error.
        let base = ["_xl", "_m", "_s", "_l"]
            .iter()
            .find_map(|suffix| lower.strip_suffix(suffix).filter(|b| b.ends_with("_k")))
            .unwrap_or(&lower);
        GgmlType::from_name(base)
            .filter(|t| t.block_size > 1)
            .map(WeightFormat::Ggml)
            .ok_or_else(|| {
                HardwareError::option(
                    "weights",
                    format!(
                        "{s:?} is not bf16, f16, f32 or a ggml quant type such as q4_k_m or q8_0"
                    ),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weight_formats_parse_with_mixture_names() {
        let bpw = |s: &str| match WeightFormat::parse(s).unwrap() {
            WeightFormat::Ggml(t) => t.bits_per_weight(),
            WeightFormat::Dense { bytes, .. } => bytes * 8.0,
        };
        assert_eq!(bpw("Q4_K_M"), 4.5);
        assert_eq!(bpw("q5_k_s"), 5.5);
        assert_eq!(bpw("q8_0"), 8.5);
        assert_eq!(bpw("bfloat16"), 16.0);
        assert_eq!(bpw("float32"), 32.0);
        assert!(WeightFormat::parse("int3").is_err());
        assert!(
            WeightFormat::parse("i8").is_err(),
            "not a weight quantization"
        );
    }

    #[test]
    fn kv_types_parse() {
        assert_eq!(
            "Q8_0".parse::<KvCacheType>().unwrap().bytes_per_element(),
            1.0625
        );
        assert_eq!(
            "fp8".parse::<KvCacheType>().unwrap_err().code(),
            "invalid_input"
        );
    }
}
