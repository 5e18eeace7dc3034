//! Chat errors with stable codes. The UI switches on [`Error::code`]; an import that is refused
//! says which problem it found with a code of its own and names the place in the file.

use loris_core::ApiError;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why an imported file was refused. Each has its own stable code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportProblem {
    /// Not JSON at all (a syntax error or a truncated file).
    NotJson,
    /// A field is missing or has the wrong type.
    InvalidField,
    /// JSON, but not a Loris chat export of a version this build reads.
    UnsupportedFormat,
    /// Two messages share one id.
    DuplicateId,
    /// A message's parent id names no message of the file.
    DanglingParent,
    /// Following parent ids from some message comes back to it.
    Cycle,
    /// The thread's active leaf names no message of the file.
    DanglingActiveLeaf,
}

impl ImportProblem {
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotJson => "import_not_json",
            Self::InvalidField => "import_invalid_field",
            Self::UnsupportedFormat => "import_unsupported_format",
            Self::DuplicateId => "import_duplicate_id",
            Self::DanglingParent => "import_dangling_parent",
            Self::Cycle => "import_cycle",
            Self::DanglingActiveLeaf => "import_dangling_active_leaf",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{kind} '{id}' was not found")]
    NotFound { kind: &'static str, id: String },

    #[error("invalid {field}: {reason}")]
    InvalidInput { field: String, reason: String },

    /// The file was not imported; nothing was written.
    #[error("cannot import this file: {message}")]
    Import {
        problem: ImportProblem,
        message: String,
    },

    /// The engine refused the request or failed while generating.
    #[error(transparent)]
    Infer(#[from] loris_infer::InferError),

    /// Errors of the store keep their own codes.
    #[error(transparent)]
    Core(#[from] loris_core::Error),

    #[error("database error: {0}")]
    Database(#[from] rusqlite::Error),

    #[error("internal error: {0}")]
    Internal(String),

    #[error("stored value for {what} is not valid JSON: {source}")]
    StoredJson {
        what: &'static str,
        #[source]
        source: serde_json::Error,
    },
}

impl Error {
    pub fn code(&self) -> &'static str {
        match self {
            Error::NotFound { .. } => "not_found",
            Error::InvalidInput { .. } => "invalid_input",
            Error::Import { problem, .. } => problem.code(),
            Error::Infer(e) => e.code(),
            Error::Core(e) => e.code(),
            Error::Database(_) => "database",
            Error::Internal(_) => "internal",
            Error::StoredJson { .. } => "invalid_json",
        }
    }

    pub fn details(&self) -> Option<serde_json::Value> {
        match self {
            Error::NotFound { kind, id } => Some(serde_json::json!({ "kind": kind, "id": id })),
            Error::InvalidInput { field, .. } => Some(serde_json::json!({ "field": field })),
            Error::Core(e) => e.details(),
            _ => None,
        }
    }

    pub(crate) fn not_found(kind: &'static str, id: &str) -> Self {
        Error::NotFound {
            kind,
            id: id.to_owned(),
        }
    }

    pub(crate) fn invalid(field: &str, reason: impl Into<String>) -> Self {
        Error::InvalidInput {
            field: field.to_owned(),
            reason: reason.into(),
        }
    }

    pub(crate) fn import(problem: ImportProblem, message: impl Into<String>) -> Self {
        Error::Import {
            problem,
            message: message.into(),
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
