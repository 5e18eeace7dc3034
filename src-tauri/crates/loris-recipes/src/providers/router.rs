//! Maps each model alias of a recipe to the backend that serves it.
//!
//! A model config names a provider; a provider with `provider_type: "local"` is the model
//! loaded in the app (no HTTP), any other is an OpenAI-compatible endpoint. A model config
//! without a provider uses the recipe's only provider, or the local model when there is none.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use loris_llm_client::{Endpoint, resolve_api_key};
use serde_json::Value;

use super::http::HttpModel;
use super::params::{DEFAULT_MAX_PARALLEL_REQUESTS, InferenceParams};
use super::{ChatModel, LlmCall, LlmProvider, LlmReply, ProviderError};
use crate::error::{RecipeError, Result};
use crate::format::{ModelProvider, RecipeDocument};

/// The `provider_type` of the in-process model.
pub const LOCAL_PROVIDER_TYPE: &str = "local";

/// Reads a secret by entry name from the OS keychain.
pub type KeychainLookup = dyn Fn(&str) -> std::result::Result<Option<String>, String> + Send + Sync;

#[derive(Clone, Default)]
pub struct RouterOptions {
    /// The model loaded in the app, for `local` providers.
    pub local: Option<Arc<dyn ChatModel>>,
    /// For providers that name an `api_key_keychain` entry.
    pub keychain: Option<Arc<KeychainLookup>>,
    /// Ends retry waits when the run is cancelled.
    pub cancelled: Arc<AtomicBool>,
}

struct Route {
    model: Arc<dyn ChatModel>,
    params: InferenceParams,
    max_in_flight: usize,
}

pub struct ModelRouter {
    routes: HashMap<String, Route>,
}

impl ModelRouter {
    /// Builds a route for every model config of `doc`. Only aliases used by a column need a
    /// reachable backend; the others are skipped so that a recipe with a spare config runs.
    pub fn new(doc: &RecipeDocument, options: &RouterOptions) -> Result<Self> {
        let used: std::collections::HashSet<&str> = doc
            .recipe
            .columns()
            .iter()
            .filter_map(|c| c.llm_fields().map(|(alias, _, _)| alias))
            .collect();
        let providers = doc.recipe.model_providers();
        let mut routes = HashMap::new();
        for (i, config) in doc.recipe.model_configs().iter().enumerate() {
            if !used.contains(config.alias.as_str()) {
                continue;
            }
            let setup = |message: String| RecipeError::ProviderSetup {
                alias: config.alias.clone(),
                message,
            };
            let path = format!("recipe.model_configs[{i}].inference_parameters");
            let params = InferenceParams::parse(config.inference_parameters.as_ref(), &path)
                .map_err(RecipeError::Invalid)?;
            let provider = match &config.provider {
                Some(name) => providers.iter().find(|p| &p.name == name),
                None if providers.len() == 1 => providers.first(),
                None => None,
            };
            let is_local =
                provider.is_none_or(|p| p.provider_type.as_deref() == Some(LOCAL_PROVIDER_TYPE));
            let (model, default_parallel): (Arc<dyn ChatModel>, usize) = if is_local {
                let local = options.local.clone().ok_or_else(|| {
                    setup(
                        "it uses the local model and none is loaded (load one, or name an \
                         OpenAI-compatible provider)"
                            .to_string(),
                    )
                })?;
                // One engine decodes one request at a time; more would only queue.
                (local, 1)
            } else {
                let provider = provider.expect("a provider that is not local");
                let endpoint = endpoint(provider, options).map_err(setup)?;
                let model_name = config.model.clone().unwrap_or_default();
                let http = HttpModel::new(endpoint, model_name, &params, options.cancelled.clone())
                    .map_err(|e| setup(e.message))?;
                (Arc::new(http), DEFAULT_MAX_PARALLEL_REQUESTS)
            };
            let max_in_flight = params.max_parallel_requests.unwrap_or(default_parallel);
            routes.insert(
                config.alias.clone(),
                Route {
                    model,
                    params,
                    max_in_flight,
                },
            );
        }
        Ok(ModelRouter { routes })
    }

    /// Whether any column needs a model.
    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }
}

fn endpoint(
    provider: &ModelProvider,
    options: &RouterOptions,
) -> std::result::Result<Endpoint, String> {
    let base_url = provider
        .endpoint
        .clone()
        .filter(|e| !e.trim().is_empty())
        .ok_or_else(|| format!("provider `{}` has no endpoint", provider.name))?;
    if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
        return Err(format!(
            "provider `{}`: the endpoint must be an http:// or https:// URL",
            provider.name
        ));
    }
    let text = |key: &str| provider.extra.get(key).and_then(Value::as_str);
    let no_keychain = |_: &str| Err("no keychain is available here".to_string());
    let api_key = match &options.keychain {
        Some(lookup) => resolve_api_key(
            provider.api_key.as_deref(),
            text("api_key_env"),
            text("api_key_keychain"),
            lookup.as_ref(),
        ),
        None => resolve_api_key(
            provider.api_key.as_deref(),
            text("api_key_env"),
            text("api_key_keychain"),
            &no_keychain,
        ),
    }
    .map_err(|e| e.to_string())?;
    let extra_headers: BTreeMap<String, String> = provider
        .extra
        .get("extra_headers")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                .collect()
        })
        .unwrap_or_default();
    let extra_body = provider
        .extra
        .get("extra_body")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    Ok(Endpoint {
        base_url,
        api_key,
        extra_headers,
        extra_body,
    })
}

impl LlmProvider for ModelRouter {
    fn complete(&self, call: &LlmCall<'_>) -> std::result::Result<LlmReply, ProviderError> {
        let route = self.routes.get(call.model_alias).ok_or_else(|| {
            ProviderError::new(
                "recipe_missing_model_config",
                format!("no model is set up for the alias `{}`", call.model_alias),
            )
        })?;
        route.model.chat(
            call.system,
            call.prompt,
            &route.params,
            call.seed,
            call.response_schema,
        )
    }

    fn max_in_flight(&self, model_alias: &str) -> usize {
        self.routes
            .get(model_alias)
            .map(|r| r.max_in_flight)
            .unwrap_or(1)
    }
}
