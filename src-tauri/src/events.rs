//! Forwards the service's event bus to the webview as `app-event-message` events, and the model
//! registry's events as `model-event-message` events.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tauri_specta::Event;

use crate::commands::models::{ModelEventMessage, ModelEventPayload};

/// One event of the service's bus, as the webview receives it. The UI keeps the last `seq` it
/// saw and calls `events_since` after a reload to replay what it missed.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct AppEventMessage(pub loris_core::AppEvent);

/// Forwards the model registry's load, progress and unload events. A bridge that falls behind
/// loses progress steps only: the page re-reads `models_loaded` on `loaded` and `unloaded`.
pub fn bridge_models(app: tauri::AppHandle, registry: Arc<loris_infer::ModelRegistry>) {
    tauri::async_runtime::spawn(async move {
        let mut live = registry.subscribe();
        loop {
            match live.recv().await {
                Ok(event) => {
                    let message = ModelEventMessage(ModelEventPayload::from(event));
                    if let Err(err) = message.emit(&app) {
                        tracing::warn!(error = %err, "could not forward a model event to the webview");
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "model event bridge fell behind");
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            }
        }
    });
}

pub fn bridge(app: tauri::AppHandle, service: Arc<loris_core::Service>) {
    tauri::async_runtime::spawn(async move {
        let mut live = service.events().subscribe();
        loop {
            match live.recv().await {
                Ok(event) => {
                    if let Err(err) = AppEventMessage(event).emit(&app) {
                        tracing::warn!(error = %err, "could not forward an event to the webview");
                    }
                }
                // The webview replays from the store with events_since; nothing is lost.
                Err(tokio::sync::broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "event bridge fell behind");
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            }
        }
    });
}
