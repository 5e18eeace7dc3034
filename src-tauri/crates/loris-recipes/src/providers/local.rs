//! The model loaded in the app, called in-process: the prompt goes through the model's chat
//! template and straight to its engine's queue, with no HTTP in between.

use std::sync::Arc;

use loris_infer::{Engine, GenerateRequest, SamplingParams};
use loris_models::ChatRequest;
use loris_models::chat_template::message;

use super::params::InferenceParams;
use super::{ChatModel, LlmReply, ProviderError};
use crate::samplers::Rng;

/// Tokens generated when the model config sets no `max_tokens`.
pub const DEFAULT_MAX_TOKENS: u32 = 512;

pub struct EngineModel {
    engine: Arc<Engine>,
}

impl EngineModel {
    pub fn new(engine: Arc<Engine>) -> Self {
        EngineModel { engine }
    }
}

impl ChatModel for EngineModel {
    fn chat(
        &self,
        system: Option<&str>,
        prompt: &str,
        params: &InferenceParams,
        seed: u64,
        response_schema: Option<&serde_json::Value>,
    ) -> Result<LlmReply, ProviderError> {
        let assets = self.engine.assets();
        let ids = if self.engine.info().has_chat_template {
            let mut messages = Vec::with_capacity(2);
            if let Some(system) = system {
                messages.push(message("system", system));
            }
            messages.push(message("user", prompt));
            let request = ChatRequest {
                messages,
                add_generation_prompt: true,
                ..Default::default()
            };
            assets.encode_chat(&request).map(|(_, ids)| ids)
        } else {
            // A base model continues the text: the system prompt, if any, leads it.
            let text = match system {
                Some(system) => format!("{system}\n\n{prompt}"),
                None => prompt.to_string(),
            };
            assets.encode_text(&text)
        }
        .map_err(|e| ProviderError::new("infer_template", e.to_string()))?;

        let mut rng = Rng::new(seed);
        let mut sampling = SamplingParams {
            seed: Some(seed),
            ..SamplingParams::default()
        };
        if let Some(t) = &params.temperature {
            sampling.temperature = t.sample(&mut rng) as f32;
        }
        if let Some(p) = &params.top_p {
            sampling.top_p = p.sample(&mut rng) as f32;
        }
        let max_tokens = params.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS) as usize;
        let mut request = GenerateRequest::new(ids, max_tokens, sampling);
        request.json_schema = response_schema.cloned();
        let handle = self
            .engine
            .submit(request)
            .map_err(|e| ProviderError::new(e.code(), e.to_string()))?;
        let output = handle
            .wait(|_| {})
            .map_err(|e| ProviderError::new(e.code(), e.to_string()))?;
        Ok(LlmReply {
            text: output.text,
            prompt_tokens: output.usage.prompt_tokens as u64,
            completion_tokens: output.usage.completion_tokens as u64,
        })
    }
}
