//! Opening GGUF files with typed errors, and typed access to their metadata.
//!
//! The header is read by `loris-gguf`, the project's one bounds-checked GGUF reader: a malformed
//! or truncated file (including tensor data past the end of the file) is `invalid_gguf` when the
//! file is opened, not halfway through loading. The parsed header is then handed to candle as
//! its `Content`, which the engine uses to load tensors; candle's own parser never sees the file.

use std::collections::HashMap;
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use candle_core::quantized::GgmlDType;
use candle_core::quantized::gguf_file::{Content, TensorInfo, Value, VersionedMagic};
use loris_gguf::{GgufError, GgufHeader, GgufValue, ParseOptions};

use crate::error::{ModelError, Result};

/// A parsed GGUF header plus the path to read tensors from.
#[derive(Debug)]
pub struct GgufFile {
    pub path: PathBuf,
    /// The header as `loris-gguf` read it; the typed accessors below read from it.
    pub header: GgufHeader,
    /// The same header in candle's terms, for loading tensors.
    pub content: Content,
}

impl GgufFile {
    pub fn open(path: &Path) -> Result<Self> {
        // Tokenizers need whole vocabularies and merge lists: keep every array item.
        let header =
            loris_gguf::read_file(path, ParseOptions::KEEP_ALL).map_err(|e| error(path, e))?;
        let content = to_candle(&header).map_err(|reason| invalid(path, reason))?;
        Ok(GgufFile {
            path: path.to_owned(),
            header,
            content,
        })
    }

    /// A fresh reader over the file, for loading tensors.
    pub fn reader(&self) -> Result<BufReader<File>> {
        File::open(&self.path)
            .map(BufReader::new)
            .map_err(|e| ModelError::io("open", &self.path, e))
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.content.metadata.get(key)
    }

    /// `general.architecture`.
    pub fn architecture(&self) -> Result<&str> {
        self.req_str("general.architecture")
    }

    pub fn req_str(&self, key: &str) -> Result<&str> {
        self.header.req_str(key).map_err(|e| self.error(e))
    }

    pub fn opt_str(&self, key: &str) -> Result<Option<&str>> {
        self.header.opt_str(key).map_err(|e| self.error(e))
    }

    pub fn req_u64(&self, key: &str) -> Result<u64> {
        self.header.req_u64(key).map_err(|e| self.error(e))
    }

    pub fn req_usize(&self, key: &str) -> Result<usize> {
        self.header.req_usize(key).map_err(|e| self.error(e))
    }

    pub fn opt_usize(&self, key: &str) -> Result<Option<usize>> {
        self.header.opt_usize(key).map_err(|e| self.error(e))
    }

    pub fn opt_u64(&self, key: &str) -> Result<Option<u64>> {
        self.header.opt_u64(key).map_err(|e| self.error(e))
    }

    pub fn opt_u32(&self, key: &str) -> Result<Option<u32>> {
        self.header.opt_u32(key).map_err(|e| self.error(e))
    }

    pub fn req_f64(&self, key: &str) -> Result<f64> {
        self.header.req_f64(key).map_err(|e| self.error(e))
    }

    pub fn opt_f64(&self, key: &str) -> Result<Option<f64>> {
        self.header.opt_f64(key).map_err(|e| self.error(e))
    }

    pub fn opt_bool(&self, key: &str) -> Result<Option<bool>> {
        self.header.opt_bool(key).map_err(|e| self.error(e))
    }

    /// An array of strings (`tokenizer.ggml.tokens`, `tokenizer.ggml.merges`).
    pub fn opt_str_array(&self, key: &str) -> Result<Option<Vec<&str>>> {
        self.header.opt_str_array(key).map_err(|e| self.error(e))
    }

    /// An array of numbers as f32 (`tokenizer.ggml.scores`).
    pub fn opt_f32_array(&self, key: &str) -> Result<Option<Vec<f32>>> {
        self.header.opt_f32_array(key).map_err(|e| self.error(e))
    }

    /// An array of integers (`tokenizer.ggml.token_type`).
    pub fn opt_u64_array(&self, key: &str) -> Result<Option<Vec<u64>>> {
        self.header.opt_u64_array(key).map_err(|e| self.error(e))
    }

    fn error(&self, e: GgufError) -> ModelError {
        error(&self.path, e)
    }
}

/// I/O stays `io`; every malformed header or metadata value is `invalid_gguf`.
fn error(path: &Path, e: GgufError) -> ModelError {
    match e {
        GgufError::Io { action, source, .. } => ModelError::io(action, path, source),
        other => invalid(path, other.to_string()),
    }
}

fn invalid(path: &Path, reason: impl Into<String>) -> ModelError {
    ModelError::InvalidGguf {
        path: path.to_owned(),
        reason: reason.into(),
    }
}

/// The header in candle's types. Fails only for tensor types candle cannot load.
fn to_candle(header: &GgufHeader) -> std::result::Result<Content, String> {
    let magic = match header.version {
        2 => VersionedMagic::GgufV2,
        _ => VersionedMagic::GgufV3,
    };
    let metadata = header
        .metadata
        .iter()
        .map(|(k, v)| (k.clone(), candle_value(v)))
        .collect();
    let mut tensor_infos = HashMap::with_capacity(header.tensors.len());
    for t in &header.tensors {
        let ggml_dtype = candle_dtype(t.ggml_type.id).ok_or_else(|| {
            format!(
                "tensor {} has ggml type {}, which the engine cannot load",
                t.name, t.ggml_type.name
            )
        })?;
        // candle's shapes are outermost first; GGUF lists the innermost dimension first.
        let dims = t
            .dims
            .iter()
            .rev()
            .map(|&d| usize::try_from(d))
            .collect::<std::result::Result<Vec<usize>, _>>()
            .map_err(|_| format!("tensor {} is too large for this machine", t.name))?;
        tensor_infos.insert(
            t.name.clone(),
            TensorInfo {
                ggml_dtype,
                shape: dims.into(),
                offset: t.offset,
            },
        );
    }
    Ok(Content {
        magic,
        metadata,
        tensor_infos,
        tensor_data_offset: header.data_offset,
    })
}

fn candle_value(v: &GgufValue) -> Value {
    match v {
        GgufValue::U8(x) => Value::U8(*x),
        GgufValue::I8(x) => Value::I8(*x),
        GgufValue::U16(x) => Value::U16(*x),
        GgufValue::I16(x) => Value::I16(*x),
        GgufValue::U32(x) => Value::U32(*x),
        GgufValue::I32(x) => Value::I32(*x),
        GgufValue::F32(x) => Value::F32(*x),
        GgufValue::Bool(x) => Value::Bool(*x),
        GgufValue::String(s) => Value::String(s.clone()),
        GgufValue::U64(x) => Value::U64(*x),
        GgufValue::I64(x) => Value::I64(*x),
        GgufValue::F64(x) => Value::F64(*x),
        GgufValue::Array { values, .. } => Value::Array(values.iter().map(candle_value).collect()),
    }
}

/// The ggml types candle can load (its `GgmlDType::from_u32` is private).
fn candle_dtype(id: u32) -> Option<GgmlDType> {
    Some(match id {
        0 => GgmlDType::F32,
        1 => GgmlDType::F16,
        2 => GgmlDType::Q4_0,
        3 => GgmlDType::Q4_1,
        6 => GgmlDType::Q5_0,
        7 => GgmlDType::Q5_1,
        8 => GgmlDType::Q8_0,
        9 => GgmlDType::Q8_1,
        10 => GgmlDType::Q2K,
        11 => GgmlDType::Q3K,
        12 => GgmlDType::Q4K,
        13 => GgmlDType::Q5K,
        14 => GgmlDType::Q6K,
        15 => GgmlDType::Q8K,
        30 => GgmlDType::BF16,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use loris_gguf::GgufWriter;

    use super::*;

    #[test]
    fn garbage_and_truncation_are_typed_errors() {
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("bad.gguf");
        std::fs::write(&bad, b"NOPE\x03\x00\x00\x00rest of a file").unwrap();
        assert_eq!(GgufFile::open(&bad).unwrap_err().code(), "invalid_gguf");

        // A valid magic and version with absurd counts.
        let mut header = b"GGUF".to_vec();
        header.extend(3u32.to_le_bytes());
        header.extend(u64::MAX.to_le_bytes());
        header.extend(u64::MAX.to_le_bytes());
        std::fs::write(&bad, &header).unwrap();
        assert_eq!(GgufFile::open(&bad).unwrap_err().code(), "invalid_gguf");

        std::fs::write(&bad, b"GG").unwrap();
        assert_eq!(GgufFile::open(&bad).unwrap_err().code(), "invalid_gguf");

        let missing = dir.path().join("missing.gguf");
        assert_eq!(GgufFile::open(&missing).unwrap_err().code(), "io");
    }

    #[test]
    fn the_header_reaches_candle_outermost_dimension_first() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.gguf");
        let bytes = GgufWriter::default()
            .string("general.architecture", "llama")
            .str_array("tokenizer.ggml.tokens", &["a", "b"])
            .u32("llama.block_count", 2)
            .tensor("w", &[32, 3], 8, 3 * 34)
            .build();
        std::fs::write(&path, &bytes).unwrap();
        let file = GgufFile::open(&path).unwrap();
        assert_eq!(file.architecture().unwrap(), "llama");
        assert_eq!(file.req_usize("llama.block_count").unwrap(), 2);
        assert!(matches!(file.get("llama.block_count"), Some(Value::U32(2))));
        assert_eq!(
            file.opt_str_array("tokenizer.ggml.tokens").unwrap(),
            Some(vec!["a", "b"])
        );
        let info = &file.content.tensor_infos["w"];
        assert_eq!(info.shape.dims(), &[3, 32]);
        assert_eq!(info.ggml_dtype, GgmlDType::Q8_0);
        assert_eq!(file.content.tensor_data_offset, file.header.data_offset);

        let err = file.req_str("llama.block_count").unwrap_err();
        assert_eq!(err.code(), "invalid_gguf");
        assert!(err.to_string().contains("llama.block_count"), "{err}");
        let err = file.req_usize("llama.embedding_length").unwrap_err();
        assert!(
            err.to_string()
                .contains("metadata key llama.embedding_length is missing"),
            "{err}"
        );
    }

    #[test]
    fn tensor_types_candle_cannot_load_are_invalid_gguf() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.gguf");
        // IQ4_NL: a valid ggml type the engine has no kernel for.
        let bytes = GgufWriter::default().tensor("w", &[32], 20, 18).build();
        std::fs::write(&path, &bytes).unwrap();
        let err = GgufFile::open(&path).unwrap_err();
        assert_eq!(err.code(), "invalid_gguf");
        assert!(err.to_string().contains("IQ4_NL"), "{err}");
    }
}
