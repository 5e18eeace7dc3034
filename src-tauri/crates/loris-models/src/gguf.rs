//! Opening GGUF files with typed errors, and typed access to their metadata.
//!
//! candle's parser bounds-checks lengths against the file size; on top of that this module checks
//! that every tensor's data lies inside the file when the file is opened, so a truncated download
//! is reported at once rather than halfway through loading, and turns any panic in the parser
//! (a malformed header is untrusted input) into an error.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use candle_core::quantized::gguf_file::{Content, Value};

use crate::error::{ModelError, Result};

/// A parsed GGUF header plus the path to read tensors from.
#[derive(Debug)]
pub struct GgufFile {
    pub path: PathBuf,
    pub content: Content,
}

impl GgufFile {
    pub fn open(path: &Path) -> Result<Self> {
        let file = File::open(path).map_err(|e| ModelError::io("open", path, e))?;
        let file_len = file
            .metadata()
            .map_err(|e| ModelError::io("stat", path, e))?
            .len();
        let mut reader = BufReader::new(file);
        let parsed =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| Content::read(&mut reader)));
        let content = match parsed {
            Ok(Ok(content)) => content,
            Ok(Err(e)) => return Err(invalid(path, e.to_string())),
            Err(_) => return Err(invalid(path, "malformed header")),
        };
        for (name, info) in &content.tensor_infos {
            // Dimensions come from the file: multiply with overflow checks.
            let elems = info
                .shape
                .dims()
                .iter()
                .try_fold(1u64, |acc, &d| acc.checked_mul(d as u64))
                .ok_or_else(|| invalid(path, format!("tensor {name}: dimensions overflow")))?;
            let block = info.ggml_dtype.block_size() as u64;
            if block == 0 || elems % block != 0 {
                return Err(invalid(
                    path,
                    format!("tensor {name}: {elems} elements is not a whole number of blocks"),
                ));
            }
            let end = (elems / block)
                .checked_mul(info.ggml_dtype.type_size() as u64)
                .and_then(|bytes| {
                    content
                        .tensor_data_offset
                        .checked_add(info.offset)?
                        .checked_add(bytes)
                });
            if end.is_none_or(|end| end > file_len) {
                return Err(invalid(
                    path,
                    format!(
                        "tensor {name} extends past the end of the file ({file_len} bytes): truncated?"
                    ),
                ));
            }
        }
        Ok(GgufFile {
            path: path.to_owned(),
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
        self.opt_str(key)?.ok_or_else(|| self.missing(key))
    }

    pub fn opt_str(&self, key: &str) -> Result<Option<&str>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(v) => Err(self.wrong(key, "a string", v)),
        }
    }

    pub fn req_u64(&self, key: &str) -> Result<u64> {
        self.opt_u64(key)?.ok_or_else(|| self.missing(key))
    }

    pub fn req_usize(&self, key: &str) -> Result<usize> {
        usize::try_from(self.req_u64(key)?)
            .map_err(|_| invalid(&self.path, format!("{key} is too large")))
    }

    pub fn opt_usize(&self, key: &str) -> Result<Option<usize>> {
        self.opt_u64(key)?
            .map(|v| {
                usize::try_from(v).map_err(|_| invalid(&self.path, format!("{key} is too large")))
            })
            .transpose()
    }

    pub fn opt_u64(&self, key: &str) -> Result<Option<u64>> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        value_u64(v)
            .map(Some)
            .ok_or_else(|| self.wrong(key, "a non-negative integer", v))
    }

    pub fn opt_u32(&self, key: &str) -> Result<Option<u32>> {
        self.opt_u64(key)?
            .map(|v| {
                u32::try_from(v).map_err(|_| invalid(&self.path, format!("{key} is too large")))
            })
            .transpose()
    }

    pub fn req_f64(&self, key: &str) -> Result<f64> {
        self.opt_f64(key)?.ok_or_else(|| self.missing(key))
    }

    pub fn opt_f64(&self, key: &str) -> Result<Option<f64>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::F32(v)) => Ok(Some(f64::from(*v))),
            Some(Value::F64(v)) => Ok(Some(*v)),
            Some(v) => value_u64(v)
                .map(|n| Some(n as f64))
                .ok_or_else(|| self.wrong(key, "a number", v)),
        }
    }

    pub fn opt_bool(&self, key: &str) -> Result<Option<bool>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(v) => Err(self.wrong(key, "a boolean", v)),
        }
    }

    /// An array of strings (`tokenizer.ggml.tokens`, `tokenizer.ggml.merges`).
    pub fn opt_str_array(&self, key: &str) -> Result<Option<Vec<&str>>> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        let Value::Array(items) = v else {
            return Err(self.wrong(key, "an array", v));
        };
        items
            .iter()
            .map(|item| match item {
                Value::String(s) => Ok(s.as_str()),
                other => Err(self.wrong(key, "an array of strings", other)),
            })
            .collect::<Result<Vec<_>>>()
            .map(Some)
    }

    /// An array of numbers as f32 (`tokenizer.ggml.scores`).
    pub fn opt_f32_array(&self, key: &str) -> Result<Option<Vec<f32>>> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        let Value::Array(items) = v else {
            return Err(self.wrong(key, "an array", v));
        };
        items
            .iter()
            .map(|item| match item {
                Value::F32(x) => Ok(*x),
                Value::F64(x) => Ok(*x as f32),
                other => Err(self.wrong(key, "an array of floats", other)),
            })
            .collect::<Result<Vec<_>>>()
            .map(Some)
    }

    /// An array of integers (`tokenizer.ggml.token_type`).
    pub fn opt_u64_array(&self, key: &str) -> Result<Option<Vec<u64>>> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        let Value::Array(items) = v else {
            return Err(self.wrong(key, "an array", v));
        };
        items
            .iter()
            .map(|item| {
                value_u64(item).ok_or_else(|| self.wrong(key, "an array of integers", item))
            })
            .collect::<Result<Vec<_>>>()
            .map(Some)
    }

    fn missing(&self, key: &str) -> ModelError {
        invalid(&self.path, format!("metadata key {key} is missing"))
    }

    fn wrong(&self, key: &str, expected: &str, got: &Value) -> ModelError {
        invalid(
            &self.path,
            format!(
                "metadata key {key} should be {expected}, found {:?}",
                got.value_type()
            ),
        )
    }
}

fn value_u64(v: &Value) -> Option<u64> {
    match *v {
        Value::U8(x) => Some(u64::from(x)),
        Value::U16(x) => Some(u64::from(x)),
        Value::U32(x) => Some(u64::from(x)),
        Value::U64(x) => Some(x),
        Value::I8(x) => u64::try_from(x).ok(),
        Value::I16(x) => u64::try_from(x).ok(),
        Value::I32(x) => u64::try_from(x).ok(),
        Value::I64(x) => u64::try_from(x).ok(),
        _ => None,
    }
}

fn invalid(path: &Path, reason: impl Into<String>) -> ModelError {
    ModelError::InvalidGguf {
        path: path.to_owned(),
        reason: reason.into(),
    }
}

#[cfg(test)]
mod tests {
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
}
