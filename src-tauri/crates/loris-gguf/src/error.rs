//! Typed errors with stable machine-readable codes.
//!
//! Every way a header can be malformed has its own variant and code, so tests and callers can
//! tell a truncated download from a file that is not GGUF at all. The crates that wrap this one
//! (`loris-models`, `loris-hardware`) fold all of them into their published `invalid_gguf` code
//! and keep this message as the reason.

use std::path::PathBuf;

pub type Result<T, E = GgufError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum GgufError {
    /// The file could not be opened, measured or read.
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("the file does not start with the GGUF magic (found {found:02x?})")]
    BadMagic { found: [u8; 4] },

    #[error(
        "GGUF version {version} is not supported (2 and 3 are; a huge number means a big-endian file)"
    )]
    UnsupportedVersion { version: u32 },

    /// A field or a length-prefixed value runs past the end of the file.
    #[error("{what} of {needed} bytes at offset {offset} runs past the end of the file")]
    Truncated {
        what: &'static str,
        offset: u64,
        needed: u64,
    },

    /// A count or length no real file has; refused before anything is allocated for it.
    #[error("{what} {value} is not plausible (at most {max})")]
    Implausible {
        what: &'static str,
        value: u64,
        max: u64,
    },

    /// A metadata key or tensor name that is not UTF-8 (values are decoded leniently).
    #[error("the {what} at offset {offset} is not valid UTF-8")]
    BadUtf8 { what: &'static str, offset: u64 },

    #[error("unknown metadata value type {value_type} at offset {offset}")]
    UnknownValueType { value_type: u32, offset: u64 },

    #[error("metadata arrays nested too deeply (more than {max} levels)")]
    NestedTooDeep { max: u32 },

    #[error("metadata key {key} appears twice")]
    DuplicateKey { key: String },

    #[error("general.alignment {value} is not a power of two")]
    BadAlignment { value: String },

    /// A tensor info that cannot describe a ggml tensor (dimension count, zero dimensions,
    /// partial blocks).
    #[error("tensor {name}: {reason}")]
    BadTensor { name: String, reason: String },

    #[error("tensor {name} has unknown ggml type {type_id}")]
    UnknownGgmlType { name: String, type_id: u32 },

    #[error("tensor {name} appears twice")]
    DuplicateTensor { name: String },

    #[error("tensor {name} is not aligned to {alignment}")]
    MisalignedTensor { name: String, alignment: u64 },

    #[error("tensor {name} ends past the end of the file ({file_size} bytes): truncated download?")]
    TensorOutOfBounds { name: String, file_size: u64 },

    /// Arithmetic on sizes from the file does not fit in 64 bits.
    #[error("{what} overflows 64 bits")]
    Overflow { what: String },

    #[error("metadata key {key} is missing")]
    MissingKey { key: String },

    #[error("metadata key {key} should be {expected}, found {found}")]
    WrongType {
        key: String,
        expected: &'static str,
        found: &'static str,
    },

    #[error("{key} is too large")]
    ValueTooLarge { key: String },
}

impl GgufError {
    /// The stable code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            GgufError::Io { .. } => "io",
            GgufError::BadMagic { .. } => "bad_magic",
            GgufError::UnsupportedVersion { .. } => "unsupported_version",
            GgufError::Truncated { .. } => "truncated",
            GgufError::Implausible { .. } => "implausible_size",
            GgufError::BadUtf8 { .. } => "bad_utf8",
            GgufError::UnknownValueType { .. } => "unknown_value_type",
            GgufError::NestedTooDeep { .. } => "nested_too_deep",
            GgufError::DuplicateKey { .. } => "duplicate_key",
            GgufError::BadAlignment { .. } => "bad_alignment",
            GgufError::BadTensor { .. } => "bad_tensor",
            GgufError::UnknownGgmlType { .. } => "unknown_ggml_type",
            GgufError::DuplicateTensor { .. } => "duplicate_tensor",
            GgufError::MisalignedTensor { .. } => "misaligned_tensor",
            GgufError::TensorOutOfBounds { .. } => "tensor_out_of_bounds",
            GgufError::Overflow { .. } => "overflow",
            GgufError::MissingKey { .. } => "missing_key",
            GgufError::WrongType { .. } => "wrong_type",
            GgufError::ValueTooLarge { .. } => "value_too_large",
        }
    }

    /// Whether the error is about the bytes of the file (as opposed to reading it at all).
    pub fn is_malformed(&self) -> bool {
        !matches!(self, GgufError::Io { .. })
    }

    pub(crate) fn io(action: &'static str, path: &std::path::Path, source: std::io::Error) -> Self {
        GgufError::Io {
            action,
            path: path.to_path_buf(),
            source,
        }
    }
}
