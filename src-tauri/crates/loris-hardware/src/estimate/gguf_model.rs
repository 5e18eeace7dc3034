//! GGUF metadata → [`ModelShape`], plus what the file's tensors actually weigh.
//!
//! The keys are llama.cpp's (`{arch}.block_count`, `{arch}.attention.head_count_kv`, ...), so
//! any architecture llama.cpp writes works here without a per-architecture table; only the
//! sliding-window layout needs one, for files that do not spell it out.

use serde::{Deserialize, Serialize};

use super::shape::ModelShape;
use crate::error::{HardwareError, Result};
use crate::gguf::{GgufFile, GgufValue};

/// What the weights of a GGUF model take, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct GgufWeights {
    pub version: u32,
    /// Bytes of all files (all parts of a split model).
    #[specta(type = specta_typescript::Number)]
    pub file_bytes: u64,
    /// Bytes of tensor data: blocks × block size for every tensor.
    #[specta(type = specta_typescript::Number)]
    pub tensor_bytes: u64,
    /// Elements of all tensors: the parameter count.
    #[specta(type = specta_typescript::Number)]
    pub parameters: u64,
    /// `general.file_type` by its llama.cpp name (`Q4_K_M`), when given.
    pub file_type: Option<String>,
    pub tensor_types: Vec<TensorTypeBytes>,
    pub split_count: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct TensorTypeBytes {
    pub ggml_type: String,
    pub tensors: u32,
    #[specta(type = specta_typescript::Number)]
    pub bytes: u64,
}

impl GgufWeights {
    /// Totals over the parts of a (possibly split) model; `files[0]` carries the metadata.
    pub fn from_files(files: &[GgufFile]) -> Self {
        let mut by_type: std::collections::BTreeMap<&'static str, (u32, u64)> = Default::default();
        for t in files.iter().flat_map(|f| &f.tensors) {
            let e = by_type.entry(t.ggml_type.name).or_default();
            e.0 += 1;
            e.1 += t.n_bytes;
        }
        let first = files.first();
        GgufWeights {
            version: first.map(|f| f.version).unwrap_or(0),
            file_bytes: files.iter().map(|f| f.file_size).sum(),
            tensor_bytes: files.iter().map(GgufFile::tensor_bytes).sum(),
            parameters: files
                .iter()
                .flat_map(|f| &f.tensors)
                .map(|t| t.n_elements())
                .sum(),
            file_type: first
                .and_then(|f| f.get("general.file_type"))
                .and_then(GgufValue::as_u64)
                .map(file_type_name),
            tensor_types: by_type
                .into_iter()
                .map(|(ggml_type, (tensors, bytes))| TensorTypeBytes {
                    ggml_type: ggml_type.to_owned(),
                    tensors,
                    bytes,
                })
                .collect(),
            split_count: u32::try_from(files.len()).unwrap_or(u32::MAX),
        }
    }
}

/// llama.cpp's `llama_ftype` names for `general.file_type`.
fn file_type_name(id: u64) -> String {
    let name = match id {
        0 => "F32",
        1 => "F16",
        2 => "Q4_0",
        3 => "Q4_1",
        7 => "Q8_0",
        8 => "Q5_0",
        9 => "Q5_1",
        10 => "Q2_K",
        11 => "Q3_K_S",
        12 => "Q3_K_M",
        13 => "Q3_K_L",
        14 => "Q4_K_S",
        15 => "Q4_K_M",
        16 => "Q5_K_S",
        17 => "Q5_K_M",
        18 => "Q6_K",
        19 => "IQ2_XXS",
        20 => "IQ2_XS",
        21 => "Q2_K_S",
        22 => "IQ3_XS",
        23 => "IQ3_XXS",
        24 => "IQ1_S",
        25 => "IQ4_NL",
        26 => "IQ3_S",
        27 => "IQ3_M",
        28 => "IQ2_S",
        29 => "IQ2_M",
        30 => "IQ4_XS",
        31 => "IQ1_M",
        32 => "BF16",
        36 => "TQ1_0",
        37 => "TQ2_0",
        38 => "MXFP4_MOE",
        other => return format!("file type {other}"),
    };
    name.to_owned()
}

/// The architecture numbers from a GGUF's metadata, and notes on what was assumed.
pub fn shape_from_gguf(g: &GgufFile) -> Result<(ModelShape, Vec<String>)> {
    let source = g.path.display().to_string();
    let missing = |field: &str| HardwareError::MissingField {
        source_name: source.clone(),
        field: field.to_owned(),
    };
    let invalid = |field: &str, reason: String| HardwareError::InvalidField {
        source_name: source.clone(),
        field: field.to_owned(),
        reason,
    };
    let arch = g
        .architecture()
        .ok_or_else(|| missing("general.architecture"))?
        .to_owned();
    let key = |k: &str| format!("{arch}.{k}");
    // A scalar, or the largest entry of a per-layer array (head counts in some files).
    let number = |k: &str| -> Result<Option<u64>> {
        let full = key(k);
        match g.get(&full) {
            None => Ok(None),
            Some(GgufValue::Array { values, .. }) => {
                Ok(values.iter().filter_map(GgufValue::as_u64).max())
            }
            Some(v) => v
                .as_u64()
                .map(Some)
                .ok_or_else(|| invalid(&full, format!("must be a whole number, got {v:?}"))),
        }
    };
    let positive = |k: &str| -> Result<u64> {
        match number(k)? {
            Some(0) => Err(invalid(&key(k), "must be at least 1, got 0".into())),
            Some(v) => Ok(v),
            None => Err(missing(&key(k))),
        }
    };

    let hidden_size = positive("embedding_length")?;
    let num_layers = positive("block_count")?;
    if num_layers > 4096 || hidden_size > (1 << 20) {
        return Err(invalid(
            &key("block_count"),
            "model dimensions are not plausible".into(),
        ));
    }
    let num_heads = positive("attention.head_count")?;
    let layer_kv_heads = per_layer(g.get(&key("attention.head_count_kv")), num_layers)
        .unwrap_or_else(|| vec![num_heads; num_layers as usize]);
    let num_kv_heads = layer_kv_heads.iter().copied().max().unwrap_or(num_heads);
    if num_kv_heads == 0 || num_kv_heads > num_heads {
        return Err(invalid(
            &key("attention.head_count_kv"),
            format!("{num_kv_heads} KV heads for {num_heads} heads"),
        ));
    }
    let head_dim = match number("attention.key_length")? {
        Some(d) if d > 0 => d,
        _ if hidden_size % num_heads != 0 => {
            return Err(invalid(
                &key("embedding_length"),
                format!(
                    "{hidden_size} is not divisible by {num_heads} heads and no key_length is given"
                ),
            ));
        }
        _ => hidden_size / num_heads,
    };
    let value_head_dim = number("attention.value_length")?
        .filter(|d| *d > 0)
        .unwrap_or(head_dim);

    let mut notes = Vec::new();
    let intermediate_size = number("feed_forward_length")?.unwrap_or_else(|| {
        notes.push("no feed_forward_length: activations leave out the MLP".to_owned());
        0
    });
    let vocab_size = number("vocab_size")?
        .or_else(|| {
            g.get("tokenizer.ggml.tokens")
                .and_then(GgufValue::array_len)
        })
        .or_else(|| {
            g.tensors
                .iter()
                .find(|t| t.name == "token_embd.weight")
                .and_then(|t| t.dims.get(1).copied())
        })
        .ok_or_else(|| missing(&key("vocab_size")))?;
    let tie_word_embeddings = !g.tensors.iter().any(|t| t.name == "output.weight");
    // The bounds config.json has: a corrupt header fails here instead of overflowing the sums.
    for (k, v, max) in [
        ("attention.head_count", num_heads, 1u64 << 14),
        ("attention.key_length", head_dim, 1 << 14),
        ("attention.value_length", value_head_dim, 1 << 14),
        ("feed_forward_length", intermediate_size, 1 << 22),
        ("vocab_size", vocab_size, 1 << 24),
    ] {
        if v > max {
            return Err(invalid(
                &key(k),
                format!("{v} is not plausible (at most {max})"),
            ));
        }
    }

    let window = number("attention.sliding_window")?.filter(|w| *w > 0);
    let layer_windows = match window {
        None => vec![None; num_layers as usize],
        Some(w) => {
            let pattern = g.get(&key("attention.sliding_window_pattern"));
            match (pattern, sliding_period(&arch)) {
                // Per-layer flags: true = sliding.
                (Some(GgufValue::Array { values, .. }), _) if values.len() as u64 == num_layers => {
                    values
                        .iter()
                        .map(|v| v.as_bool().unwrap_or(false).then_some(w))
                        .collect()
                }
                (Some(v), _) if v.as_u64().is_some_and(|p| p > 0) => {
                    period_windows(v.as_u64().unwrap_or(1), num_layers, w)
                }
                (_, Some(period)) => period_windows(period, num_layers, w),
                (_, None) => {
                    notes.push(format!(
                        "a sliding window of {w} is declared but this architecture's layer pattern is unknown: every layer is counted at full context"
                    ));
                    vec![None; num_layers as usize]
                }
            }
        }
    };

    Ok((
        ModelShape {
            model_type: arch.clone(),
            hidden_size,
            num_layers,
            num_heads,
            num_kv_heads,
            head_dim,
            value_head_dim,
            intermediate_size,
            vocab_size,
            tie_word_embeddings,
            layer_windows,
            layer_kv_heads,
            max_position_embeddings: number("context_length")?,
            dtype: None,
        },
        notes,
    ))
}

/// llama.cpp's sliding-window period per architecture (`set_swa_pattern`): in each group of
/// `period` layers the last is global and the others slide.
fn sliding_period(arch: &str) -> Option<u64> {
    match arch {
        "gemma2" => Some(2),
        "gemma3" => Some(6),
        "cohere2" => Some(4),
        _ => None,
    }
}

fn period_windows(period: u64, num_layers: u64, window: u64) -> Vec<Option<u64>> {
    (0..num_layers)
        .map(|i| ((i + 1) % period != 0).then_some(window))
        .collect()
}

/// A per-layer array of counts, or a scalar repeated; `None` when absent or malformed.
fn per_layer(value: Option<&GgufValue>, num_layers: u64) -> Option<Vec<u64>> {
    match value? {
        GgufValue::Array { values, .. } if values.len() as u64 == num_layers => {
            values.iter().map(GgufValue::as_u64).collect()
        }
        v => v.as_u64().map(|n| vec![n; num_layers as usize]),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::gguf::parse_gguf;
    use crate::gguf::tests::Writer;

    fn parse(bytes: &[u8]) -> GgufFile {
        parse_gguf(bytes, bytes.len() as u64, Path::new("t.gguf")).unwrap()
    }

    #[test]
    fn reads_llama_keys_and_detects_tied_embeddings() {
        let g = parse(
            &Writer::default()
                .string("general.architecture", "llama")
                .u32("llama.embedding_length", 64)
                .u32("llama.block_count", 3)
                .u32("llama.attention.head_count", 4)
                .u32("llama.attention.head_count_kv", 2)
                .u32("llama.feed_forward_length", 128)
                .str_array("tokenizer.ggml.tokens", &["a", "b", "c", "d"])
                .u32("general.file_type", 15)
                .tensor("token_embd.weight", &[64, 4], 0, 1024)
                .build(),
        );
        let (shape, notes) = shape_from_gguf(&g).unwrap();
        assert_eq!(shape.head_dim, 16);
        assert_eq!(shape.num_kv_heads, 2);
        assert_eq!(shape.vocab_size, 4);
        assert!(shape.tie_word_embeddings, "no output.weight");
        assert!(notes.is_empty());
        let w = GgufWeights::from_files(&[g]);
        assert_eq!(w.file_type.as_deref(), Some("Q4_K_M"));
        assert_eq!((w.tensor_bytes, w.parameters), (1024, 256));
    }

    #[test]
    fn missing_keys_and_zero_heads_are_typed_errors() {
        let no_arch = parse(&Writer::default().u32("llama.block_count", 3).build());
        assert_eq!(
            shape_from_gguf(&no_arch).unwrap_err().code(),
            "invalid_config"
        );
        let zero_heads = parse(
            &Writer::default()
                .string("general.architecture", "llama")
                .u32("llama.embedding_length", 64)
                .u32("llama.block_count", 3)
                .u32("llama.attention.head_count", 0)
                .build(),
        );
        let err = shape_from_gguf(&zero_heads).unwrap_err();
        assert!(err.to_string().contains("head_count"), "{err}");
        let huge_head = parse(
            &Writer::default()
                .string("general.architecture", "llama")
                .u32("llama.embedding_length", 64)
                .u32("llama.block_count", 3)
                .u32("llama.attention.head_count", 4)
                .u32("llama.attention.key_length", u32::MAX)
                .u32("llama.vocab_size", 10)
                .build(),
        );
        let err = shape_from_gguf(&huge_head).unwrap_err();
        assert!(err.to_string().contains("key_length"), "{err}");
    }

    #[test]
    fn gemma3_slides_five_of_every_six_layers() {
        assert_eq!(
            period_windows(6, 7, 512),
            vec![
                Some(512),
                Some(512),
                Some(512),
                Some(512),
                Some(512),
                None,
                Some(512)
            ]
        );
        assert_eq!(period_windows(2, 3, 8), vec![Some(8), None, Some(8)]);
    }
}
