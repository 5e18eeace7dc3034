//! Loris Studio hardware: what this machine has, and what a model needs.
//!
//! - [`detect`]: NVIDIA GPUs through NVML (honouring CUDA_VISIBLE_DEVICES), CPU, RAM and the
//!   disk under the data dir. Never fails: a machine without a driver is "CPU only" with the
//!   reason.
//! - [`spawn_sampler`]: live samples (1 Hz by default) on a thread, for charts.
//! - [`estimate`]: GPU memory to train (LoRA, QLoRA, full) or serve a model, from config.json or
//!   a GGUF header, with a verdict per device and the changes that would make it fit.
//! - [`gguf`]: GGUF headers (metadata and tensor infos) through `loris-gguf`, with this crate's error codes.
//!
//! No Tauri and no async runtime here: the app, the CLI and the LAN API call these functions.

pub mod detect;
pub mod error;
pub mod estimate;
pub mod gguf;
pub mod nvidia;
pub mod sampler;
pub mod system;

pub use detect::{DetectOptions, HardwareReport, detect, detect_with};
pub use error::{HardwareError, Result};
pub use nvidia::{Gpu, NvidiaDriver};
pub use sampler::{
    DEFAULT_SAMPLE_INTERVAL, GpuSample, HardwareSample, SamplerHandle, spawn_sampler,
    spawn_sampler_with,
};
pub use system::{CpuInfo, DiskInfo, MemoryInfo};
