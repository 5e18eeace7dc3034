//! Every route, in one table: what the server answers and which handler does it.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::error::{ApiError, ErrorKind, Flavor};
use crate::state::AppState;
use crate::{anthropic, guard, openai};

pub(crate) fn router(state: Arc<AppState>) -> Router {
    let routes = Router::new()
        .route("/health", get(health))
        // OpenAI
        .route("/v1/models", get(openai::models::list))
        .route("/v1/models/{*id}", get(openai::models::get))
        .route("/v1/chat/completions", post(openai::chat::handle))
        .route("/v1/completions", post(openai::completions::handle))
        // Anthropic
        .route("/v1/messages", post(anthropic::messages::handle))
        .route(
            "/v1/messages/count_tokens",
            post(anthropic::messages::count_tokens),
        )
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(
            Arc::clone(&state),
            guard::guard,
        ));
    let routes = match cors(&state.origins) {
        Some(cors) => routes.layer(cors),
        None => routes,
    };
    routes.with_state(state)
}

/// CORS stays closed (no `Access-Control-Allow-*` headers) unless origins are allowed.
fn cors(origins: &[String]) -> Option<CorsLayer> {
    let values: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    if values.is_empty() {
        return None;
    }
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(values))
            .allow_methods([Method::GET, Method::POST])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::HeaderName::from_static("x-api-key"),
                header::HeaderName::from_static("anthropic-version"),
                header::HeaderName::from_static("anthropic-beta"),
            ]),
    )
}

async fn health(State(state): State<Arc<AppState>>) -> Response {
    let models: Vec<String> = state.registry.list().into_iter().map(|m| m.id).collect();
    axum::Json(json!({ "status": "ok", "models": models })).into_response()
}

async fn not_found(request: Request) -> Response {
    let path = request.uri().path().to_owned();
    ApiError::new(
        ErrorKind::NotFound,
        "not_found",
        format!("no route for {} {path}", request.method()),
    )
    .into_response(Flavor::for_path(&path))
}
