use std::sync::Arc;

use loris_auth::{Auth, AuthUser};
use loris_core::ApiError;

use crate::commands::chat::Chat;
use crate::commands::hardware::HardwareWatch;
use crate::commands::server::LanApi;

/// What every command can reach: the one service layer and its auth.
pub struct AppState {
    pub service: Arc<loris_core::Service>,
    pub auth: Arc<Auth>,
    /// Live hardware samples, running while a page watches them.
    pub hardware_watch: HardwareWatch,
    /// The loaded models, shared with the LAN API.
    pub models: Arc<loris_infer::ModelRegistry>,
    /// The LAN API server, its settings and its keys.
    pub lan_api: Arc<LanApi>,
    /// Chat threads and the replies being written.
    pub chat: Arc<Chat>,
    /// The stop-and-save switches of running training jobs.
    pub train: Arc<loris_train::job::TrainJobs>,
    /// Data recipes: where their seeds and runs live, and the keychain for provider keys.
    pub recipes: Arc<crate::commands::recipes::Recipes>,
}

impl AppState {
    /// The check every guarded command starts with: a valid, unrevoked access token whose user
    /// has no pending password change. The decision is the service layer's (`Auth::authorize`),
    /// not the UI's.
    pub fn authorize(&self, access_token: &str) -> Result<AuthUser, ApiError> {
        Ok(self.auth.authorize(access_token)?)
    }
}
