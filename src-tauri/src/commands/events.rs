use loris_core::{ApiError, AppEvent};
use serde::Deserialize;
use tauri::State;

use crate::AppState;

/// The most events one call replays; the UI asks again from the last `seq` it got.
const REPLAY_PAGE: usize = 1000;

/// An event sequence number as the webview sends it (a JavaScript number).
#[derive(Debug, Clone, Copy, Deserialize, specta::Type)]
#[serde(transparent)]
pub struct EventSeq(#[specta(type = specta_typescript::Number)] i64);

/// Stored events after `after_seq`, for a webview that reconnects.
#[tauri::command]
#[specta::specta]
pub fn events_since(
    state: State<'_, AppState>,
    access_token: String,
    after_seq: EventSeq,
) -> Result<Vec<AppEvent>, ApiError> {
    state.authorize(&access_token)?;
    if after_seq.0 < 0 {
        return Err(loris_core::Error::invalid("afterSeq", "must be at least 0").into());
    }
    Ok(state
        .service
        .events()
        .since(after_seq.0, None, REPLAY_PAGE)?)
}
