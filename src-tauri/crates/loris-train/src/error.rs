//! Typed training errors with stable machine-readable codes.

use std::path::PathBuf;

pub type Result<T, E = TrainError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error(transparent)]
    Model(#[from] loris_models::ModelError),

    #[error(transparent)]
    Infer(#[from] loris_infer::InferError),

    #[error(transparent)]
    Dataset(#[from] loris_datasets::DatasetError),

    /// The model is of an architecture (or a variant of one) the trainer cannot build.
    #[error("cannot train this model: {0}")]
    UnsupportedModel(String),

    /// A training setting that can never work (rank 0, no target module matched, ...).
    #[error("invalid training setting: {0}")]
    InvalidConfig(String),

    /// The loss or the gradients became NaN or infinite.
    #[error("training diverged at step {step}: {what} is not finite")]
    Diverged { step: usize, what: &'static str },

    /// A checkpoint or adapter folder that cannot be read back.
    #[error("{path}: {reason}")]
    BadCheckpoint { path: PathBuf, reason: String },

    #[error("could not {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },

    /// The run history could not be read or written.
    #[error("training history: {0}")]
    Store(String),

    /// A tensor operation failed.
    #[error("training failed: {0}")]
    Backend(#[from] candle_core::Error),
}

impl TrainError {
    pub fn code(&self) -> &'static str {
        match self {
            TrainError::Model(e) => e.code(),
            TrainError::Infer(e) => e.code(),
            TrainError::Dataset(e) => e.code(),
            TrainError::UnsupportedModel(_) => "train_unsupported_model",
            TrainError::InvalidConfig(_) => "train_invalid_config",
            TrainError::Diverged { .. } => "train_diverged",
            TrainError::BadCheckpoint { .. } => "train_bad_checkpoint",
            TrainError::Io { .. } => "io_error",
            TrainError::Store(_) => "database_error",
            TrainError::Backend(_) => "train_backend",
        }
    }

    pub(crate) fn io(action: &'static str, path: &std::path::Path, source: std::io::Error) -> Self {
        TrainError::Io {
            action,
            path: path.to_owned(),
            source,
        }
    }
}
