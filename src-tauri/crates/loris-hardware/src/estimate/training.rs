//! Peak GPU memory of one training step, term by term (formulas in docs/vram.md).

use serde::{Deserialize, Serialize};

use super::constants::*;
use super::params::{ParamCounts, lora_parameters};
use super::shape::{ArchLayout, ModelShape};
use super::{Calibration, Model, ModelKind, ModelSummary, bytes};
use crate::error::{HardwareError, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum TrainingMethod {
    /// bf16 base weights, frozen; LoRA adapters trained.
    Lora,
    /// NF4 base weights, frozen; LoRA adapters trained.
    Qlora,
    /// Every weight trained.
    Full,
}

impl std::str::FromStr for TrainingMethod {
    type Err = HardwareError;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "lora" => Ok(Self::Lora),
            "qlora" => Ok(Self::Qlora),
            "full" => Ok(Self::Full),
            _ => Err(HardwareError::option(
                "method",
                format!("{s:?} is not lora, qlora or full"),
            )),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum Optimizer {
    /// Two f32 moments per trainable parameter.
    Adamw,
    /// bitsandbytes-style blockwise 8-bit moments.
    #[serde(rename = "adamw_8bit")]
    Adamw8bit,
}

impl std::str::FromStr for Optimizer {
    type Err = HardwareError;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().replace('-', "_").as_str() {
            "adamw" | "adamw_torch" => Ok(Self::Adamw),
            "adamw_8bit" | "adamw8bit" | "paged_adamw_8bit" => Ok(Self::Adamw8bit),
            _ => Err(HardwareError::option(
                "optimizer",
                format!("{s:?} is not adamw or adamw_8bit"),
            )),
        }
    }
}

/// The projections LoRA can adapt, by their Hugging Face names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
pub enum TargetModule {
    #[serde(rename = "q_proj")]
    Q,
    #[serde(rename = "k_proj")]
    K,
    #[serde(rename = "v_proj")]
    V,
    #[serde(rename = "o_proj")]
    O,
    #[serde(rename = "gate_proj")]
    Gate,
    #[serde(rename = "up_proj")]
    Up,
    #[serde(rename = "down_proj")]
    Down,
}

impl TargetModule {
    /// Unsloth's default: every projection of every layer.
    pub const ALL: [TargetModule; 7] = [
        TargetModule::Q,
        TargetModule::K,
        TargetModule::V,
        TargetModule::O,
        TargetModule::Gate,
        TargetModule::Up,
        TargetModule::Down,
    ];
}

impl std::str::FromStr for TargetModule {
    type Err = HardwareError;
    /// `q`, `q_proj`, `gate`, `gate_proj`, ...
    fn from_str(s: &str) -> Result<Self> {
        let short = s.trim().to_ascii_lowercase();
        Ok(match short.strip_suffix("_proj").unwrap_or(&short) {
            "q" => Self::Q,
            "k" => Self::K,
            "v" => Self::V,
            "o" => Self::O,
            "gate" => Self::Gate,
            "up" => Self::Up,
            "down" => Self::Down,
            _ => {
                return Err(HardwareError::option(
                    "target_modules",
                    format!("{s:?} is not one of q, k, v, o, gate, up, down"),
                ));
            }
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct TrainingOptions {
    pub method: TrainingMethod,
    /// Sequences per step on the device (before gradient accumulation).
    #[specta(type = specta_typescript::Number)]
    pub batch_size: u64,
    /// Tokens per sequence.
    #[specta(type = specta_typescript::Number)]
    pub seq_len: u64,
    #[specta(type = specta_typescript::Number)]
    pub lora_rank: u64,
    pub target_modules: Vec<TargetModule>,
    pub gradient_checkpointing: bool,
    pub optimizer: Optimizer,
    /// Cross-entropy over chunks of tokens instead of materializing all logits.
    pub chunked_loss: bool,
}

impl Default for TrainingOptions {
    /// Unsloth's notebook defaults, minus its always-on checkpointing (a CLI flag here).
    fn default() -> Self {
        Self {
            method: TrainingMethod::Lora,
            batch_size: 2,
            seq_len: 2048,
            lora_rank: 16,
            target_modules: TargetModule::ALL.to_vec(),
            gradient_checkpointing: false,
            optimizer: Optimizer::Adamw,
            chunked_loss: false,
        }
    }
}

impl TrainingOptions {
    fn validate(&self) -> Result<()> {
        let check = |field: &str, v: u64, max: u64| {
            if v == 0 || v > max {
                Err(HardwareError::option(
                    field,
                    format!("must be between 1 and {max}, got {v}"),
                ))
            } else {
                Ok(())
            }
        };
        check("batch_size", self.batch_size, 4096)?;
        check("seq_len", self.seq_len, 1 << 22)?;
        if self.method != TrainingMethod::Full {
            check("lora_rank", self.lora_rank, 1 << 14)?;
            if self.target_modules.is_empty() {
                return Err(HardwareError::option(
                    "target_modules",
                    "LoRA needs at least one",
                ));
            }
        }
        Ok(())
    }
}

/// Each term of the peak, in bytes. Separate fields so each can be calibrated on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct TrainingTerms {
    /// Base weights as they sit on the device (bf16, or NF4 + bf16 remainder for QLoRA).
    #[specta(type = specta_typescript::Number)]
    pub weights_bytes: u64,
    /// LoRA A and B matrices (f32).
    #[specta(type = specta_typescript::Number)]
    pub lora_adapter_bytes: u64,
    #[specta(type = specta_typescript::Number)]
    pub gradients_bytes: u64,
    #[specta(type = specta_typescript::Number)]
    pub optimizer_bytes: u64,
    /// Tensors saved for the backward pass across all layers.
    #[specta(type = specta_typescript::Number)]
    pub activations_bytes: u64,
    /// Logits, their f32 copy and gradient (or one chunk of them).
    #[specta(type = specta_typescript::Number)]
    pub logits_bytes: u64,
    /// QLoRA: one weight matrix dequantized to bf16 at a time.
    #[specta(type = specta_typescript::Number)]
    pub dequant_scratch_bytes: u64,
    #[specta(type = specta_typescript::Number)]
    pub overhead_bytes: u64,
}

impl TrainingTerms {
    pub fn total(&self) -> u64 {
        self.weights_bytes
            + self.lora_adapter_bytes
            + self.gradients_bytes
            + self.optimizer_bytes
            + self.activations_bytes
            + self.logits_bytes
            + self.dequant_scratch_bytes
            + self.overhead_bytes
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct TrainingEstimate {
    pub model: ModelSummary,
    pub options: TrainingOptions,
    pub parameters: ParamCounts,
    #[specta(type = specta_typescript::Number)]
    pub trainable_parameters: u64,
    pub terms: TrainingTerms,
    /// Peak device memory: the sum of the terms.
    #[specta(type = specta_typescript::Number)]
    pub total_bytes: u64,
    pub notes: Vec<String>,
}

/// Training needs the parameter layout of config.json; a GGUF file is for inference.
pub fn estimate_training(model: &Model, options: &TrainingOptions) -> Result<TrainingEstimate> {
    estimate_training_calibrated(model, options, &Calibration::default())
}

pub fn estimate_training_calibrated(
    model: &Model,
    options: &TrainingOptions,
    calibration: &Calibration,
) -> Result<TrainingEstimate> {
    let ModelKind::Config { layout, params } = &model.kind else {
        return Err(HardwareError::Unsupported(
            "a training estimate needs the model's config.json (a GGUF file is for inference)"
                .to_owned(),
        ));
    };
    options.validate()?;
    let terms = training_terms(&model.shape, layout, params, options, calibration);
    let trainable = trainable_parameters(&model.shape, layout, params, options);
    let mut notes = model.notes.clone();
    if params.vision > 0 {
        notes.push(
            "the vision tower is counted as frozen bf16 weights; only the language model trains"
                .to_owned(),
        );
    }
    Ok(TrainingEstimate {
        model: model.summary(),
        options: options.clone(),
        parameters: *params,
        trainable_parameters: trainable,
        total_bytes: terms.total(),
        terms,
        notes,
    })
}

fn trainable_parameters(
    shape: &ModelShape,
    layout: &ArchLayout,
    params: &ParamCounts,
    options: &TrainingOptions,
) -> u64 {
    match options.method {
        TrainingMethod::Full => params.text_total(),
        TrainingMethod::Lora | TrainingMethod::Qlora => {
            lora_parameters(shape, layout, &options.target_modules, options.lora_rank).0
        }
    }
}

fn training_terms(
    shape: &ModelShape,
    layout: &ArchLayout,
    params: &ParamCounts,
    options: &TrainingOptions,
    cal: &Calibration,
) -> TrainingTerms {
    let is_lora = options.method != TrainingMethod::Full;
    let trainable = trainable_parameters(shape, layout, params, options) as f64;

    // Weights: QLoRA stores the decoder's matrices in NF4, everything else in bf16.
    let weights = match options.method {
        TrainingMethod::Qlora => {
            params.decoder_linear() as f64 * NF4_BITS_PER_WEIGHT / 8.0
                + (params.unquantized() + params.vision) as f64 * BF16_BYTES
        }
        TrainingMethod::Lora | TrainingMethod::Full => params.total() as f64 * BF16_BYTES,
    };
    let lora_adapter = if is_lora {
        trainable * LORA_PARAM_BYTES
    } else {
        0.0
    };
    let gradients = trainable
        * if is_lora {
            LORA_GRAD_BYTES
        } else {
            FULL_GRAD_BYTES
        };
    let optimizer = trainable
        * match options.optimizer {
            Optimizer::Adamw => ADAMW_STATE_BYTES,
            Optimizer::Adamw8bit => ADAMW_8BIT_STATE_BYTES,
        };

    // Activations: per token per layer, see constants.rs for what each term counts.
    let tokens = (options.batch_size * options.seq_len) as f64;
    let lora_modules = if is_lora {
        lora_parameters(shape, layout, &options.target_modules, options.lora_rank).1
    } else {
        0
    };
    let per_token_layer = ACT_HIDDEN_PER_TOKEN * shape.hidden_size as f64
        + ACT_Q_PER_TOKEN * shape.q_dim() as f64
        + ACT_KV_PER_TOKEN * shape.kv_dim() as f64
        + ACT_MLP_PER_TOKEN * shape.intermediate_size as f64
        + (options.lora_rank * lora_modules) as f64;
    let one_layer = tokens * per_token_layer * ACTIVATION_BYTES;
    let layers = shape.num_layers as f64;
    let activations = if options.gradient_checkpointing {
        // Each layer keeps only its input; one layer's full set is rebuilt during backward.
        layers * tokens * shape.hidden_size as f64 * ACTIVATION_BYTES + one_layer
    } else {
        layers * one_layer
    };

    let vocab = shape.vocab_size as f64;
    let logits = if options.chunked_loss {
        (options.batch_size * options.seq_len).min(LOSS_CHUNK_TOKENS) as f64
            * vocab
            * LOGITS_BYTES_CHUNKED
    } else {
        tokens * vocab * LOGITS_BYTES_UNCHUNKED
    };
    let dequant_scratch = if options.method == TrainingMethod::Qlora {
        params.largest_matrix as f64 * BF16_BYTES
    } else {
        0.0
    };

    TrainingTerms {
        weights_bytes: bytes(weights * cal.weights),
        lora_adapter_bytes: bytes(lora_adapter * cal.lora_adapter),
        gradients_bytes: bytes(gradients * cal.gradients),
        optimizer_bytes: bytes(optimizer * cal.optimizer),
        activations_bytes: bytes(activations * cal.activations),
        logits_bytes: bytes(logits * cal.logits),
        dequant_scratch_bytes: bytes(dequant_scratch * cal.dequant_scratch),
        overhead_bytes: bytes(TRAINING_OVERHEAD_BYTES as f64 * cal.overhead),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_parse_from_cli_spellings() {
        assert_eq!(
            "QLoRA".parse::<TrainingMethod>().unwrap(),
            TrainingMethod::Qlora
        );
        assert_eq!(
            "gate_proj".parse::<TargetModule>().unwrap(),
            TargetModule::Gate
        );
        assert_eq!("down".parse::<TargetModule>().unwrap(), TargetModule::Down);
        assert_eq!(
            "adamw-8bit".parse::<Optimizer>().unwrap(),
            Optimizer::Adamw8bit
        );
        assert_eq!(
            "sgd".parse::<Optimizer>().unwrap_err().code(),
            "invalid_input"
        );
        assert_eq!(
            "lm_head".parse::<TargetModule>().unwrap_err().code(),
            "invalid_input"
        );
    }

    #[test]
    fn zero_batch_or_rank_is_an_invalid_option() {
        for opts in [
            TrainingOptions {
                batch_size: 0,
                ..Default::default()
            },
            TrainingOptions {
                seq_len: 0,
                ..Default::default()
            },
            TrainingOptions {
                lora_rank: 0,
                ..Default::default()
            },
            TrainingOptions {
                target_modules: vec![],
                ..Default::default()
            },
        ] {
            assert_eq!(opts.validate().unwrap_err().code(), "invalid_input");
        }
        // Full fine-tuning has no rank to check.
        let full = TrainingOptions {
            method: TrainingMethod::Full,
            lora_rank: 0,
            ..Default::default()
        };
        assert!(full.validate().is_ok());
    }
}
