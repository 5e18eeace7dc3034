//! Which row format a file holds, decided by its extension alone: generated batches and seed
//! files are named by the app or the user, and sniffing contents would hide a wrong name.

use std::path::Path;

use crate::error::{Result, TabularError};

const EXPECTED: &str = ".csv, .json, .jsonl, .ndjson or .parquet";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TableFormat {
    Csv,
    Json,
    Jsonl,
    Parquet,
}

impl TableFormat {
    pub fn from_path(path: &Path) -> Result<TableFormat> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("csv") => Ok(TableFormat::Csv),
            Some("json") => Ok(TableFormat::Json),
            Some("jsonl" | "ndjson") => Ok(TableFormat::Jsonl),
            Some("parquet") => Ok(TableFormat::Parquet),
            _ => Err(TabularError::UnsupportedFormat {
                path: path.to_owned(),
                expected: EXPECTED,
            }),
        }
    }

    /// The usual extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            TableFormat::Csv => "csv",
            TableFormat::Json => "json",
            TableFormat::Jsonl => "jsonl",
            TableFormat::Parquet => "parquet",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_map_case_insensitively() {
        let cases = [
            ("a.csv", TableFormat::Csv),
            ("a.JSON", TableFormat::Json),
            ("dir.v2/a.jsonl", TableFormat::Jsonl),
            ("a.ndjson", TableFormat::Jsonl),
            ("a.Parquet", TableFormat::Parquet),
        ];
        for (name, want) in cases {
            assert_eq!(
                TableFormat::from_path(Path::new(name)).unwrap(),
                want,
                "{name}"
            );
        }
    }

    #[test]
    fn unknown_or_missing_extension_is_unsupported() {
        for name in ["notes.txt", "data", "archive.jsonl.gz", ".parquet"] {
            let err = TableFormat::from_path(Path::new(name)).unwrap_err();
            assert_eq!(err.code(), "tabular_unsupported_format", "{name}");
            assert!(err.to_string().contains(name), "{err}");
        }
    }
}
