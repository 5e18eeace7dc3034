//! How much GPU memory (or RAM) a model needs to train or to serve, before anything loads.
//!
//! The inputs are small: a config.json (a few KB, available before a download) or a GGUF
//! header. Every estimate is a sum of named terms ([`TrainingTerms`], [`InferenceTerms`]) so each
//! can be compared with, and later scaled to ([`Calibration`]), measured peaks of our own
//! engine. docs/vram.md has the formulas and constants.

mod constants;
mod gguf_model;
mod hf_config;
mod inference;
mod params;
mod shape;
mod source;
mod training;
mod verdict;

#[cfg(test)]
mod tests;

pub use constants::*;
pub use gguf_model::{GgufWeights, TensorTypeBytes, shape_from_gguf};
pub use hf_config::{HfConfig, SUPPORTED_MODEL_TYPES, parse_config, parse_config_json};
pub use inference::{
    InferenceEstimate, InferenceOptions, InferenceTerms, KvCacheType, estimate_inference,
    estimate_inference_calibrated, kv_cache_bytes,
};
pub use params::{ParamCounts, lora_parameters};
pub use shape::{ArchLayout, ModelShape};
pub use source::load_model;
pub use training::{
    Optimizer, TargetModule, TrainingEstimate, TrainingMethod, TrainingOptions, TrainingTerms,
    estimate_training, estimate_training_calibrated,
};
pub use verdict::{
    Device, DeviceFit, DeviceKind, Fit, InferenceAssessment, Suggestion, SuggestionKind,
    TrainingAssessment, assess_inference, assess_training, fit, pick_device,
};

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// A model the estimator can reason about.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    /// The file the numbers came from (config.json or the first .gguf).
    pub path: PathBuf,
    pub shape: ModelShape,
    pub kind: ModelKind,
    /// What the estimate could not account for.
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ModelKind {
    /// From config.json: parameters counted from the architecture.
    Config {
        layout: ArchLayout,
        params: ParamCounts,
    },
    /// From a GGUF header: weights are what the tensors take.
    Gguf(GgufWeights),
}

impl Model {
    /// A model from parsed config.json text (no file needed: the UI may have fetched it).
    pub fn from_config_json(text: &str, path: impl Into<PathBuf>) -> crate::Result<Self> {
        let path = path.into();
        let cfg = parse_config_json(text, &path.display().to_string())?;
        Ok(Self::from_hf_config(cfg, path))
    }

    pub fn from_hf_config(cfg: HfConfig, path: PathBuf) -> Self {
        let params = ParamCounts::from_shape(&cfg.shape, &cfg.layout);
        Model {
            path,
            shape: cfg.shape,
            kind: ModelKind::Config {
                layout: cfg.layout,
                params,
            },
            notes: cfg.notes,
        }
    }

    pub fn parameters(&self) -> u64 {
        match &self.kind {
            ModelKind::Config { params, .. } => params.total(),
            ModelKind::Gguf(w) => w.parameters,
        }
    }

    pub fn summary(&self) -> ModelSummary {
        let s = &self.shape;
        ModelSummary {
            path: self.path.clone(),
            source: match self.kind {
                ModelKind::Config { .. } => SourceKind::Config,
                ModelKind::Gguf(_) => SourceKind::Gguf,
            },
            model_type: s.model_type.clone(),
            parameters: self.parameters(),
            hidden_size: s.hidden_size,
            num_layers: s.num_layers,
            num_heads: s.num_heads,
            num_kv_heads: s.num_kv_heads,
            head_dim: s.head_dim,
            intermediate_size: s.intermediate_size,
            vocab_size: s.vocab_size,
            tied_embeddings: s.tie_word_embeddings,
            sliding_window: s.sliding_window(),
            sliding_layers: s.sliding_layers(),
            max_context: s.max_position_embeddings,
            dtype: s.dtype.clone(),
            gguf: match &self.kind {
                ModelKind::Gguf(w) => Some(w.clone()),
                ModelKind::Config { .. } => None,
            },
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    Config,
    Gguf,
}

/// The model as the estimate saw it, for display beside the numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ModelSummary {
    pub path: PathBuf,
    pub source: SourceKind,
    pub model_type: String,
    #[specta(type = specta_typescript::Number)]
    pub parameters: u64,
    #[specta(type = specta_typescript::Number)]
    pub hidden_size: u64,
    #[specta(type = specta_typescript::Number)]
    pub num_layers: u64,
    #[specta(type = specta_typescript::Number)]
    pub num_heads: u64,
    #[specta(type = specta_typescript::Number)]
    pub num_kv_heads: u64,
    #[specta(type = specta_typescript::Number)]
    pub head_dim: u64,
    #[specta(type = specta_typescript::Number)]
    pub intermediate_size: u64,
    #[specta(type = specta_typescript::Number)]
    pub vocab_size: u64,
    pub tied_embeddings: bool,
    #[specta(type = Option<specta_typescript::Number>)]
    pub sliding_window: Option<u64>,
    #[specta(type = specta_typescript::Number)]
    pub sliding_layers: u64,
    #[specta(type = Option<specta_typescript::Number>)]
    pub max_context: Option<u64>,
    pub dtype: Option<String>,
    pub gguf: Option<GgufWeights>,
}

/// A factor per term, to fit estimates to measured peaks of our engine. `Default` is 1.0
/// everywhere: the formulas as written in docs/vram.md.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase", default)]
pub struct Calibration {
    pub weights: f64,
    pub lora_adapter: f64,
    pub gradients: f64,
    pub optimizer: f64,
    pub activations: f64,
    pub logits: f64,
    pub dequant_scratch: f64,
    pub kv_cache: f64,
    pub overhead: f64,
}

impl Default for Calibration {
    fn default() -> Self {
        Self {
            weights: 1.0,
            lora_adapter: 1.0,
            gradients: 1.0,
            optimizer: 1.0,
            activations: 1.0,
            logits: 1.0,
            dequant_scratch: 1.0,
            kv_cache: 1.0,
            overhead: 1.0,
        }
    }
}

/// Whole bytes from a computed amount: rounded up, never negative.
fn bytes(amount: f64) -> u64 {
    if amount.is_finite() && amount > 0.0 {
        // `as` saturates at u64::MAX; the input bounds keep real values far below it.
        amount.ceil() as u64
    } else {
        0
    }
}
