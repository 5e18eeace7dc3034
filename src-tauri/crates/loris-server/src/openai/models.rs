//! `GET /v1/models` and `GET /v1/models/{id}`: the loaded models.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use loris_infer::ModelInfo;
use serde_json::{Value, json};

use crate::error::{ApiError, ErrorKind, Flavor};
use crate::state::AppState;

/// Local model files have no creation time on the wire: `created` is 0.
fn model_json(id: &str, info: &ModelInfo) -> Value {
    json!({
        "id": id,
        "object": "model",
        "created": 0,
        "owned_by": "loris",
        // Ours, for clients that show it (OpenAI's SDK keeps unknown fields).
        "context_length": info.context_length,
        "architecture": info.architecture,
        "quantization": info.quantization,
    })
}

pub(crate) async fn list(State(state): State<Arc<AppState>>) -> Response {
    let data: Vec<Value> = state
        .registry
        .list()
        .iter()
        .map(|m| model_json(&m.id, &m.info))
        .collect();
    Json(json!({ "object": "list", "data": data })).into_response()
}

pub(crate) async fn get(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> Response {
    match state.registry.list().into_iter().find(|m| m.id == id) {
        Some(m) => Json(model_json(&m.id, &m.info)).into_response(),
        None => ApiError::new(
            ErrorKind::NotFound,
            "model_not_found",
            format!("model: '{id}' is not loaded"),
        )
        .into_response(Flavor::OpenAi),
    }
}
