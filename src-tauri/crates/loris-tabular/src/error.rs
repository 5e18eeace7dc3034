//! Typed errors with stable machine-readable codes.
//!
//! Callers (the recipe engine, the UI) switch on [`TabularError::code`], never on message text,
//! so a published code keeps its meaning. Messages name the file and, where it applies, the
//! line, row and field, so a user can find the problem without a debugger.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

pub type Result<T, E = TabularError> = std::result::Result<T, E>;

/// Where in a file a problem sits. Lines and rows are 1-based; a JSONL or CSV problem has a
/// line, a JSON array or Parquet problem has a row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Location {
    pub line: Option<u64>,
    pub row: Option<u64>,
    pub field: Option<String>,
}

impl Location {
    pub fn line(line: u64) -> Self {
        Location {
            line: Some(line),
            ..Location::default()
        }
    }

    pub fn row(row: u64) -> Self {
        Location {
            row: Some(row),
            ..Location::default()
        }
    }

    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(line) = self.line {
            parts.push(format!("line {line}"));
        }
        if let Some(row) = self.row {
            parts.push(format!("row {row}"));
        }
        if let Some(field) = &self.field {
            parts.push(format!("field `{field}`"));
        }
        if parts.is_empty() {
            parts.push("file".to_owned());
        }
        f.write_str(&parts.join(", "))
    }
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TabularError {
    /// The file system refused a read, write, rename or sync.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    /// The extension names no format this crate reads or writes.
    #[error("{}: unsupported file type; expected {expected}", path.display())]
    UnsupportedFormat {
        path: PathBuf,
        expected: &'static str,
    },

    /// A JSON document or JSONL line does not parse.
    #[error("{}: invalid JSON at line {line}, column {column}: {reason}", path.display())]
    BadJson {
        path: PathBuf,
        line: u64,
        column: u64,
        reason: String,
    },

    /// A row parses but is not what a row must be (not an object, a JSON cell that no longer
    /// parses).
    #[error("{}: {at}: {reason}", path.display())]
    BadRow {
        path: PathBuf,
        at: Location,
        reason: String,
    },

    /// A JSON file whose top level is not an array of rows.
    #[error("{}: {reason}", path.display())]
    BadStructure { path: PathBuf, reason: String },

    /// A CSV file that is not rectangular or not UTF-8.
    #[error("{}: line {line}: {reason}", path.display())]
    BadCsv {
        path: PathBuf,
        line: u64,
        reason: String,
    },

    /// A Parquet file that is truncated, damaged or uses a type the reader cannot decode.
    #[error("{}: unreadable Parquet: {reason}", path.display())]
    BadParquet { path: PathBuf, reason: String },

    /// A text document that is not UTF-8.
    #[error("{}: not UTF-8 text (invalid byte at offset {offset})", path.display())]
    BadText { path: PathBuf, offset: u64 },

    /// A PDF the extractor cannot read.
    #[error("{}: unreadable PDF: {reason}", path.display())]
    BadPdf { path: PathBuf, reason: String },

    /// A `seed_config` value that is missing, mistyped or out of range; `field` is its JSON path.
    #[error("{field}: {reason}")]
    BadSeedConfig { field: String, reason: String },

    /// A seed source, or the selection taken from it, holds no rows.
    #[error("{}: {reason}", path.display())]
    EmptySeed { path: PathBuf, reason: String },

    /// Columns handed to a writer that cannot form a schema (a name given twice).
    #[error("{}: {reason}", path.display())]
    BadSchema { path: PathBuf, reason: String },

    /// The Parquet encoder refused the data.
    #[error("{}: cannot write Parquet: {reason}", path.display())]
    Write { path: PathBuf, reason: String },
}

impl TabularError {
    /// Stable snake_case code for programmatic handling.
    pub fn code(&self) -> &'static str {
        match self {
            TabularError::Io { .. } => "tabular_io",
            TabularError::UnsupportedFormat { .. } => "tabular_unsupported_format",
            TabularError::BadJson { .. } => "tabular_bad_json",
            TabularError::BadRow { .. } => "tabular_bad_row",
            TabularError::BadStructure { .. } => "tabular_bad_structure",
            TabularError::BadCsv { .. } => "tabular_bad_csv",
            TabularError::BadParquet { .. } => "tabular_bad_parquet",
            TabularError::BadText { .. } => "tabular_bad_text",
            TabularError::BadPdf { .. } => "tabular_bad_pdf",
            TabularError::BadSeedConfig { .. } => "tabular_bad_seed_config",
            TabularError::EmptySeed { .. } => "tabular_empty_seed",
            TabularError::BadSchema { .. } => "tabular_bad_schema",
            TabularError::Write { .. } => "tabular_write",
        }
    }

    /// The file the error is about, when there is one.
    pub fn path(&self) -> Option<&Path> {
        match self {
            TabularError::Io { path, .. }
            | TabularError::UnsupportedFormat { path, .. }
            | TabularError::BadJson { path, .. }
            | TabularError::BadRow { path, .. }
            | TabularError::BadStructure { path, .. }
            | TabularError::BadCsv { path, .. }
            | TabularError::BadParquet { path, .. }
            | TabularError::BadText { path, .. }
            | TabularError::BadPdf { path, .. }
            | TabularError::EmptySeed { path, .. }
            | TabularError::BadSchema { path, .. }
            | TabularError::Write { path, .. } => Some(path),
            TabularError::BadSeedConfig { .. } => None,
        }
    }

    pub(crate) fn io(path: &Path, source: io::Error) -> Self {
        TabularError::Io {
            path: path.to_owned(),
            source,
        }
    }

    pub(crate) fn bad_row(path: &Path, at: Location, reason: impl Into<String>) -> Self {
        TabularError::BadRow {
            path: path.to_owned(),
            at,
            reason: reason.into(),
        }
    }

    pub(crate) fn bad_parquet(path: &Path, reason: impl Into<String>) -> Self {
        TabularError::BadParquet {
            path: path.to_owned(),
            reason: reason.into(),
        }
    }

    pub(crate) fn bad_config(field: impl Into<String>, reason: impl Into<String>) -> Self {
        TabularError::BadSeedConfig {
            field: field.into(),
            reason: reason.into(),
        }
    }

    pub(crate) fn empty_seed(path: &Path, reason: impl Into<String>) -> Self {
        TabularError::EmptySeed {
            path: path.to_owned(),
            reason: reason.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_names_every_part_it_has() {
        let at = Location::line(4).with_field("meta");
        assert_eq!(at.to_string(), "line 4, field `meta`");
        assert_eq!(Location::row(2).to_string(), "row 2");
        assert_eq!(Location::default().to_string(), "file");
    }

    #[test]
    fn messages_name_the_file_and_codes_are_stable() {
        let err = TabularError::BadJson {
            path: PathBuf::from("/data/batch.jsonl"),
            line: 7,
            column: 3,
            reason: "expected value".into(),
        };
        assert_eq!(err.code(), "tabular_bad_json");
        let text = err.to_string();
        assert!(
            text.contains("/data/batch.jsonl") && text.contains("line 7"),
            "{text}"
        );
        assert_eq!(err.path(), Some(Path::new("/data/batch.jsonl")));

        let cfg = TabularError::bad_config("seed_config.selection_strategy.end", "too small");
        assert_eq!(cfg.code(), "tabular_bad_seed_config");
        assert!(
            cfg.to_string()
                .starts_with("seed_config.selection_strategy.end")
        );
        assert_eq!(cfg.path(), None);
    }
}
