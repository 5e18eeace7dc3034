//! Reading a GGUF model's tensors by their llama.cpp names, either kept quantized (candle's
//! quantized matmul) or dequantized to f32 (`dequantize`).
//!
//! Dequantizing costs memory and, for large models, speed; it buys arithmetic that matches
//! transformers run on the dequantized weights: candle's (and llama.cpp's) quantized kernels
//! quantize the activations to 8 bits, which drifts enough to change a greedy answer.

use std::collections::HashMap;
use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;
use std::sync::Arc;

use candle_core::quantized::{QMatMul, QTensor};
use candle_core::{Device, Module, Tensor};
use loris_models::GgufFile;

use crate::error::{InferError, Result};

/// Where a model file's `load` gets its weights, by llama.cpp tensor name (`blk.0.attn_q.weight`):
/// a GGUF file, or a Hugging Face checkpoint through a name map.
pub trait WeightSource {
    fn has(&self, name: &str) -> bool;
    /// A weight used densely (norms, embeddings), f32.
    fn dense(&mut self, name: &str) -> Result<Tensor>;
    /// A matmul weight, `[out, in]`.
    fn linear(&mut self, name: &str) -> Result<Linear>;
}

pub struct GgufWeights<'a> {
    pub file: &'a GgufFile,
    reader: BufReader<File>,
    device: Device,
    dequantize: bool,
}

impl<'a> GgufWeights<'a> {
    pub fn new(file: &'a GgufFile, device: &Device, dequantize: bool) -> Result<Self> {
        Ok(GgufWeights {
            reader: file.reader()?,
            file,
            device: device.clone(),
            dequantize,
        })
    }

    pub fn qtensor(&mut self, name: &str) -> Result<QTensor> {
        if !self.has(name) {
            return Err(InferError::UnsupportedModel(format!(
                "{}: tensor {name} is missing",
                self.file.path.display()
            )));
        }
        let tensor = self
            .file
            .content
            .tensor(&mut self.reader, name, &self.device)?;
        crate::progress::advance(tensor.storage_size_in_bytes() as u64);
        Ok(tensor)
    }
}

impl WeightSource for GgufWeights<'_> {
    fn has(&self, name: &str) -> bool {
        self.file.content.tensor_infos.contains_key(name)
    }

    fn dense(&mut self, name: &str) -> Result<Tensor> {
        Ok(self.qtensor(name)?.dequantize(&self.device)?)
    }

    fn linear(&mut self, name: &str) -> Result<Linear> {
        let q = self.qtensor(name)?;
        let device = self.device.clone();
        if let Some(merged) =
            crate::adapter::merged_gguf_weight(name, || Ok(q.dequantize(&device)?))?
        {
            return Ok(Linear::from_dense(merged));
        }
        Linear::from_qtensor(q, self.dequantize)
    }
}

/// How a Hugging Face tensor becomes the llama.cpp-convention tensor a model file expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transform {
    None,
    /// Gemma stores RMSNorm weights as `w` and multiplies by `1 + w`; GGUF stores `1 + w`.
    AddOne,
}

/// Hugging Face tensors (already in memory, f32) seen through a llama.cpp-name map.
pub struct HfWeights {
    tensors: HashMap<String, Tensor>,
    map: fn(&str) -> Option<(String, Transform)>,
    dir: PathBuf,
}

impl HfWeights {
    pub fn new(
        tensors: HashMap<String, Tensor>,
        map: fn(&str) -> Option<(String, Transform)>,
        dir: PathBuf,
    ) -> Self {
        HfWeights { tensors, map, dir }
    }

    fn get(&self, name: &str) -> Result<Tensor> {
        let missing = |what: String| {
            InferError::UnsupportedModel(format!(
                "{}: tensor {what} is missing",
                self.dir.display()
            ))
        };
        let (hf, transform) = (self.map)(name).ok_or_else(|| missing(name.to_owned()))?;
        let t = self
            .tensors
            .get(&hf)
            .ok_or_else(|| missing(hf.clone()))?
            .to_dtype(candle_core::DType::F32)?;
        Ok(match transform {
            Transform::None => t,
            Transform::AddOne => (t + 1.0)?,
        })
    }
}

impl WeightSource for HfWeights {
    fn has(&self, name: &str) -> bool {
        (self.map)(name).is_some_and(|(hf, _)| self.tensors.contains_key(&hf))
    }

    fn dense(&mut self, name: &str) -> Result<Tensor> {
        self.get(name)
    }

    fn linear(&mut self, name: &str) -> Result<Linear> {
        Ok(Linear::from_dense(self.get(name)?))
    }
}

/// `x @ W^T` with W quantized or dense.
#[derive(Debug, Clone)]
pub struct Linear {
    weight: QMatMul,
    bias: Option<Tensor>,
}

impl Linear {
    pub fn from_qtensor(q: QTensor, dequantize: bool) -> Result<Self> {
        let inner = if dequantize {
            QMatMul::Tensor(q.dequantize(&q.device())?)
        } else {
            // f32/f16/bf16 tensors are dequantized by candle itself.
            QMatMul::from_arc(Arc::new(q))?
        };
        Ok(Linear {
            weight: inner,
            bias: None,
        })
    }

    pub fn from_dense(weight: Tensor) -> Self {
        Linear {
            weight: QMatMul::Tensor(weight),
            bias: None,
        }
    }

    /// Adds a bias `[out]` (Qwen 2's q/k/v projections).
    pub fn with_bias(mut self, bias: Tensor) -> Self {
        self.bias = Some(bias);
        self
    }

    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let y = self.weight.forward(x)?;
        Ok(match &self.bias {
            Some(b) => y.broadcast_add(b)?,
            None => y,
        })
    }
}

/// RMS normalization over the last dimension.
#[derive(Debug, Clone)]
pub struct RmsNorm {
    weight: Tensor,
    eps: f32,
}

impl RmsNorm {
    pub fn new(weight: Tensor, eps: f64) -> Self {
        RmsNorm {
            weight,
            eps: eps as f32,
        }
    }

    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        Ok(candle_nn::ops::rms_norm(
            &x.contiguous()?,
            &self.weight,
            self.eps,
        )?)
    }
}
