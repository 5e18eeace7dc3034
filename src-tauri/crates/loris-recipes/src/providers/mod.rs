//! Where language-model columns get their text: a [`LlmProvider`] answers one call for a model
//! alias. [`ModelRouter`] is the provider runs use: it maps each of the recipe's model configs
//! to an OpenAI-compatible endpoint or to the model loaded in the app.

mod http;
#[cfg(feature = "local")]
mod local;
mod params;
mod router;

pub use http::HttpModel;
#[cfg(feature = "local")]
pub use local::EngineModel;
pub use params::InferenceParams;
pub use router::{KeychainLookup, LOCAL_PROVIDER_TYPE, ModelRouter, RouterOptions};

use serde::Serialize;

/// One request to a model: a rendered prompt and its system prompt.
#[derive(Debug, Clone)]
pub struct LlmCall<'a> {
    pub model_alias: &'a str,
    pub system: Option<&'a str>,
    pub prompt: &'a str,
    /// Makes sampling reproducible where the backend supports seeds: derived from the run's
    /// seed, the column and the row.
    pub seed: u64,
    /// The JSON schema the reply must match (structured and judge columns). The in-process
    /// model is held to it while it generates; endpoints get it in the prompt.
    pub response_schema: Option<&'a serde_json::Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LlmReply {
    pub text: String,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
}

/// A failed call, after whatever retries the provider does itself.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct ProviderError {
    /// The backend's stable code, e.g. `llm_http_status` or `infer_generation`.
    pub code: String,
    pub message: String,
}

impl ProviderError {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        ProviderError {
            code: code.into(),
            message: message.into(),
        }
    }
}

/// A model endpoint. Calls come from several worker threads at once, up to
/// [`LlmProvider::max_in_flight`] for the alias.
pub trait LlmProvider: Send + Sync {
    fn complete(&self, call: &LlmCall<'_>) -> Result<LlmReply, ProviderError>;

    /// How many calls for `model_alias` may run at the same time.
    fn max_in_flight(&self, _model_alias: &str) -> usize {
        1
    }
}

/// A backend that serves one model config: the router hands it the alias's parameters.
pub trait ChatModel: Send + Sync {
    fn chat(
        &self,
        system: Option<&str>,
        prompt: &str,
        params: &InferenceParams,
        seed: u64,
        response_schema: Option<&serde_json::Value>,
    ) -> Result<LlmReply, ProviderError>;
}
