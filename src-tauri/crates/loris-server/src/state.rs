//! What every handler shares.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use loris_infer::{Engine, ModelRegistry, RequestHandle};

use crate::error::{ApiError, ErrorKind};
use crate::guard::HostCheck;
use crate::keys::KeyCheck;
use crate::request_log::RequestLog;

pub(crate) struct AppState {
    pub registry: Arc<ModelRegistry>,
    pub keys: Option<Arc<dyn KeyCheck>>,
    pub hosts: HostCheck,
    pub origins: Vec<String>,
    pub log: Arc<RequestLog>,
    /// Requests handed to an engine since start (tests check refused requests never count).
    pub submitted: AtomicU64,
}

impl AppState {
    /// The engine serving `model`; `model_not_found` (404) names the loaded ones.
    pub fn engine(&self, model: &str) -> Result<Arc<Engine>, ApiError> {
        self.registry.get(model).map_err(|e| match e {
            loris_infer::InferError::ModelNotLoaded(_) => {
                let loaded: Vec<String> = self.registry.list().into_iter().map(|m| m.id).collect();
                let mut err = ApiError::new(
                    ErrorKind::NotFound,
                    "model_not_found",
                    format!(
                        "model: '{model}' is not loaded (loaded: {})",
                        if loaded.is_empty() {
                            "none".to_owned()
                        } else {
                            loaded.join(", ")
                        }
                    ),
                );
                err.param = Some("model".into());
                err
            }
            other => ApiError::from(other),
        })
    }

    /// Hands a request to the engine's queue; a full queue is `overloaded` at once.
    pub fn submit(
        &self,
        engine: &Engine,
        request: loris_infer::GenerateRequest,
    ) -> Result<RequestHandle, ApiError> {
        let handle = engine.submit(request)?;
        self.submitted.fetch_add(1, Ordering::SeqCst);
        Ok(handle)
    }
}
