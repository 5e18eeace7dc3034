//! GGUF headers for the estimator, read by `loris-gguf` (the project's one GGUF reader) and
//! reported with this crate's error codes. Long arrays (vocabularies, merges) keep their length
//! only: the estimator needs counts, not 262k Strings.

use std::io::Read;
use std::ops::Deref;
use std::path::{Path, PathBuf};

use loris_gguf::{GgufError, GgufHeader, ParseOptions};

pub use loris_gguf::{GGML_TYPES, GgmlType, GgufTensorInfo, GgufValue};

use crate::error::{HardwareError, Result};

/// A parsed GGUF header and the file it came from. Fields of the header (`metadata`,
/// `tensors`, `data_offset`, ...) and its methods are reached through `Deref`.
#[derive(Debug, Clone)]
pub struct GgufFile {
    pub path: PathBuf,
    pub header: GgufHeader,
}

impl Deref for GgufFile {
    type Target = GgufHeader;

    fn deref(&self) -> &GgufHeader {
        &self.header
    }
}

impl GgufFile {
    /// Sum of every tensor's data bytes: what the weights take once loaded as stored.
    pub fn tensor_bytes(&self) -> u64 {
        self.header.tensor_bytes()
    }
}

/// Reads the header, metadata and tensor infos of a GGUF file.
pub fn read_gguf(path: &Path) -> Result<GgufFile> {
    let header = loris_gguf::read_file(path, ParseOptions::SUMMARY).map_err(|e| error(path, e))?;
    Ok(GgufFile {
        path: path.to_path_buf(),
        header,
    })
}

/// Parses from any reader; `file_size` bounds every count and length read.
pub fn parse_gguf<R: Read>(reader: R, file_size: u64, path: &Path) -> Result<GgufFile> {
    let header = loris_gguf::parse_reader(reader, file_size, path, ParseOptions::SUMMARY)
        .map_err(|e| error(path, e))?;
    Ok(GgufFile {
        path: path.to_path_buf(),
        header,
    })
}

/// I/O stays `io`; every malformed header is `invalid_gguf`, with the reader's message.
fn error(path: &Path, e: GgufError) -> HardwareError {
    match e {
        GgufError::Io { action, source, .. } => HardwareError::io(action, path, source),
        other => HardwareError::InvalidGguf {
            path: path.to_path_buf(),
            reason: other.to_string(),
        },
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Builds GGUF byte images for the estimator's tests.
    pub(crate) use loris_gguf::GgufWriter as Writer;

    fn parse(bytes: &[u8]) -> Result<GgufFile> {
        parse_gguf(bytes, bytes.len() as u64, Path::new("test.gguf"))
    }

    #[test]
    fn malformed_headers_are_invalid_gguf_with_the_readers_reason() {
        let mut bytes = b"GGUF".to_vec();
        bytes.extend(3u32.to_le_bytes());
        bytes.extend(0u64.to_le_bytes());
        bytes.extend(1u64.to_le_bytes());
        bytes.extend(u64::MAX.to_le_bytes()); // key length
        let err = parse(&bytes).unwrap_err();
        assert_eq!(err.code(), "invalid_gguf");
        assert!(err.to_string().contains("past the end"), "{err}");
        assert!(err.to_string().contains("test.gguf"), "{err}");

        let unknown = Writer::default().tensor("w", &[32], 99, 32).build();
        let err = parse(&unknown).unwrap_err();
        assert!(err.to_string().contains("unknown ggml type 99"), "{err}");
        assert_eq!(
            read_gguf(Path::new("/nonexistent/m.gguf"))
                .unwrap_err()
                .code(),
            "io"
        );
    }

    #[test]
    fn long_arrays_keep_their_length_only() {
        let tokens: Vec<String> = (0..5000).map(|i| i.to_string()).collect();
        let refs: Vec<&str> = tokens.iter().map(String::as_str).collect();
        let g = parse(
            &Writer::default()
                .string("general.architecture", "llama")
                .str_array("tokenizer.ggml.tokens", &refs)
                .tensor("w", &[32, 2], 8, 68)
                .build(),
        )
        .unwrap();
        let tokens = g.get("tokenizer.ggml.tokens").unwrap();
        assert_eq!(tokens.array_len(), Some(5000));
        assert!(tokens.items().is_empty());
        assert_eq!(g.architecture(), Some("llama"));
        assert_eq!(g.tensor_bytes(), 68);
    }
}
