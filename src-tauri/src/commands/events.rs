use loris_core::{ApiError, AppEvent};
use tauri::State;

use crate::AppState;

/// The most events one call replays; the UI asks again from the last `seq` it got.
const REPLAY_PAGE: usize = 1000;

/// Stored events after `after_seq`, for a webview that reconnects.
#[tauri::command]
#[specta::specta]
pub fn events_since(state: State<'_, AppState>, after_seq: i64) -> Result<Vec<AppEvent>, ApiError> {
    Ok(state.service.events().since(after_seq, None, REPLAY_PAGE)?)
}
