//! Typed errors with stable machine-readable codes.
//!
//! The UI, the CLI's `--json` output and the LAN API switch on [`ModelError::code`], never on the
//! message text, so a code once published must not change meaning.

use std::path::PathBuf;

pub type Result<T, E = ModelError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// The architecture named by config.json or GGUF metadata is not one Loris can run.
    #[error("unknown model architecture '{name}' (supported: {supported})")]
    UnknownArchitecture { name: String, supported: String },

    /// A model file or config exists but does not describe a usable model.
    #[error("invalid model {path}: {reason}")]
    InvalidModel { path: PathBuf, reason: String },

    /// A config.json field the model cannot run without is absent or malformed.
    #[error("{path}: missing or invalid field '{field}': {reason}")]
    InvalidConfig {
        path: PathBuf,
        field: String,
        reason: String,
    },

    /// The file is not a readable GGUF (bad magic, unsupported version, truncated, out-of-bounds
    /// tensor data).
    #[error("invalid GGUF file {path}: {reason}")]
    InvalidGguf { path: PathBuf, reason: String },

    /// A tokenizer could not be loaded, built from GGUF metadata, or failed to encode or decode.
    #[error("tokenizer error: {0}")]
    Tokenizer(String),

    /// A chat template does not parse.
    #[error("chat template does not compile: {0}")]
    TemplateSyntax(String),

    /// A chat template failed while rendering, including an explicit `raise_exception(...)`.
    #[error("chat template error: {0}")]
    Template(String),

    /// The model has no chat template (neither in tokenizer_config.json, chat_template.jinja nor
    /// GGUF metadata) and none was supplied.
    #[error("the model has no chat template; supply one")]
    NoChatTemplate,

    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl ModelError {
    /// The stable code for this error, as the UI and scripts see it.
    pub fn code(&self) -> &'static str {
        match self {
            ModelError::UnknownArchitecture { .. } => "unknown_architecture",
            ModelError::InvalidModel { .. } => "invalid_model",
            ModelError::InvalidConfig { .. } => "invalid_config",
            ModelError::InvalidGguf { .. } => "invalid_gguf",
            ModelError::Tokenizer(_) => "tokenizer_error",
            ModelError::TemplateSyntax(_) => "template_syntax",
            ModelError::Template(_) => "template_error",
            ModelError::NoChatTemplate => "no_chat_template",
            ModelError::Io { .. } => "io",
        }
    }

    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        ModelError::Io {
            action,
            path: path.into(),
            source,
        }
    }

    pub(crate) fn invalid_model(path: impl Into<PathBuf>, reason: impl Into<String>) -> Self {
        ModelError::InvalidModel {
            path: path.into(),
            reason: reason.into(),
        }
    }

    pub(crate) fn config(
        path: impl Into<PathBuf>,
        field: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        ModelError::InvalidConfig {
            path: path.into(),
            field: field.into(),
            reason: reason.into(),
        }
    }

    pub(crate) fn tokenizer(reason: impl std::fmt::Display) -> Self {
        ModelError::Tokenizer(reason.to_string())
    }
}
