use loris_core::{ApiError, AppInfo};
use tauri::State;

use crate::AppState;

/// Version, data dir, database and log paths, and a hardware summary.
#[tauri::command]
#[specta::specta]
pub fn app_info(state: State<'_, AppState>) -> Result<AppInfo, ApiError> {
    Ok(state.service.info())
}
