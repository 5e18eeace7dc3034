use loris_core::{ApiError, JobRecord};
use tauri::State;

use crate::AppState;

/// Every job, newest first.
#[tauri::command]
#[specta::specta]
pub fn jobs_list(
    state: State<'_, AppState>,
    access_token: String,
) -> Result<Vec<JobRecord>, ApiError> {
    state.authorize(&access_token)?;
    Ok(state.service.jobs().list()?)
}

/// Asks a running job to stop.
#[tauri::command]
#[specta::specta]
pub fn job_cancel(
    state: State<'_, AppState>,
    access_token: String,
    id: String,
) -> Result<(), ApiError> {
    state.authorize(&access_token)?;
    Ok(state.service.jobs().cancel(&id)?)
}
