//! generation_config.json: the end-of-sequence ids and the sampling defaults a model ships with.

use std::path::Path;

use serde_json::Value;

use crate::error::{ModelError, Result};

#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct GenerationConfig {
    pub eos_token_ids: Vec<u32>,
    pub bos_token_id: Option<u32>,
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
    pub top_k: Option<usize>,
    pub min_p: Option<f64>,
    pub repetition_penalty: Option<f64>,
    /// `do_sample: false` means greedy, whatever the temperature says.
    pub do_sample: Option<bool>,
}

impl GenerationConfig {
    /// Reads `path`; a missing file is an empty config.
    pub fn from_file_if_present(path: &Path) -> Result<Self> {
        if !path.is_file() {
            return Ok(Self::default());
        }
        let bytes = std::fs::read(path).map_err(|e| ModelError::io("read", path, e))?;
        let v: Value = serde_json::from_slice(&bytes).map_err(|e| {
            ModelError::invalid_model(path, format!("generation_config.json is not JSON: {e}"))
        })?;
        Ok(Self::from_value(&v))
    }

    /// Lenient: a field of the wrong type is ignored, since every field here only refines
    /// defaults.
    pub fn from_value(v: &Value) -> Self {
        let eos_token_ids = match v.get("eos_token_id") {
            Some(Value::Number(n)) => n
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .into_iter()
                .collect(),
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(|x| x.as_u64())
                .filter_map(|n| u32::try_from(n).ok())
                .collect(),
            _ => Vec::new(),
        };
        GenerationConfig {
            eos_token_ids,
            bos_token_id: v
                .get("bos_token_id")
                .and_then(Value::as_u64)
                .and_then(|n| u32::try_from(n).ok()),
            temperature: v.get("temperature").and_then(Value::as_f64),
            top_p: v.get("top_p").and_then(Value::as_f64),
            top_k: v.get("top_k").and_then(Value::as_u64).map(|k| k as usize),
            min_p: v.get("min_p").and_then(Value::as_f64),
            repetition_penalty: v.get("repetition_penalty").and_then(Value::as_f64),
            do_sample: v.get("do_sample").and_then(Value::as_bool),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eos_may_be_one_id_or_a_list() {
        let g = GenerationConfig::from_value(
            &serde_json::json!({"eos_token_id": [1, 106], "top_k": 64}),
        );
        assert_eq!(g.eos_token_ids, [1, 106]);
        assert_eq!(g.top_k, Some(64));
        let g = GenerationConfig::from_value(&serde_json::json!({"eos_token_id": 2}));
        assert_eq!(g.eos_token_ids, [2]);
    }
}
