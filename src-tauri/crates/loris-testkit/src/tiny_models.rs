//! Tiny random-weight Hugging Face model folders.
//!
//! [`write_tiny_model`] writes, for one of the architectures in [`Arch`]:
//!
//! - `config.json`: the fields, values and key layout that transformers' `save_pretrained` writes
//!   for the same dimensions (4.x layout by default, 5.x layout with
//!   [`TinyModelSpec::transformers_v5_config`]); checked against transformers' own output in
//!   `tests/golden/`;
//! - `model.safetensors` (or two shards `model-0000N-of-00002.safetensors` and
//!   `model.safetensors.index.json`), F32 or BF16, with transformers' tensor names and shapes and
//!   the `{"format": "pt"}` metadata; tied embeddings are saved once, without `lm_head.weight`;
//! - `tokenizer.json` and `tokenizer_config.json` (with its Jinja chat template), copied from the
//!   real fixture tokenizer of the architecture's family ([`Arch::tokenizer`]).
//!
//! Dimensions: hidden 64, 2 layers, 4 attention heads, 2 key/value heads, head_dim 16,
//! intermediate 128; the vocabulary is the tokenizer's full id range (so every id, added tokens
//! included, has an embedding row). Weights are deterministic in the seed (see
//! [`tensor_values`]).

mod config;
mod tensors;
mod tokenizer;

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use safetensors::tensor::{Dtype, View};
use serde_json::{Value, json};

pub use config::{TRANSFORMERS_V4_VERSION, TRANSFORMERS_V5_VERSION};
pub use tensors::{INIT_STD, TensorSpec, tensor_specs, tensor_values};
pub use tokenizer::{TokenizerInfo, tokenizer_info};

use crate::fixtures;

/// `hidden_size`
pub const HIDDEN_SIZE: usize = 64;
/// `num_hidden_layers`
pub const NUM_LAYERS: usize = 2;
/// `num_attention_heads`
pub const NUM_HEADS: usize = 4;
/// `num_key_value_heads`
pub const NUM_KV_HEADS: usize = 2;
/// `head_dim` (written explicitly where the config class has the field)
pub const HEAD_DIM: usize = 16;
/// `intermediate_size`
pub const INTERMEDIATE_SIZE: usize = 128;

/// File name of an unsharded checkpoint.
pub const SAFETENSORS_FILE: &str = "model.safetensors";
/// File name of the shard index.
pub const SAFETENSORS_INDEX_FILE: &str = "model.safetensors.index.json";

/// The architectures a tiny model can be written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Arch {
    /// `LlamaForCausalLM`, tokenizer `llama3_2`.
    Llama,
    /// `Qwen2ForCausalLM` (q/k/v biases), tokenizer `qwen2_5`.
    Qwen2,
    /// `Qwen3ForCausalLM` (q_norm/k_norm, explicit head_dim), tokenizer `qwen3`.
    Qwen3,
    /// `Gemma2ForCausalLM` (pre/post feed-forward norms, logit softcapping), tokenizer `gemma3`.
    Gemma2,
    /// `Gemma3ForCausalLM`, model_type `gemma3_text` (q_norm/k_norm, sliding window layers, a
    /// local rope base), tokenizer `gemma3`.
    Gemma3,
    /// `MistralForCausalLM`, tokenizer `mistral_nemo`.
    Mistral,
    /// `Phi3ForCausalLM` (fused `qkv_proj` and `gate_up_proj`), tokenizer `llama3_2`.
    Phi3,
}

impl Arch {
    /// Every architecture.
    pub const ALL: [Arch; 7] = [
        Arch::Llama,
        Arch::Qwen2,
        Arch::Qwen3,
        Arch::Gemma2,
        Arch::Gemma3,
        Arch::Mistral,
        Arch::Phi3,
    ];

    /// Short lower-case name, for folder names and messages (`llama`, `qwen2`, ..., `phi3`).
    pub fn name(self) -> &'static str {
        match self {
            Arch::Llama => "llama",
            Arch::Qwen2 => "qwen2",
            Arch::Qwen3 => "qwen3",
            Arch::Gemma2 => "gemma2",
            Arch::Gemma3 => "gemma3",
            Arch::Mistral => "mistral",
            Arch::Phi3 => "phi3",
        }
    }

    /// `architectures[0]` in config.json.
    pub fn hf_architecture(self) -> &'static str {
        match self {
            Arch::Llama => "LlamaForCausalLM",
            Arch::Qwen2 => "Qwen2ForCausalLM",
            Arch::Qwen3 => "Qwen3ForCausalLM",
            Arch::Gemma2 => "Gemma2ForCausalLM",
            Arch::Gemma3 => "Gemma3ForCausalLM",
            Arch::Mistral => "MistralForCausalLM",
            Arch::Phi3 => "Phi3ForCausalLM",
        }
    }

    /// `model_type` in config.json.
    pub fn model_type(self) -> &'static str {
        match self {
            Arch::Gemma3 => "gemma3_text",
            other => other.name(),
        }
    }

    /// The fixture tokenizer (`fixtures::tokenizer_dir(name)`) whose files are copied in.
    pub fn tokenizer(self) -> &'static str {
        match self {
            Arch::Llama | Arch::Phi3 => "llama3_2",
            Arch::Qwen2 => "qwen2_5",
            Arch::Qwen3 => "qwen3",
            Arch::Gemma2 | Arch::Gemma3 => "gemma3",
            Arch::Mistral => "mistral_nemo",
        }
    }

    /// transformers' default `tie_word_embeddings` for the config class (true for Gemma only).
    pub fn default_tie_word_embeddings(self) -> bool {
        matches!(self, Arch::Gemma2 | Arch::Gemma3)
    }
}

impl std::fmt::Display for Arch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Element type of the written weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum DType {
    #[default]
    F32,
    BF16,
}

impl DType {
    /// The name config.json uses (`float32`, `bfloat16`).
    pub fn torch_name(self) -> &'static str {
        match self {
            DType::F32 => "float32",
            DType::BF16 => "bfloat16",
        }
    }

    /// The safetensors dtype.
    pub fn safetensors_dtype(self) -> Dtype {
        match self {
            DType::F32 => Dtype::F32,
            DType::BF16 => Dtype::BF16,
        }
    }

    /// Bytes per element.
    pub fn size_in_bytes(self) -> usize {
        match self {
            DType::F32 => 4,
            DType::BF16 => 2,
        }
    }
}

/// What to write. Start from [`TinyModelSpec::new`]; the fields are public, and the `with_*`
/// methods set them in a chain.
#[derive(Debug, Clone, PartialEq)]
pub struct TinyModelSpec {
    pub arch: Arch,
    /// Element type of the weights (config.json's `torch_dtype` / `dtype` follows it).
    pub dtype: DType,
    /// Seed of the weights; the same seed gives the same bytes.
    pub seed: u64,
    /// Write transformers 5.x's config layout: `rope_parameters: {rope_type: "default",
    /// rope_theta}` instead of `rope_theta` (Gemma 3: one such entry per layer type, in place of
    /// `rope_theta` and `rope_local_base_freq`; Phi-3: `partial_rotary_factor` moves in too),
    /// `dtype` instead of `torch_dtype`, and token ids and `tie_word_embeddings` always written.
    pub transformers_v5_config: bool,
    /// Write two shards and `model.safetensors.index.json` instead of `model.safetensors`.
    pub sharded: bool,
    /// `None`: the architecture's default ([`Arch::default_tie_word_embeddings`]).
    pub tie_word_embeddings: Option<bool>,
    /// `sliding_window` of Gemma 2, Gemma 3 and Mistral; `None`: 4096, 512 (gemma-3-270m's) and
    /// 4096. Ignored by the other architectures.
    pub sliding_window: Option<usize>,
    /// Tokenizer folder to copy from; `None`: the fixture tokenizer named by [`Arch::tokenizer`].
    pub tokenizer_dir: Option<PathBuf>,
}

impl TinyModelSpec {
    /// F32, seed 0, transformers 4.x config, one safetensors file, default tying and window, the
    /// architecture's fixture tokenizer.
    pub fn new(arch: Arch) -> Self {
        Self {
            arch,
            dtype: DType::F32,
            seed: 0,
            transformers_v5_config: false,
            sharded: false,
            tie_word_embeddings: None,
            sliding_window: None,
            tokenizer_dir: None,
        }
    }

    pub fn with_dtype(mut self, dtype: DType) -> Self {
        self.dtype = dtype;
        self
    }

    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    pub fn with_transformers_v5_config(mut self, v5: bool) -> Self {
        self.transformers_v5_config = v5;
        self
    }

    pub fn with_sharded(mut self, sharded: bool) -> Self {
        self.sharded = sharded;
        self
    }

    pub fn with_tie_word_embeddings(mut self, tie: bool) -> Self {
        self.tie_word_embeddings = Some(tie);
        self
    }

    pub fn with_sliding_window(mut self, window: usize) -> Self {
        self.sliding_window = Some(window);
        self
    }

    pub fn with_tokenizer_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.tokenizer_dir = Some(dir.into());
        self
    }

    /// Whether the written model ties `lm_head` to the embedding.
    pub fn ties_word_embeddings(&self) -> bool {
        self.tie_word_embeddings
            .unwrap_or(self.arch.default_tie_word_embeddings())
    }
}

/// A written tiny model.
#[derive(Debug, Clone)]
pub struct TinyModel {
    /// The model folder.
    pub dir: PathBuf,
    pub arch: Arch,
    pub dtype: DType,
    /// The contents of config.json.
    pub config: Value,
    pub config_path: PathBuf,
    /// `model.safetensors`, or the shards in order.
    pub weight_files: Vec<PathBuf>,
    /// `model.safetensors.index.json` when sharded.
    pub index_path: Option<PathBuf>,
    pub tokenizer_json: PathBuf,
    pub tokenizer_config: PathBuf,
    /// Vocabulary size and special token ids (as written into config.json).
    pub tokenizer: TokenizerInfo,
    /// Every tensor written, in state-dict order.
    pub tensors: Vec<TensorSpec>,
    /// The seed the weights came from (see [`tensor_values`]).
    pub seed: u64,
}

impl TinyModel {
    pub fn vocab_size(&self) -> usize {
        self.tokenizer.vocab_size
    }

    /// The shape written for `name`, if there is such a tensor.
    pub fn shape(&self, name: &str) -> Option<&[usize]> {
        self.tensors
            .iter()
            .find(|t| t.name == name)
            .map(|t| t.shape.as_slice())
    }

    /// The f32 values of tensor `name` before any BF16 rounding, if there is such a tensor.
    pub fn values(&self, name: &str) -> Option<Vec<f32>> {
        let spec = self.tensors.iter().find(|t| t.name == name)?;
        Some(tensor_values(self.arch, self.seed, name, spec.numel()))
    }
}

/// An owned tensor for the safetensors writer.
struct Encoded {
    dtype: Dtype,
    shape: Vec<usize>,
    data: Vec<u8>,
}

impl View for &Encoded {
    fn dtype(&self) -> Dtype {
        self.dtype
    }
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn data(&self) -> std::borrow::Cow<'_, [u8]> {
        std::borrow::Cow::Borrowed(&self.data)
    }
    fn data_len(&self) -> usize {
        self.data.len()
    }
}

/// Writes `bytes` to a temporary file beside `path`, then renames it into place.
fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let file_name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "path has no file name"))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(file_name);
    tmp_name.push(format!(".tmp{}", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    let result = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn write_json(path: &Path, value: &Value) -> io::Result<()> {
    let mut text = serde_json::to_string_pretty(value).map_err(io::Error::other)?;
    text.push('\n');
    write_atomic(path, text.as_bytes())
}

fn write_safetensors(path: &Path, tensors: &[(&str, &Encoded)]) -> io::Result<()> {
    let metadata = std::collections::HashMap::from([("format".to_owned(), "pt".to_owned())]);
    // serialize_to_file writes a temporary file beside `path` and renames it.
    safetensors::serialize_to_file(tensors.iter().copied(), Some(metadata), path)
        .map_err(io::Error::other)
}

/// Which of the two shards a tensor goes to: the embedding and layer 0 in the first, the rest
/// (later layers, final norm, lm_head) in the second.
fn shard_of(name: &str) -> usize {
    if name == "model.embed_tokens.weight" || name.starts_with("model.layers.0.") {
        0
    } else {
        1
    }
}

fn shard_file_name(index: usize, count: usize) -> String {
    format!("model-{:05}-of-{:05}.safetensors", index + 1, count)
}

/// Writes a tiny model described by `spec` into `dir` (created if needed; files of the same
/// names are replaced) and returns what it wrote.
///
/// Fails with [`io::ErrorKind::NotFound`] when the tokenizer is missing (run
/// `tests/fixtures/fetch.sh`), and with the underlying error when a read or write fails.
pub fn write_tiny_model(spec: &TinyModelSpec, dir: impl AsRef<Path>) -> io::Result<TinyModel> {
    let dir = dir.as_ref();
    let tokenizer_src = match &spec.tokenizer_dir {
        Some(path) => path.clone(),
        None => fixtures::tokenizer_dir(spec.arch.tokenizer()).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!(
                    "fixture tokenizer {} is missing from {}: {}",
                    spec.arch.tokenizer(),
                    fixtures::fixtures_dir().display(),
                    fixtures::FETCH_HINT
                ),
            )
        })?,
    };
    let tokenizer = tokenizer_info(&tokenizer_src)?;
    std::fs::create_dir_all(dir)?;

    // Tokenizer files.
    let tokenizer_json = dir.join("tokenizer.json");
    let tokenizer_config = dir.join("tokenizer_config.json");
    for dst in [&tokenizer_json, &tokenizer_config] {
        if let Some(name) = dst.file_name() {
            let bytes = std::fs::read(tokenizer_src.join(name))?;
            write_atomic(dst, &bytes)?;
        }
    }

    // config.json
    let tie = spec.ties_word_embeddings();
    let config = config::config_json(&config::ConfigInputs {
        arch: spec.arch,
        dtype: spec.dtype,
        v5: spec.transformers_v5_config,
        tokenizer: &tokenizer,
        tie_word_embeddings: tie,
        sliding_window: spec.sliding_window,
    });
    let config_path = dir.join("config.json");
    write_json(&config_path, &config)?;

    // Weights.
    let specs = tensor_specs(spec.arch, tokenizer.vocab_size, tie);
    let encoded: Vec<(String, Encoded)> = specs
        .iter()
        .map(|t| {
            let tensor = Encoded {
                dtype: spec.dtype.safetensors_dtype(),
                shape: t.shape.clone(),
                data: tensors::tensor_bytes(spec.arch, spec.seed, &t.name, t.numel(), spec.dtype),
            };
            (t.name.clone(), tensor)
        })
        .collect();

    let (weight_files, index_path) = if spec.sharded {
        const SHARDS: usize = 2;
        let mut weight_map = BTreeMap::new();
        let mut files = Vec::with_capacity(SHARDS);
        for shard in 0..SHARDS {
            let file_name = shard_file_name(shard, SHARDS);
            let members: Vec<(&str, &Encoded)> = encoded
                .iter()
                .filter(|(name, _)| shard_of(name) == shard)
                .map(|(name, t)| (name.as_str(), t))
                .collect();
            for (name, _) in &members {
                weight_map.insert((*name).to_owned(), Value::from(file_name.clone()));
            }
            let path = dir.join(&file_name);
            write_safetensors(&path, &members)?;
            files.push(path);
        }
        let total_size: usize = encoded.iter().map(|(_, t)| t.data.len()).sum();
        let total_parameters: usize = specs.iter().map(TensorSpec::numel).sum();
        let index = json!({
            "metadata": {"total_parameters": total_parameters, "total_size": total_size},
            "weight_map": weight_map,
        });
        let index_path = dir.join(SAFETENSORS_INDEX_FILE);
        write_json(&index_path, &index)?;
        (files, Some(index_path))
    } else {
        let all: Vec<(&str, &Encoded)> = encoded.iter().map(|(n, t)| (n.as_str(), t)).collect();
        let path = dir.join(SAFETENSORS_FILE);
        write_safetensors(&path, &all)?;
        (vec![path], None)
    };

    Ok(TinyModel {
        dir: dir.to_path_buf(),
        arch: spec.arch,
        dtype: spec.dtype,
        config,
        config_path,
        weight_files,
        index_path,
        tokenizer_json,
        tokenizer_config,
        tokenizer,
        tensors: specs,
        seed: spec.seed,
    })
}

#[cfg(test)]
mod tests;
