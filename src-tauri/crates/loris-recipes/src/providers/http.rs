//! A model behind an OpenAI-compatible endpoint.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use loris_llm_client::{ChatClient, ChatMessage, ChatRequest, Endpoint, RetryPolicy};

use super::params::InferenceParams;
use super::{ChatModel, LlmReply, ProviderError};
use crate::samplers::Rng;

pub struct HttpModel {
    client: Arc<ChatClient>,
    endpoint: Endpoint,
    model: String,
    /// Set when the run is cancelled, so that a retry wait ends at once.
    cancelled: Arc<AtomicBool>,
}

impl HttpModel {
    pub fn new(
        endpoint: Endpoint,
        model: String,
        params: &InferenceParams,
        cancelled: Arc<AtomicBool>,
    ) -> Result<Self, ProviderError> {
        let mut policy = RetryPolicy::default();
        if let Some(timeout) = params.timeout {
            policy.request_timeout = Duration::from_secs_f64(timeout);
        }
        let client = ChatClient::new(policy).map_err(to_provider_error)?;
        Ok(HttpModel {
            client: Arc::new(client),
            endpoint,
            model,
            cancelled,
        })
    }
}

impl ChatModel for HttpModel {
    fn chat(
        &self,
        system: Option<&str>,
        prompt: &str,
        params: &InferenceParams,
        seed: u64,
        // Endpoints differ in how (and whether) they take a schema; the prompt carries it.
        _response_schema: Option<&serde_json::Value>,
    ) -> Result<LlmReply, ProviderError> {
        let mut messages = Vec::with_capacity(2);
        if let Some(system) = system {
            messages.push(ChatMessage {
                role: "system".into(),
                content: system.into(),
            });
        }
        messages.push(ChatMessage {
            role: "user".into(),
            content: prompt.into(),
        });
        let mut rng = Rng::new(seed);
        let request = ChatRequest {
            model: self.model.clone(),
            messages,
            temperature: params.temperature.as_ref().map(|t| t.sample(&mut rng)),
            top_p: params.top_p.as_ref().map(|p| p.sample(&mut rng)),
            max_tokens: params.max_tokens,
            seed: Some(seed),
            extra: params.extra_body.clone(),
        };
        let reply = self
            .client
            .chat_cancellable(&self.endpoint, &request, &self.cancelled)
            .map_err(to_provider_error)?;
        Ok(LlmReply {
            text: reply.text,
            prompt_tokens: reply.prompt_tokens,
            completion_tokens: reply.completion_tokens,
        })
    }
}

fn to_provider_error(err: loris_llm_client::LlmError) -> ProviderError {
    ProviderError::new(err.code(), err.to_string())
}
