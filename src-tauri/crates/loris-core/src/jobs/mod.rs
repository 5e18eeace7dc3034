//! Long work as jobs: a record in SQLite, a cancellation token, progress events on the bus,
//! and a clear final state. Jobs found `queued` or `running` when the service opens were cut
//! short by a crash or a kill; they are marked `interrupted`.

mod record;

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use rusqlite::params;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::error::{Error, Result};
use crate::events::{AppEvent, EventBus};
use crate::store::Store;
use crate::time_fmt::now_rfc3339;

pub use record::{JobRecord, JobState};

/// Event kinds published by the job manager.
pub mod event_kind {
    pub const CREATED: &str = "job.created";
    pub const PROGRESS: &str = "job.progress";
    pub const FINISHED: &str = "job.finished";
}

pub struct JobManager {
    store: Arc<Store>,
    bus: Arc<EventBus>,
    tokens: Mutex<HashMap<String, CancellationToken>>,
}

/// What a running job can see: its id, its cancellation token, and a way to report progress.
#[derive(Clone)]
pub struct JobContext {
    id: String,
    token: CancellationToken,
    bus: Arc<EventBus>,
}

impl JobContext {
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Publishes a progress event for this job.
    pub fn progress(&self, payload: serde_json::Value) -> Result<AppEvent> {
        self.bus
            .publish(Some(&self.id), event_kind::PROGRESS, payload)
    }

    pub fn is_cancelled(&self) -> bool {
        self.token.is_cancelled()
    }

    /// `Err(Cancelled)` once cancellation was requested; call it between units of work.
    pub fn check_cancelled(&self) -> Result<()> {
        if self.token.is_cancelled() {
            Err(Error::Cancelled)
        } else {
            Ok(())
        }
    }

    /// Resolves when cancellation is requested (for `tokio::select!`).
    pub fn cancellation(&self) -> CancellationToken {
        self.token.clone()
    }
}

/// A started job; `wait` returns its final record.
pub struct JobHandle {
    pub id: String,
    join: tokio::task::JoinHandle<()>,
    manager: Arc<JobManager>,
}

impl JobHandle {
    pub async fn wait(self) -> Result<JobRecord> {
        self.join
            .await
            .map_err(|e| Error::Internal(format!("job task failed: {e}")))?;
        self.manager.get(&self.id)
    }
}

impl JobManager {
    pub fn new(store: Arc<Store>, bus: Arc<EventBus>) -> Self {
        JobManager {
            store,
            bus,
            tokens: Mutex::new(HashMap::new()),
        }
    }

    /// Marks every job left `queued` or `running` by an earlier process as `interrupted`, and
    /// publishes a finished event for each. Returns their ids.
    pub fn mark_interrupted(&self) -> Result<Vec<String>> {
        let now = now_rfc3339();
        let ids: Vec<String> = self.store.transaction(|tx| {
            let ids = {
                let mut stmt = tx.prepare("SELECT id FROM jobs WHERE state IN ('queued', 'running') ORDER BY created_at")?;
                stmt.query_map([], |row| row.get(0))?.collect::<rusqlite::Result<Vec<String>>>()?
            };
            tx.execute(
                "UPDATE jobs SET state = 'interrupted', error = 'the application stopped while this job was running',
                 updated_at = ?1 WHERE state IN ('queued', 'running')",
                [&now],
            )?;
            Ok(ids)
        })?;
        for id in &ids {
            tracing::warn!(job = %id, "job was interrupted by an earlier shutdown");
            self.bus.publish(
                Some(id),
                event_kind::FINISHED,
                serde_json::json!({ "state": JobState::Interrupted }),
            )?;
        }
        Ok(ids)
    }

    /// Records a job and runs `work` on the tokio runtime. The job's final state follows from
    /// what `work` returns: `Ok` → completed, `Err(Cancelled)` → cancelled, any other error →
    /// failed with its message.
    pub fn spawn<F, Fut>(
        self: &Arc<Self>,
        kind: &str,
        params: serde_json::Value,
        work: F,
    ) -> Result<JobHandle>
    where
        F: FnOnce(JobContext) -> Fut + Send + 'static,
        Fut: Future<Output = Result<serde_json::Value>> + Send + 'static,
    {
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|_| Error::Internal("jobs need a tokio runtime".into()))?;
        if kind.trim().is_empty() {
            return Err(Error::invalid("kind", "a job kind cannot be empty"));
        }
        let id = uuid::Uuid::new_v4().to_string();
        let now = now_rfc3339();
        self.store.conn().execute(
            "INSERT INTO jobs(id, kind, state, params, created_at, updated_at) VALUES (?1, ?2, 'running', ?3, ?4, ?4)",
            params![id, kind, params.to_string(), now],
        )?;
        self.bus.publish(
            Some(&id),
            event_kind::CREATED,
            serde_json::json!({ "kind": kind, "params": params }),
        )?;

        let token = CancellationToken::new();
        self.tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id.clone(), token.clone());
        let ctx = JobContext {
            id: id.clone(),
            token,
            bus: Arc::clone(&self.bus),
        };
        let manager = Arc::clone(self);
        let job_id = id.clone();
        let span = tracing::info_span!("job", id = %job_id, kind = %kind);
        let join = runtime.spawn(
            async move {
                let outcome = work(ctx).await;
                if let Err(err) = manager.finish(&job_id, outcome) {
                    tracing::error!(job = %job_id, error = %err, "could not record the end of a job");
                }
            }
            .instrument(span),
        );
        Ok(JobHandle {
            id,
            join,
            manager: Arc::clone(self),
        })
    }

    fn finish(&self, id: &str, outcome: Result<serde_json::Value>) -> Result<()> {
        self.tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(id);
        let (state, result, error) = match outcome {
            Ok(value) => (JobState::Completed, Some(value), None),
            Err(Error::Cancelled) => (JobState::Cancelled, None, None),
            Err(err) => (JobState::Failed, None, Some(err.to_string())),
        };
        tracing::info!(job = %id, state = state.as_str(), "job finished");
        self.store.conn().execute(
            "UPDATE jobs SET state = ?2, result = ?3, error = ?4, updated_at = ?5 WHERE id = ?1",
            params![
                id,
                state.as_str(),
                result.as_ref().map(|v| v.to_string()),
                error,
                now_rfc3339()
            ],
        )?;
        self.bus.publish(
            Some(id),
            event_kind::FINISHED,
            serde_json::json!({ "state": state, "error": error }),
        )?;
        Ok(())
    }

    /// Asks a running job to stop; it ends as `cancelled` when it notices.
    pub fn cancel(&self, id: &str) -> Result<()> {
        let token = self
            .tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
            .cloned();
        match token {
            Some(token) => {
                token.cancel();
                Ok(())
            }
            None => {
                let record = self.get(id)?;
                Err(Error::JobFinished {
                    id: id.to_owned(),
                    state: record.state.as_str().to_owned(),
                })
            }
        }
    }

    pub fn get(&self, id: &str) -> Result<JobRecord> {
        let conn = self.store.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT {} FROM jobs WHERE id = ?1",
            record::COLUMNS
        ))?;
        let mut rows = stmt.query_map([id], record::from_row)?;
        match rows.next() {
            Some(row) => row?,
            None => Err(Error::NotFound {
                kind: "job",
                id: id.to_owned(),
            }),
        }
    }

    /// All jobs, newest first.
    pub fn list(&self) -> Result<Vec<JobRecord>> {
        let conn = self.store.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT {} FROM jobs ORDER BY created_at DESC, rowid DESC",
            record::COLUMNS
        ))?;
        let rows = stmt.query_map([], record::from_row)?;
        rows.map(|row| row?).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manager() -> Arc<JobManager> {
        let store = Arc::new(Store::open_in_memory().unwrap());
        let bus = Arc::new(EventBus::new(Arc::clone(&store)));
        Arc::new(JobManager::new(store, bus))
    }

    #[tokio::test]
    async fn completed_job_keeps_its_result_and_progress() {
        let jobs = manager();
        let handle = jobs
            .spawn("test", serde_json::json!({"n": 2}), |ctx| async move {
                ctx.progress(serde_json::json!({"step": 1}))?;
                ctx.progress(serde_json::json!({"step": 2}))?;
                Ok(serde_json::json!("done"))
            })
            .unwrap();
        let id = handle.id.clone();
        let record = handle.wait().await.unwrap();
        assert_eq!(record.state, JobState::Completed);
        assert_eq!(record.result, Some(serde_json::json!("done")));
        let kinds: Vec<String> = jobs
            .bus
            .since(0, Some(&id), 100)
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(
            kinds,
            [
                "job.created",
                "job.progress",
                "job.progress",
                "job.finished"
            ]
        );
    }

    #[tokio::test]
    async fn failed_job_records_its_reason() {
        let jobs = manager();
        let handle = jobs
            .spawn("test", serde_json::json!({}), |_| async move {
                Err(Error::invalid("dataset", "empty file"))
            })
            .unwrap();
        let record = handle.wait().await.unwrap();
        assert_eq!(record.state, JobState::Failed);
        assert_eq!(record.error.as_deref(), Some("invalid dataset: empty file"));
    }

    #[tokio::test]
    async fn cancel_stops_a_running_job() {
        let jobs = manager();
        let handle = jobs
            .spawn("test", serde_json::json!({}), |ctx| async move {
                ctx.cancellation().cancelled().await;
                ctx.check_cancelled()?;
                Ok(serde_json::Value::Null)
            })
            .unwrap();
        jobs.cancel(&handle.id).unwrap();
        let id = handle.id.clone();
        assert_eq!(handle.wait().await.unwrap().state, JobState::Cancelled);
        assert_eq!(jobs.cancel(&id).unwrap_err().code(), "job_finished");
        assert_eq!(jobs.cancel("nope").unwrap_err().code(), "not_found");
    }

    #[tokio::test]
    async fn running_jobs_are_marked_interrupted_on_restart() {
        let store = Arc::new(Store::open_in_memory().unwrap());
        let bus = Arc::new(EventBus::new(Arc::clone(&store)));
        store
            .conn()
            .execute(
                "INSERT INTO jobs(id, kind, state, params, created_at, updated_at) VALUES ('j1', 't', 'running', '{}', 'a', 'a')",
                [],
            )
            .unwrap();
        let jobs = JobManager::new(Arc::clone(&store), bus);
        assert_eq!(jobs.mark_interrupted().unwrap(), ["j1"]);
        assert_eq!(jobs.get("j1").unwrap().state, JobState::Interrupted);
        assert!(jobs.mark_interrupted().unwrap().is_empty());
    }
}
