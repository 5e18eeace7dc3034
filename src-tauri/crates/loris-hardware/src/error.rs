//! Typed errors with stable machine-readable codes.
//!
//! The UI and `loris --json` switch on [`HardwareError::code`], never on the message, so a code
//! once published keeps its meaning. Detection itself never fails (a machine without a GPU is a
//! result, not an error); these errors come from reading model files and from bad options.

use std::path::PathBuf;

pub type Result<T, E = HardwareError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum HardwareError {
    /// A field the estimator needs is absent from config.json (or from GGUF metadata).
    #[error("{source_name}: missing field `{field}`")]
    MissingField { source_name: String, field: String },

    /// A field is present but cannot describe a real model (zero heads, negative sizes, ...).
    #[error("{source_name}: invalid `{field}`: {reason}")]
    InvalidField {
        source_name: String,
        field: String,
        reason: String,
    },

    /// config.json is not JSON, or not a JSON object.
    #[error("{path}: not a valid config.json: {reason}")]
    InvalidJson { path: PathBuf, reason: String },

    /// A model type whose parameter layout the estimator does not know.
    #[error("model type `{model_type}` is not supported by the estimator (supported: {supported})")]
    UnsupportedArchitecture {
        model_type: String,
        supported: String,
    },

    /// The file is not a GGUF file, or its header/metadata is malformed or truncated.
    #[error("{path}: not a valid GGUF file: {reason}")]
    InvalidGguf { path: PathBuf, reason: String },

    /// The path names neither a config.json, a model folder, nor a .gguf file.
    #[error("{path}: {reason}")]
    ModelNotFound { path: PathBuf, reason: String },

    /// An estimate option is out of range (batch 0, rank 0, ...).
    #[error("invalid {field}: {reason}")]
    InvalidOption { field: String, reason: String },

    /// The request makes no sense for this source (a training estimate from a GGUF file).
    #[error("{0}")]
    Unsupported(String),

    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl HardwareError {
    /// The stable code for this error, as the UI and scripts see it.
    pub fn code(&self) -> &'static str {
        match self {
            // One code for every config.json problem: the UI shows the message and the field.
            HardwareError::MissingField { .. }
            | HardwareError::InvalidField { .. }
            | HardwareError::InvalidJson { .. } => "invalid_config",
            HardwareError::UnsupportedArchitecture { .. } => "unsupported_architecture",
            HardwareError::InvalidGguf { .. } => "invalid_gguf",
            HardwareError::ModelNotFound { .. } => "model_not_found",
            HardwareError::InvalidOption { .. } => "invalid_input",
            HardwareError::Unsupported(_) => "unsupported",
            HardwareError::Io { .. } => "io",
        }
    }

    /// Structured details a UI can show or act on, beyond the message.
    pub fn details(&self) -> Option<serde_json::Value> {
        use serde_json::json;
        match self {
            HardwareError::MissingField { field, .. } => Some(json!({ "field": field })),
            HardwareError::InvalidField { field, reason, .. } => {
                Some(json!({ "field": field, "reason": reason }))
            }
            HardwareError::InvalidOption { field, .. } => Some(json!({ "field": field })),
            HardwareError::UnsupportedArchitecture { model_type, .. } => {
                Some(json!({ "modelType": model_type }))
            }
            HardwareError::InvalidJson { path, .. }
            | HardwareError::InvalidGguf { path, .. }
            | HardwareError::ModelNotFound { path, .. }
            | HardwareError::Io { path, .. } => Some(json!({ "path": path })),
            HardwareError::Unsupported(_) => None,
        }
    }

    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        HardwareError::Io {
            action,
            path: path.into(),
            source,
        }
    }

    pub(crate) fn option(field: impl Into<String>, reason: impl Into<String>) -> Self {
        HardwareError::InvalidOption {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_problems_share_one_code_and_name_the_field() {
        let err = HardwareError::InvalidField {
            source_name: "config.json".into(),
            field: "num_attention_heads".into(),
            reason: "must be at least 1".into(),
        };
        assert_eq!(err.code(), "invalid_config");
        assert_eq!(err.details().unwrap()["field"], "num_attention_heads");
        assert!(err.to_string().contains("num_attention_heads"));
    }
}
