use loris_core::{ApiError, AppInfo};
use tauri::State;

use crate::AppState;

/// Version, data dir, database and log paths, and a hardware summary.
#[tauri::command]
#[specta::specta]
pub fn app_info(state: State<'_, AppState>, access_token: String) -> Result<AppInfo, ApiError> {
    state.authorize(&access_token)?;
    Ok(state.service.info())
}
