use std::sync::Arc;

/// What every command can reach: the one service layer.
pub struct AppState {
    pub service: Arc<loris_core::Service>,
}
