//! The header of a safetensors file, read and checked without loading any tensor: names, dtypes,
//! shapes and data offsets, validated against the file size with the rules of the `safetensors`
//! crate (tensors packed back to back from offset 0, each exactly its dtype × shape bytes, the
//! last ending at the end of the file).
//!
//! Layout: u64 little-endian header length N, N bytes of JSON (`{"name": {"dtype", "shape",
//! "data_offsets": [start, end]}, "__metadata__": {string: string}}`), then the data.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// The `safetensors` crate's own limit.
pub const MAX_HEADER_BYTES: u64 = 100_000_000;

pub type Result<T, E = SafetensorsError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum SafetensorsError {
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("the file has {file_size} bytes, fewer than the 8-byte header length")]
    TooShort { file_size: u64 },

    #[error("a header of {len} bytes is not plausible (at most {MAX_HEADER_BYTES})")]
    HeaderTooLarge { len: u64 },

    #[error("the header of {len} bytes runs past the end of the file ({file_size} bytes)")]
    HeaderPastEnd { len: u64, file_size: u64 },

    /// Not UTF-8, not JSON, or not a JSON object.
    #[error("the header is not a JSON object: {reason}")]
    BadJson { reason: String },

    #[error("__metadata__ must map strings to strings")]
    BadMetadata,

    /// An entry without a dtype, shape or data_offsets of the right JSON types.
    #[error("tensor {name}: {reason}")]
    BadTensor { name: String, reason: String },

    #[error("tensor {name} has unknown dtype {dtype}")]
    UnknownDtype { name: String, dtype: String },

    #[error("the size of tensor {name} overflows 64 bits")]
    Overflow { name: String },

    #[error("tensor {name} takes {found} bytes, but its dtype and shape need {expected}")]
    SizeMismatch {
        name: String,
        expected: u64,
        found: u64,
    },

    /// Tensors must follow one another from offset 0 with no gap or overlap.
    #[error("tensor {name} starts at {found}, expected {expected}")]
    NotContiguous {
        name: String,
        expected: u64,
        found: u64,
    },

    #[error("the tensors cover {covered} bytes but the file has {data_bytes} bytes of data")]
    DataLengthMismatch { covered: u64, data_bytes: u64 },
}

impl SafetensorsError {
    /// The stable code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            SafetensorsError::Io { .. } => "io",
            SafetensorsError::TooShort { .. } | SafetensorsError::HeaderPastEnd { .. } => {
                "truncated"
            }
            SafetensorsError::HeaderTooLarge { .. } => "implausible_size",
            SafetensorsError::BadJson { .. } => "bad_json",
            SafetensorsError::BadMetadata => "bad_metadata",
            SafetensorsError::BadTensor { .. } => "bad_tensor",
            SafetensorsError::UnknownDtype { .. } => "unknown_dtype",
            SafetensorsError::Overflow { .. } => "overflow",
            SafetensorsError::SizeMismatch { .. } => "size_mismatch",
            SafetensorsError::NotContiguous { .. } => "bad_offsets",
            SafetensorsError::DataLengthMismatch { .. } => "data_length_mismatch",
        }
    }
}

/// A safetensors element type and its width in bits (F4 and F6 pack below a byte).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dtype {
    pub name: &'static str,
    pub bits: u64,
}

/// Every dtype the `safetensors` crate (0.8) knows.
pub const DTYPES: [Dtype; 22] = [
    Dtype {
        name: "BOOL",
        bits: 8,
    },
    Dtype {
        name: "F4",
        bits: 4,
    },
    Dtype {
        name: "F6_E2M3",
        bits: 6,
    },
    Dtype {
        name: "F6_E3M2",
        bits: 6,
    },
    Dtype {
        name: "U8",
        bits: 8,
    },
    Dtype {
        name: "I8",
        bits: 8,
    },
    Dtype {
        name: "F8_E5M2",
        bits: 8,
    },
    Dtype {
        name: "F8_E4M3",
        bits: 8,
    },
    Dtype {
        name: "F8_E8M0",
        bits: 8,
    },
    Dtype {
        name: "F8_E4M3FNUZ",
        bits: 8,
    },
    Dtype {
        name: "F8_E5M2FNUZ",
        bits: 8,
    },
    Dtype {
        name: "I16",
        bits: 16,
    },
    Dtype {
        name: "U16",
        bits: 16,
    },
    Dtype {
        name: "F16",
        bits: 16,
    },
    Dtype {
        name: "BF16",
        bits: 16,
    },
    Dtype {
        name: "I32",
        bits: 32,
    },
    Dtype {
        name: "U32",
        bits: 32,
    },
    Dtype {
        name: "F32",
        bits: 32,
    },
    Dtype {
        name: "C64",
        bits: 64,
    },
    Dtype {
        name: "F64",
        bits: 64,
    },
    Dtype {
        name: "I64",
        bits: 64,
    },
    Dtype {
        name: "U64",
        bits: 64,
    },
];

impl Dtype {
    pub fn from_name(name: &str) -> Option<Dtype> {
        DTYPES.iter().copied().find(|d| d.name == name)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SafetensorsTensor {
    pub name: String,
    pub dtype: Dtype,
    pub shape: Vec<u64>,
    /// Start and end of the data, relative to the end of the header.
    pub data_offsets: (u64, u64),
}

impl SafetensorsTensor {
    /// Elements of the tensor; the parser checked that the product fits in 64 bits.
    pub fn n_elements(&self) -> u64 {
        self.shape.iter().product()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SafetensorsHeader {
    /// Bytes of the JSON header.
    pub header_len: u64,
    pub metadata: BTreeMap<String, String>,
    /// Sorted by data offset.
    pub tensors: Vec<SafetensorsTensor>,
    pub file_size: u64,
}

impl SafetensorsHeader {
    /// Where the tensor data starts: after the length and the JSON.
    pub fn data_offset(&self) -> u64 {
        8 + self.header_len
    }

    pub fn tensor(&self, name: &str) -> Option<&SafetensorsTensor> {
        self.tensors.iter().find(|t| t.name == name)
    }

    /// Elements of all tensors: the parameter count.
    pub fn parameters(&self) -> u64 {
        self.tensors.iter().map(SafetensorsTensor::n_elements).sum()
    }
}

/// Reads and checks the header of a safetensors file; reads no tensor data.
pub fn read_file(path: &Path) -> Result<SafetensorsHeader> {
    let io = |action, e| SafetensorsError::Io {
        action,
        path: path.to_path_buf(),
        source: e,
    };
    let mut file = File::open(path).map_err(|e| io("cannot open", e))?;
    let file_size = file.metadata().map_err(|e| io("cannot stat", e))?.len();
    if file_size < 8 {
        return Err(SafetensorsError::TooShort { file_size });
    }
    let mut len = [0u8; 8];
    file.read_exact(&mut len)
        .map_err(|e| io("cannot read", e))?;
    let header_len = checked_header_len(u64::from_le_bytes(len), file_size)?;
    let mut json = vec![0u8; usize::try_from(header_len).unwrap_or(0)];
    file.read_exact(&mut json)
        .map_err(|e| io("cannot read", e))?;
    parse_json(&json, file_size)
}

/// Parses the header of a whole file held in memory (the fuzzing entry point).
pub fn parse(bytes: &[u8]) -> Result<SafetensorsHeader> {
    let file_size = bytes.len() as u64;
    let Some((len, rest)) = bytes.split_first_chunk::<8>() else {
        return Err(SafetensorsError::TooShort { file_size });
    };
    let header_len = checked_header_len(u64::from_le_bytes(*len), file_size)?;
    let json = rest
        .get(..usize::try_from(header_len).unwrap_or(usize::MAX))
        .ok_or(SafetensorsError::HeaderPastEnd {
            len: header_len,
            file_size,
        })?;
    parse_json(json, file_size)
}

fn checked_header_len(len: u64, file_size: u64) -> Result<u64> {
    if len > MAX_HEADER_BYTES {
        return Err(SafetensorsError::HeaderTooLarge { len });
    }
    if len > file_size - 8 {
        return Err(SafetensorsError::HeaderPastEnd { len, file_size });
    }
    Ok(len)
}

/// Checks the JSON header of a file of `file_size` bytes.
fn parse_json(json: &[u8], file_size: u64) -> Result<SafetensorsHeader> {
    let header_len = json.len() as u64;
    let value: Value = serde_json::from_slice(json).map_err(|e| SafetensorsError::BadJson {
        reason: e.to_string(),
    })?;
    let Value::Object(entries) = value else {
        return Err(SafetensorsError::BadJson {
            reason: "not an object".to_owned(),
        });
    };
    let mut metadata = BTreeMap::new();
    let mut tensors = Vec::with_capacity(entries.len());
    for (name, entry) in entries {
        if name == "__metadata__" {
            let pairs = match entry {
                // The `safetensors` crate reads it as optional.
                Value::Null => continue,
                Value::Object(pairs) => pairs,
                _ => return Err(SafetensorsError::BadMetadata),
            };
            for (k, v) in pairs {
                let Value::String(v) = v else {
                    return Err(SafetensorsError::BadMetadata);
                };
                metadata.insert(k, v);
            }
            continue;
        }
        tensors.push(tensor(name, &entry)?);
    }
    tensors.sort_by_key(|t| t.data_offsets);

    let mut expected_start = 0u64;
    for t in &tensors {
        let (start, end) = t.data_offsets;
        if start != expected_start {
            return Err(SafetensorsError::NotContiguous {
                name: t.name.clone(),
                expected: expected_start,
                found: start,
            });
        }
        let overflow = || SafetensorsError::Overflow {
            name: t.name.clone(),
        };
        let bits = t
            .shape
            .iter()
            .try_fold(1u64, |acc, &d| acc.checked_mul(d))
            .and_then(|n| n.checked_mul(t.dtype.bits))
            .ok_or_else(overflow)?;
        if bits % 8 != 0 {
            return Err(SafetensorsError::BadTensor {
                name: t.name.clone(),
                reason: format!("{bits} bits is not a whole number of bytes"),
            });
        }
        // `end >= start` was checked when the entry was read.
        let found = end - start;
        if found != bits / 8 {
            return Err(SafetensorsError::SizeMismatch {
                name: t.name.clone(),
                expected: bits / 8,
                found,
            });
        }
        expected_start = end;
    }
    // `checked_header_len` made sure the header fits in the file.
    let data_bytes = file_size - 8 - header_len;
    if expected_start != data_bytes {
        return Err(SafetensorsError::DataLengthMismatch {
            covered: expected_start,
            data_bytes,
        });
    }
    Ok(SafetensorsHeader {
        header_len,
        metadata,
        tensors,
        file_size,
    })
}

/// One `{"dtype", "shape", "data_offsets"}` entry.
fn tensor(name: String, entry: &Value) -> Result<SafetensorsTensor> {
    let bad = |reason: &str| SafetensorsError::BadTensor {
        name: name.clone(),
        reason: reason.to_owned(),
    };
    let u64s = |v: Option<&Value>, what: &str| -> Result<Vec<u64>> {
        v.and_then(Value::as_array)
            .ok_or_else(|| bad(&format!("{what} is missing or not an array")))?
            .iter()
            .map(|d| {
                d.as_u64()
                    .ok_or_else(|| bad(&format!("{what} holds a non-integer")))
            })
            .collect()
    };
    let dtype_name = entry
        .get("dtype")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("dtype is missing or not a string"))?;
    let dtype = Dtype::from_name(dtype_name).ok_or_else(|| SafetensorsError::UnknownDtype {
        name: name.clone(),
        dtype: dtype_name.to_owned(),
    })?;
    let shape = u64s(entry.get("shape"), "shape")?;
    let data_offsets = match u64s(entry.get("data_offsets"), "data_offsets")?[..] {
        [start, end] if start <= end => (start, end),
        [_, _] => return Err(bad("data_offsets end before they start")),
        _ => return Err(bad("data_offsets must be [start, end]")),
    };
    Ok(SafetensorsTensor {
        name,
        dtype,
        shape,
        data_offsets,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A safetensors image with the given JSON header and `data` bytes of zeros.
    fn file(json: &str, data: usize) -> Vec<u8> {
        let mut out = (json.len() as u64).to_le_bytes().to_vec();
        out.extend(json.as_bytes());
        out.resize(out.len() + data, 0);
        out
    }

    #[test]
    fn reads_tensors_in_offset_order_and_counts_parameters() {
        let json = r#"{"__metadata__":{"format":"pt"},
            "b":{"dtype":"F32","shape":[2,2],"data_offsets":[4,20]},
            "a":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}}"#;
        let h = parse(&file(json, 20)).unwrap();
        assert_eq!(h.tensors[0].name, "a");
        assert_eq!(h.tensors[1].dtype.name, "F32");
        assert_eq!(h.parameters(), 6);
        assert_eq!(h.metadata["format"], "pt");
        assert_eq!(h.data_offset(), 8 + json.len() as u64);
    }

    #[test]
    fn each_malformation_has_its_code() {
        let cases: [(Vec<u8>, &str); 10] = [
            (b"\x01\x00".to_vec(), "truncated"),
            (file("{}", 0)[..9].to_vec(), "truncated"),
            (u64::MAX.to_le_bytes().to_vec(), "implausible_size"),
            (file("[1]", 0), "bad_json"),
            (file("{\"__metadata__\":{\"a\":1}}", 0), "bad_metadata"),
            (
                file(
                    r#"{"a":{"dtype":"Q9","shape":[1],"data_offsets":[0,1]}}"#,
                    1,
                ),
                "unknown_dtype",
            ),
            (
                file(
                    r#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#,
                    4,
                ),
                "size_mismatch",
            ),
            (
                file(
                    r#"{"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}"#,
                    2,
                ),
                "bad_offsets",
            ),
            (
                file(
                    r#"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}"#,
                    2,
                ),
                "data_length_mismatch",
            ),
            (
                file(
                    r#"{"a":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,1]}}"#,
                    1,
                ),
                "overflow",
            ),
        ];
        for (bytes, code) in cases {
            let err = parse(&bytes).unwrap_err();
            assert_eq!(err.code(), code, "{err}");
        }
        let bad = file(
            r#"{"a":{"dtype":"F4","shape":[1],"data_offsets":[0,0]}}"#,
            0,
        );
        assert_eq!(parse(&bad).unwrap_err().code(), "bad_tensor");
    }

    #[test]
    fn the_file_reader_reads_only_the_header() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.safetensors");
        let json = r#"{"w":{"dtype":"F16","shape":[3],"data_offsets":[0,6]}}"#;
        std::fs::write(&path, file(json, 6)).unwrap();
        assert_eq!(read_file(&path).unwrap().parameters(), 3);
        std::fs::write(&path, &file(json, 6)[..20]).unwrap();
        assert_eq!(read_file(&path).unwrap_err().code(), "truncated");
        assert_eq!(
            read_file(&dir.path().join("absent")).unwrap_err().code(),
            "io"
        );
    }
}
