//! A parsed GGUF header: metadata, tensor infos, where the data starts; typed metadata access.

use std::collections::BTreeMap;

use crate::error::{GgufError, Result};
use crate::ggml_type::GgmlType;
use crate::value::GgufValue;

#[derive(Debug, Clone, PartialEq)]
pub struct GgufTensorInfo {
    pub name: String,
    /// ggml order: `dims[0]` is the innermost (row) dimension.
    pub dims: Vec<u64>,
    pub ggml_type: GgmlType,
    /// Offset from the start of the data section.
    pub offset: u64,
    /// Bytes of this tensor's data: blocks × block bytes.
    pub n_bytes: u64,
}

impl GgufTensorInfo {
    /// Elements of the tensor; the reader checked that the product fits in 64 bits.
    pub fn n_elements(&self) -> u64 {
        self.dims.iter().product()
    }
}

/// What a GGUF file says about itself, up to (not including) the tensor data. Every tensor's
/// data lies inside the file: the reader checked it.
#[derive(Debug, Clone, PartialEq)]
pub struct GgufHeader {
    pub version: u32,
    pub metadata: BTreeMap<String, GgufValue>,
    /// In file order.
    pub tensors: Vec<GgufTensorInfo>,
    pub alignment: u64,
    /// Where the tensor data starts (after the header, padded to `alignment`).
    pub data_offset: u64,
    pub file_size: u64,
}

impl GgufHeader {
    pub fn get(&self, key: &str) -> Option<&GgufValue> {
        self.metadata.get(key)
    }

    pub fn tensor(&self, name: &str) -> Option<&GgufTensorInfo> {
        self.tensors.iter().find(|t| t.name == name)
    }

    /// `general.architecture`, the prefix of the model's own keys (`llama`, `gemma3`, ...).
    pub fn architecture(&self) -> Option<&str> {
        self.get("general.architecture").and_then(GgufValue::as_str)
    }

    /// Sum of every tensor's data bytes: what the weights take once loaded as stored.
    pub fn tensor_bytes(&self) -> u64 {
        self.tensors.iter().map(|t| t.n_bytes).sum()
    }

    /// Elements of all tensors: the parameter count.
    pub fn parameters(&self) -> u64 {
        self.tensors.iter().map(GgufTensorInfo::n_elements).sum()
    }

    /// Tensor count and bytes per ggml type name.
    pub fn bytes_by_type(&self) -> BTreeMap<&'static str, (u64, u64)> {
        let mut out: BTreeMap<&'static str, (u64, u64)> = BTreeMap::new();
        for t in &self.tensors {
            let entry = out.entry(t.ggml_type.name).or_default();
            entry.0 += 1;
            entry.1 += t.n_bytes;
        }
        out
    }

    pub fn req_str(&self, key: &str) -> Result<&str> {
        self.opt_str(key)?.ok_or_else(|| missing(key))
    }

    pub fn opt_str(&self, key: &str) -> Result<Option<&str>> {
        match self.get(key) {
            None => Ok(None),
            Some(GgufValue::String(s)) => Ok(Some(s.as_str())),
            Some(v) => Err(wrong(key, "a string", v)),
        }
    }

    pub fn req_u64(&self, key: &str) -> Result<u64> {
        self.opt_u64(key)?.ok_or_else(|| missing(key))
    }

    pub fn opt_u64(&self, key: &str) -> Result<Option<u64>> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        v.as_u64()
            .map(Some)
            .ok_or_else(|| wrong(key, "a non-negative integer", v))
    }

    pub fn req_usize(&self, key: &str) -> Result<usize> {
        usize::try_from(self.req_u64(key)?).map_err(|_| too_large(key))
    }

    pub fn opt_usize(&self, key: &str) -> Result<Option<usize>> {
        self.opt_u64(key)?
            .map(|v| usize::try_from(v).map_err(|_| too_large(key)))
            .transpose()
    }

    pub fn opt_u32(&self, key: &str) -> Result<Option<u32>> {
        self.opt_u64(key)?
            .map(|v| u32::try_from(v).map_err(|_| too_large(key)))
            .transpose()
    }

    pub fn req_f64(&self, key: &str) -> Result<f64> {
        self.opt_f64(key)?.ok_or_else(|| missing(key))
    }

    pub fn opt_f64(&self, key: &str) -> Result<Option<f64>> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        v.as_f64()
            .map(Some)
            .ok_or_else(|| wrong(key, "a number", v))
    }

    pub fn opt_bool(&self, key: &str) -> Result<Option<bool>> {
        match self.get(key) {
            None => Ok(None),
            Some(GgufValue::Bool(b)) => Ok(Some(*b)),
            Some(v) => Err(wrong(key, "a boolean", v)),
        }
    }

    /// An array of strings (`tokenizer.ggml.tokens`, `tokenizer.ggml.merges`).
    pub fn opt_str_array(&self, key: &str) -> Result<Option<Vec<&str>>> {
        let Some(items) = self.kept_array(key)? else {
            return Ok(None);
        };
        items
            .iter()
            .map(|item| match item {
                GgufValue::String(s) => Ok(s.as_str()),
                other => Err(wrong(key, "an array of strings", other)),
            })
            .collect::<Result<Vec<_>>>()
            .map(Some)
    }

    /// An array of numbers as f32 (`tokenizer.ggml.scores`).
    pub fn opt_f32_array(&self, key: &str) -> Result<Option<Vec<f32>>> {
        let Some(items) = self.kept_array(key)? else {
            return Ok(None);
        };
        items
            .iter()
            .map(|item| match item {
                GgufValue::F32(x) => Ok(*x),
                GgufValue::F64(x) => Ok(*x as f32),
                other => Err(wrong(key, "an array of floats", other)),
            })
            .collect::<Result<Vec<_>>>()
            .map(Some)
    }

    /// An array of non-negative integers (`tokenizer.ggml.token_type`).
    pub fn opt_u64_array(&self, key: &str) -> Result<Option<Vec<u64>>> {
        let Some(items) = self.kept_array(key)? else {
            return Ok(None);
        };
        items
            .iter()
            .map(|item| {
                item.as_u64()
                    .ok_or_else(|| wrong(key, "an array of integers", item))
            })
            .collect::<Result<Vec<_>>>()
            .map(Some)
    }

    /// The items of an array the reader kept whole; a long array read with a keep limit has
    /// only its length, and handing out nothing in its place would be a silent wrong answer.
    fn kept_array(&self, key: &str) -> Result<Option<&[GgufValue]>> {
        match self.get(key) {
            None => Ok(None),
            Some(GgufValue::Array { len, values }) if values.len() as u64 == *len => {
                Ok(Some(values))
            }
            Some(GgufValue::Array { .. }) => Err(too_large(key)),
            Some(v) => Err(wrong(key, "an array", v)),
        }
    }
}

fn missing(key: &str) -> GgufError {
    GgufError::MissingKey {
        key: key.to_owned(),
    }
}

fn wrong(key: &str, expected: &'static str, got: &GgufValue) -> GgufError {
    GgufError::WrongType {
        key: key.to_owned(),
        expected,
        found: got.value_type().name(),
    }
}

fn too_large(key: &str) -> GgufError {
    GgufError::ValueTooLarge {
        key: key.to_owned(),
    }
}
