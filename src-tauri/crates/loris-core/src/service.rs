//! The application service: the one object every front door holds.

use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::events::EventBus;
use crate::hardware::{self, HardwareSummary};
use crate::jobs::JobManager;
use crate::logging;
use crate::paths::DataDir;
use crate::store::Store;

pub struct Service {
    data_dir: DataDir,
    store: Arc<Store>,
    bus: Arc<EventBus>,
    jobs: Arc<JobManager>,
}

#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    pub version: String,
    pub data_dir: PathBuf,
    pub database_path: PathBuf,
    pub log_dir: PathBuf,
    pub log_file: PathBuf,
    pub hardware: HardwareSummary,
}

impl Service {
    /// Opens the data dir: creates it if needed, migrates the database, and marks jobs that an
    /// earlier process left running as interrupted.
    pub fn open(data_dir: DataDir) -> Result<Self> {
        data_dir.ensure()?;
        let store = Arc::new(Store::open(&data_dir.database_path())?);
        let bus = Arc::new(EventBus::new(Arc::clone(&store)));
        let jobs = Arc::new(JobManager::new(Arc::clone(&store), Arc::clone(&bus)));
        jobs.mark_interrupted()?;
        tracing::info!(data_dir = %data_dir.root().display(), "service opened");
        Ok(Service {
            data_dir,
            store,
            bus,
            jobs,
        })
    }

    pub fn data_dir(&self) -> &DataDir {
        &self.data_dir
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    pub fn events(&self) -> &Arc<EventBus> {
        &self.bus
    }

    pub fn jobs(&self) -> &Arc<JobManager> {
        &self.jobs
    }

    pub fn info(&self) -> AppInfo {
        let log_dir = self.data_dir.log_dir();
        AppInfo {
            version: crate::VERSION.to_owned(),
            data_dir: self.data_dir.root().to_path_buf(),
            database_path: self.data_dir.database_path(),
            log_file: logging::current_log_file(&log_dir),
            log_dir,
            hardware: hardware::summary(),
        }
    }
}
