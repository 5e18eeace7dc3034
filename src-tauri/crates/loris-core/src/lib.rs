//! The Loris Studio service layer.
//!
//! Everything a front door (the Tauri app, the `loris` CLI, the LAN API) needs is reached through
//! [`Service`]; none of it depends on Tauri, so it builds and tests headless.

pub mod error;
pub mod events;
pub mod hardware;
pub mod jobs;
pub mod json_type;
pub mod logging;
pub mod paths;
pub mod service;
pub mod store;
pub mod time_fmt;

pub use error::{ApiError, Error, Result};
pub use events::{AppEvent, EventBus};
pub use jobs::{JobContext, JobManager, JobRecord, JobState};
pub use paths::DataDir;
pub use service::{AppInfo, Service};
pub use store::Store;

/// The version of the application, shared by every front door.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
