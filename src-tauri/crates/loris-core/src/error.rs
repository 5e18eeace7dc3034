//! Typed errors with stable machine-readable codes.
//!
//! The UI, the CLI's `--json` output and the LAN API switch on [`Error::code`], never on the
//! message text, so a code once published must not change meaning.

use std::path::PathBuf;

use serde::Serialize;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the database at {path} cannot be used: {reason}")]
    DatabaseCorrupt { path: PathBuf, reason: String },

    #[error(
        "the database at {path} was written by a newer Loris Studio (schema {found}, this build knows up to {supported})"
    )]
    DatabaseTooNew {
        path: PathBuf,
        found: i64,
        supported: i64,
    },

    #[error("database error: {0}")]
    Database(#[from] rusqlite::Error),

    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("no data directory could be determined: set LORIS_HOME")]
    NoDataDir,

    #[error("invalid {field}: {reason}")]
    InvalidInput { field: String, reason: String },

    #[error("{kind} '{id}' was not found")]
    NotFound { kind: &'static str, id: String },

    #[error("job {id} is already {state}")]
    JobFinished { id: String, state: String },

    #[error("cancelled")]
    Cancelled,

    #[error("stored value for {what} is not valid JSON: {source}")]
    Json {
        what: String,
        #[source]
        source: serde_json::Error,
    },

    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// The stable code for this error, as the UI and scripts see it.
    pub fn code(&self) -> &'static str {
        match self {
            Error::DatabaseCorrupt { .. } => "database_corrupt",
            Error::DatabaseTooNew { .. } => "database_too_new",
            Error::Database(_) => "database",
            Error::Io { .. } => "io",
            Error::NoDataDir => "no_data_dir",
            Error::InvalidInput { .. } => "invalid_input",
            Error::NotFound { .. } => "not_found",
            Error::JobFinished { .. } => "job_finished",
            Error::Cancelled => "cancelled",
            Error::Json { .. } => "invalid_json",
            Error::Internal(_) => "internal",
        }
    }

    /// Structured details a UI can show or act on, beyond the message.
    pub fn details(&self) -> Option<serde_json::Value> {
        match self {
            Error::DatabaseCorrupt { path, .. } => Some(serde_json::json!({ "path": path })),
            Error::DatabaseTooNew {
                path,
                found,
                supported,
            } => Some(serde_json::json!({ "path": path, "found": found, "supported": supported })),
            Error::Io { path, .. } => Some(serde_json::json!({ "path": path })),
            Error::InvalidInput { field, .. } => Some(serde_json::json!({ "field": field })),
            Error::NotFound { kind, id } => Some(serde_json::json!({ "kind": kind, "id": id })),
            Error::JobFinished { id, state } => {
                Some(serde_json::json!({ "id": id, "state": state }))
            }
            _ => None,
        }
    }

    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            action,
            path: path.into(),
            source,
        }
    }

    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::InvalidInput {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// The wire form of an error: `{code, message, details}`.
#[derive(Debug, Clone, Serialize, serde::Deserialize, specta::Type, PartialEq)]
pub struct ApiError {
    pub code: String,
    pub message: String,
    #[specta(type = Option<crate::json_type::JsonValue>)]
    pub details: Option<serde_json::Value>,
}

impl ApiError {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError {
            code: code.into(),
            message: message.into(),
            details: None,
        }
    }
}

impl From<&Error> for ApiError {
    fn from(err: &Error) -> Self {
        ApiError {
            code: err.code().to_owned(),
            message: err.to_string(),
            details: err.details(),
        }
    }
}

impl From<Error> for ApiError {
    fn from(err: Error) -> Self {
        ApiError::from(&err)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.code)
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_as_code_message_details() {
        let err = Error::NotFound {
            kind: "job",
            id: "abc".into(),
        };
        let json = serde_json::to_value(ApiError::from(err)).unwrap();
        assert_eq!(json["code"], "not_found");
        assert_eq!(json["message"], "job 'abc' was not found");
        assert_eq!(json["details"]["id"], "abc");
    }

    #[test]
    fn errors_without_details_serialize_null() {
        let json = serde_json::to_value(ApiError::from(Error::Cancelled)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"code": "cancelled", "message": "cancelled", "details": null})
        );
    }
}
