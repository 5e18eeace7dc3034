//! The training engine: LoRA and full fine-tuning on candle.
//!
//! - `weights`: the base model under Hugging Face names, from a folder or a GGUF;
//! - `spec`: one description of every supported family; `model`: the trainable decoder;
//! - `lora`: linear layers with LoRA pairs; `ops`: the operations fused kernels replace;
//! - `batch`: packed sequences on the device, with masks that keep samples apart;
//! - `step`: loss and gradients of a micro-batch, with per-block gradient checkpointing;
//! - `optim`, `schedule`: AdamW, clipping, warmup with linear or cosine decay;
//! - `trainer`: the loop, evaluation and checkpoints (`checkpoint`); `peft`: adapter export.

pub mod batch;
pub mod checkpoint;
pub mod config;
pub mod error;
pub mod job;
pub mod lora;
pub mod memory;
pub mod model;
pub mod ops;
pub mod optim;
pub mod peft;
pub mod rng;
pub mod run;
pub mod runs;
pub mod schedule;
pub mod spec;
pub mod step;
pub mod trainer;
pub mod weights;

pub use config::{MethodKind, RunPaths, TrainConfig};
pub use error::{Result, TrainError};
pub use lora::LoraConfig;
pub use model::{Method, TrainModel};
pub use ops::{ReferenceOps, TrainOps};
pub use trainer::{Control, Outcome, StepMetrics, TrainEvent, Trainer};
pub use weights::{BaseModel, load_base};
