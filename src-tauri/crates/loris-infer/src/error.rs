//! Typed errors with stable machine-readable codes (see `loris_models::ModelError` for the
//! model-description errors this wraps unchanged).

use loris_models::ModelError;

pub type Result<T, E = InferError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum InferError {
    #[error(transparent)]
    Model(#[from] ModelError),

    /// The file describes a model this engine cannot run as it is (a tensor missing, a RoPE
    /// scaling type not implemented, ...).
    #[error("unsupported model: {0}")]
    UnsupportedModel(String),

    /// A request that can never succeed (empty prompt, zero max tokens, ...).
    #[error("invalid request: {0}")]
    InvalidRequest(String),

    /// Prompt plus generation would pass the model's context length.
    #[error("the prompt has {prompt} tokens; the model's context is {context} tokens")]
    ContextLengthExceeded { prompt: usize, context: usize },

    /// The engine thread is gone (model unloaded, or it crashed).
    #[error("the engine for this model has stopped")]
    EngineStopped,

    /// A tensor operation failed.
    #[error("inference failed: {0}")]
    Backend(#[from] candle_core::Error),

    /// The model's queue is full: try again later.
    #[error("the model is busy: {0} requests are already queued or running")]
    QueueFull(usize),

    /// No model is loaded under this id.
    #[error("no model named '{0}' is loaded")]
    ModelNotLoaded(String),

    /// The model is still loading; it can be used once its `loaded` event arrives.
    #[error("the model '{0}' is still loading")]
    ModelLoading(String),

    /// A generation failed on the engine thread (the event carried its code and message).
    #[error("generation failed [{code}]: {message}")]
    Generation { code: String, message: String },
}

impl InferError {
    pub fn code(&self) -> &'static str {
        match self {
            InferError::Model(e) => e.code(),
            InferError::UnsupportedModel(_) => "unsupported_model",
            InferError::InvalidRequest(_) => "invalid_request",
            InferError::ContextLengthExceeded { .. } => "context_length_exceeded",
            InferError::EngineStopped => "engine_stopped",
            InferError::QueueFull(_) => "queue_full",
            InferError::ModelNotLoaded(_) => "model_not_loaded",
            InferError::ModelLoading(_) => "model_loading",
            InferError::Backend(_) | InferError::Generation { .. } => "inference_failed",
        }
    }
}
