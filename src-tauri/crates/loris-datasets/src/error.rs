//! Typed dataset errors with stable machine-readable codes.
//!
//! The UI, the CLI's `--json` output and the trainer switch on [`DatasetError::code`], never on
//! the message text, so a code once published must not change meaning. Messages name the row
//! (its 1-based line for JSONL and CSV, its 1-based record number otherwise) and the field, so a
//! user can find the problem in the file.

use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

pub type Result<T, E = DatasetError> = std::result::Result<T, E>;

/// Where a row came from: its 1-based record number and, for line-based files (JSONL, CSV),
/// the 1-based line it starts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RowRef {
    /// 1-based position among the file's rows (header and blank lines not counted).
    pub row: usize,
    /// 1-based line in the file, for JSONL and CSV.
    pub line: Option<usize>,
}

impl RowRef {
    pub fn row(row: usize) -> Self {
        RowRef { row, line: None }
    }

    pub fn line(row: usize, line: usize) -> Self {
        RowRef {
            row,
            line: Some(line),
        }
    }
}

impl fmt::Display for RowRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}"),
            None => write!(f, "row {}", self.row),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    /// The file holds no rows (empty, only blank lines, only a CSV header, `[]`).
    #[error("{path}: the dataset is empty")]
    Empty { path: PathBuf },

    /// A JSON document or JSONL line does not parse.
    #[error("{path}: invalid JSON at line {line}, column {column}: {reason}")]
    BadJson {
        path: PathBuf,
        line: usize,
        column: usize,
        reason: String,
    },

    /// A CSV file that does not parse (ragged rows, bad quoting, not UTF-8).
    #[error("{path}: invalid CSV at line {line}: {reason}")]
    BadCsv {
        path: PathBuf,
        line: usize,
        reason: String,
    },

    /// A Parquet file the record reader refuses.
    #[error("{path}: invalid Parquet file: {reason}")]
    BadParquet { path: PathBuf, reason: String },

    /// A row that is not an object (a JSON array element that is a number, ...).
    #[error("{at}: {reason}")]
    BadRow { at: RowRef, reason: String },

    /// A row lacks a field its format needs.
    #[error("{at}: missing field '{field}'")]
    MissingField { at: RowRef, field: String },

    /// A field is present but of the wrong shape (`messages` not a list, content a number, ...).
    #[error("{at}: field '{field}' {reason}")]
    BadField {
        at: RowRef,
        field: String,
        reason: String,
    },

    /// A message whose role (or ShareGPT `from`) is not one a chat template understands.
    #[error(
        "{at}: {field} is '{role}' (expected system, user, assistant or tool; ShareGPT: system, \
         human, gpt or tool)"
    )]
    BadRole {
        at: RowRef,
        /// The role's path in the row, `messages[2].role`.
        field: String,
        role: String,
    },

    /// No format could be recognised from the columns and none was given.
    #[error(
        "cannot tell the dataset format from its columns [{columns}]: expected 'messages', \
         'conversations', 'instruction' + 'output' or 'text'; choose a format or map the columns"
    )]
    UnknownFormat { columns: String },

    /// A row is longer than the sequence length and the overlong policy is `Error`.
    #[error(
        "{at}: {tokens} tokens is longer than the sequence length {seq_len} (skip or truncate \
         long rows, or raise the sequence length)"
    )]
    RowTooLong {
        at: RowRef,
        tokens: usize,
        seq_len: usize,
    },

    /// The file's extension names no format this crate reads.
    #[error(
        "{path}: unsupported dataset file '{extension}' (expected .jsonl, .json, .csv or .parquet)"
    )]
    UnsupportedFile { path: PathBuf, extension: String },

    /// The conversation needs a chat template and the model has none.
    #[error("the model has no chat template, so chat rows cannot be formatted; supply one")]
    NoChatTemplate,

    /// The chat template failed on a row (a `raise_exception` about roles, ...).
    #[error("{at}: chat template error: {reason}")]
    Template { at: RowRef, reason: String },

    /// An assistant turn cannot be found in the rendered conversation, so its tokens cannot be
    /// marked for training.
    #[error(
        "{at}: assistant message {message} cannot be located in the rendered chat template: {reason}"
    )]
    MaskSpan {
        at: RowRef,
        message: usize,
        reason: String,
    },

    /// The tokenizer failed on a row's text.
    #[error("{at}: tokenizer error: {reason}")]
    Tokenizer { at: RowRef, reason: String },

    /// Options that can never work (sequence length 0, eval fraction outside [0, 1), ...).
    #[error("invalid dataset option: {0}")]
    InvalidOptions(String),

    /// Every row was skipped (too long, or nothing to train on), so there is nothing to train.
    #[error("no usable training rows: all {skipped} rows were skipped ({first_reason})")]
    NoUsableRows {
        skipped: usize,
        first_reason: String,
    },

    #[error("could not read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl DatasetError {
    /// The stable code for this error, as the UI and scripts see it.
    pub fn code(&self) -> &'static str {
        match self {
            DatasetError::Empty { .. } => "dataset_empty",
            DatasetError::BadJson { .. } => "dataset_bad_json",
            DatasetError::BadCsv { .. } => "dataset_bad_csv",
            DatasetError::BadParquet { .. } => "dataset_bad_parquet",
            DatasetError::BadRow { .. } => "dataset_bad_row",
            DatasetError::MissingField { .. } => "dataset_missing_field",
            DatasetError::BadField { .. } => "dataset_bad_field",
            DatasetError::BadRole { .. } => "dataset_bad_role",
            DatasetError::UnknownFormat { .. } => "dataset_unknown_format",
            DatasetError::RowTooLong { .. } => "dataset_row_too_long",
            DatasetError::UnsupportedFile { .. } => "dataset_unsupported_file",
            DatasetError::NoChatTemplate => "dataset_no_chat_template",
            DatasetError::Template { .. } => "dataset_template_error",
            DatasetError::MaskSpan { .. } => "dataset_mask_span",
            DatasetError::Tokenizer { .. } => "dataset_tokenizer_error",
            DatasetError::InvalidOptions(_) => "dataset_invalid_options",
            DatasetError::NoUsableRows { .. } => "dataset_no_usable_rows",
            DatasetError::Io { .. } => "dataset_io",
        }
    }

    /// The row the error is about, when it is about one.
    pub fn row(&self) -> Option<RowRef> {
        match self {
            DatasetError::BadRow { at, .. }
            | DatasetError::MissingField { at, .. }
            | DatasetError::BadField { at, .. }
            | DatasetError::BadRole { at, .. }
            | DatasetError::RowTooLong { at, .. }
            | DatasetError::Template { at, .. }
            | DatasetError::MaskSpan { at, .. }
            | DatasetError::Tokenizer { at, .. } => Some(*at),
            _ => None,
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        DatasetError::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn missing(at: RowRef, field: impl Into<String>) -> Self {
        DatasetError::MissingField {
            at,
            field: field.into(),
        }
    }

    pub(crate) fn bad_field(
        at: RowRef,
        field: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        DatasetError::BadField {
            at,
            field: field.into(),
            reason: reason.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_refs_name_the_line_when_there_is_one() {
        assert_eq!(RowRef::line(2, 3).to_string(), "line 3");
        assert_eq!(RowRef::row(7).to_string(), "row 7");
        let err = DatasetError::missing(RowRef::line(4, 5), "messages");
        assert_eq!(err.code(), "dataset_missing_field");
        assert_eq!(err.to_string(), "line 5: missing field 'messages'");
        assert_eq!(err.row(), Some(RowRef::line(4, 5)));
    }
}
