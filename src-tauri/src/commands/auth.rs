//! Sign-in, first run, refresh, sign-out and password change. Only status, first run, login and
//! refresh work without a session.

use loris_auth::{AuthStatus, FirstRunCredentials, Session};
use loris_core::ApiError;
use tauri::State;

use crate::AppState;

/// Whether the app still needs its first-run set-up, and which secret store is in use.
#[tauri::command]
#[specta::specta]
pub fn auth_status(state: State<'_, AppState>) -> Result<AuthStatus, ApiError> {
    Ok(state.auth.status()?)
}

/// Creates the admin user and returns its generated passphrase, once.
#[tauri::command]
#[specta::specta]
pub async fn auth_first_run(state: State<'_, AppState>) -> Result<FirstRunCredentials, ApiError> {
    let auth = state.auth.clone();
    blocking(move || auth.first_run()).await
}

/// Argon2 hashing takes a moment, so the password commands run off the main thread.
#[tauri::command]
#[specta::specta]
pub async fn auth_login(
    state: State<'_, AppState>,
    username: String,
    password: String,
) -> Result<Session, ApiError> {
    let auth = state.auth.clone();
    blocking(move || auth.login(&username, &password)).await
}

#[tauri::command]
#[specta::specta]
pub fn auth_refresh(
    state: State<'_, AppState>,
    refresh_token: String,
) -> Result<Session, ApiError> {
    Ok(state.auth.refresh(&refresh_token)?)
}

#[tauri::command]
#[specta::specta]
pub fn auth_logout(state: State<'_, AppState>, access_token: String) -> Result<(), ApiError> {
    Ok(state.auth.logout(&access_token)?)
}

/// Allowed while a password change is pending (that is what the change screen is for).
#[tauri::command]
#[specta::specta]
pub async fn auth_change_password(
    state: State<'_, AppState>,
    access_token: String,
    old_password: String,
    new_password: String,
) -> Result<Session, ApiError> {
    let auth = state.auth.clone();
    blocking(move || auth.change_password(&access_token, &old_password, &new_password)).await
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> loris_auth::Result<T> + Send + 'static,
) -> Result<T, ApiError> {
    match tauri::async_runtime::spawn_blocking(work).await {
        Ok(result) => Ok(result?),
        Err(err) => Err(ApiError::new(
            "internal",
            format!("auth task failed: {err}"),
        )),
    }
}
