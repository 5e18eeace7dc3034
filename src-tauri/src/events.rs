//! Forwards the service's event bus to the webview as `app-event-message` events.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tauri_specta::Event;

/// One event of the service's bus, as the webview receives it. The UI keeps the last `seq` it
/// saw and calls `events_since` after a reload to replay what it missed.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct AppEventMessage(pub loris_core::AppEvent);

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
