//! The model-loading options `generate`, `chat` and `serve` share.

use std::path::PathBuf;

use clap::Args;
use loris_infer::{EngineOptions, LoadOptions};

#[derive(Args)]
pub struct ModelArgs {
    /// A GGUF model file or a Hugging Face model folder.
    #[arg(long)]
    pub model: PathBuf,
    /// A tokenizer.json to use instead of the model's own.
    #[arg(long)]
    pub tokenizer: Option<PathBuf>,
    /// Load quantized GGUF weights as f32 (matches transformers' arithmetic). The default for
    /// models whose f32 weights fit in 2 GiB.
    #[arg(long, conflicts_with = "keep_quantized")]
    pub dequantize: bool,
    /// Run on the quantized weights even for a small model.
    #[arg(long)]
    pub keep_quantized: bool,
    /// A LoRA adapter folder (PEFT layout: adapter_config.json + adapter_model.safetensors),
    /// merged into the weights as they load.
    #[arg(long)]
    pub adapter: Option<PathBuf>,
    /// CPU threads for the tensor kernels (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// `cpu`, `cuda` or `cuda:N` (default: GPU 0 when this build has CUDA and a GPU is
    /// present, else the CPU).
    #[arg(long)]
    pub device: Option<String>,
}

impl ModelArgs {
    pub fn load_options(&self) -> anyhow::Result<LoadOptions> {
        // Folders hold float weights: there is nothing to dequantize.
        let dequantize = self.model.is_file()
            && (self.dequantize
                || (!self.keep_quantized && loris_infer::prefers_dequantized(&self.model)?));
        Ok(LoadOptions {
            dequantize,
            tokenizer: self.tokenizer.clone(),
            adapter: self.adapter.clone(),
            device: device_from(self.device.as_deref())?,
            ..Default::default()
        })
    }

    pub fn engine_options(&self) -> EngineOptions {
        EngineOptions {
            threads: self.threads,
            ..Default::default()
        }
    }
}

/// The device `--device` names, else the default one.
pub fn device_from(arg: Option<&str>) -> anyhow::Result<loris_infer::device::Device> {
    Ok(match arg {
        Some(spec) => loris_infer::device::open_device(spec)?,
        None => loris_infer::device::default_device(),
    })
}
