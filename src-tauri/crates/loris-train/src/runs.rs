//! The run history in SQLite (migration 5): one row per run, one per step's metrics and per
//! evaluation, so the Train page can redraw any past run's curves.

use loris_core::Store;
use loris_core::time_fmt::now_rfc3339;
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use crate::error::{Result, TrainError};
use crate::trainer::StepMetrics;

fn db(e: rusqlite::Error) -> TrainError {
    TrainError::Store(e.to_string())
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RunRecord {
    pub id: String,
    pub job_id: Option<String>,
    pub model: String,
    pub dataset: String,
    pub output: String,
    pub config: serde_json::Value,
    pub state: String,
    pub total_steps: Option<usize>,
    pub last_step: usize,
    pub last_checkpoint: Option<String>,
    pub adapter: Option<String>,
    pub error: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct MetricRow {
    pub step: usize,
    pub kind: String,
    pub loss: f64,
    pub learning_rate: Option<f64>,
    pub grad_norm: Option<f64>,
    pub tokens_per_s: Option<f64>,
    pub elapsed_s: Option<f64>,
    pub memory_bytes: Option<u64>,
}

pub struct NewRun<'a> {
    pub id: &'a str,
    pub job_id: Option<&'a str>,
    pub model: &'a str,
    pub dataset: &'a str,
    pub output: &'a str,
    pub config: &'a serde_json::Value,
}

pub fn insert(store: &Store, run: &NewRun<'_>) -> Result<()> {
    let now = now_rfc3339();
    store
        .conn()
        .execute(
            "INSERT INTO train_runs(id, job_id, model, dataset, output, config, state, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'running', ?7, ?7)",
            params![run.id, run.job_id, run.model, run.dataset, run.output, run.config.to_string(), now],
        )
        .map_err(db)?;
    Ok(())
}

pub fn set_job(store: &Store, run_id: &str, job_id: &str) -> Result<()> {
    store
        .conn()
        .execute(
            "UPDATE train_runs SET job_id = ?2 WHERE id = ?1",
            params![run_id, job_id],
        )
        .map_err(db)?;
    Ok(())
}

pub fn record_step(store: &Store, run_id: &str, m: &StepMetrics) -> Result<()> {
    let conn = store.conn();
    conn.execute(
        "INSERT OR REPLACE INTO train_metrics(run_id, step, kind, loss, learning_rate, grad_norm, tokens_per_s, elapsed_s, memory_bytes)
         VALUES (?1, ?2, 'train', ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            run_id,
            m.step as i64,
            m.loss,
            m.learning_rate,
            m.grad_norm,
            m.tokens_per_s,
            m.elapsed_s,
            m.memory_bytes.map(|b| b as i64)
        ],
    )
    .map_err(db)?;
    conn.execute(
        "UPDATE train_runs SET last_step = ?2, total_steps = ?3, updated_at = ?4 WHERE id = ?1",
        params![run_id, m.step as i64, m.total_steps as i64, now_rfc3339()],
    )
    .map_err(db)?;
    Ok(())
}

pub fn record_eval(store: &Store, run_id: &str, step: usize, loss: f64) -> Result<()> {
    store
        .conn()
        .execute(
            "INSERT OR REPLACE INTO train_metrics(run_id, step, kind, loss) VALUES (?1, ?2, 'eval', ?3)",
            params![run_id, step as i64, loss],
        )
        .map_err(db)?;
    Ok(())
}

pub fn record_checkpoint(store: &Store, run_id: &str, path: &str) -> Result<()> {
    store
        .conn()
        .execute(
            "UPDATE train_runs SET last_checkpoint = ?2, updated_at = ?3 WHERE id = ?1",
            params![run_id, path, now_rfc3339()],
        )
        .map_err(db)?;
    Ok(())
}

pub fn finish(
    store: &Store,
    run_id: &str,
    state: &str,
    adapter: Option<&str>,
    error: Option<&str>,
) -> Result<()> {
    store
        .conn()
        .execute(
            "UPDATE train_runs SET state = ?2, adapter = COALESCE(?3, adapter), error = ?4, updated_at = ?5 WHERE id = ?1",
            params![run_id, state, adapter, error, now_rfc3339()],
        )
        .map_err(db)?;
    Ok(())
}

/// Runs left `running` by a process that ended without finishing them.
pub fn mark_interrupted(store: &Store) -> Result<usize> {
    store
        .conn()
        .execute(
            "UPDATE train_runs SET state = 'interrupted', updated_at = ?1 WHERE state = 'running'",
            params![now_rfc3339()],
        )
        .map_err(db)
}

pub fn get(store: &Store, id: &str) -> Result<Option<RunRecord>> {
    store
        .conn()
        .query_row(
            "SELECT id, job_id, model, dataset, output, config, state, total_steps, last_step,
                    last_checkpoint, adapter, error, created_at, updated_at
             FROM train_runs WHERE id = ?1",
            params![id],
            row_to_run,
        )
        .optional()
        .map_err(db)
}

pub fn list(store: &Store) -> Result<Vec<RunRecord>> {
    let conn = store.conn();
    let mut stmt = conn
        .prepare(
            "SELECT id, job_id, model, dataset, output, config, state, total_steps, last_step,
                    last_checkpoint, adapter, error, created_at, updated_at
             FROM train_runs ORDER BY created_at DESC",
        )
        .map_err(db)?;
    let rows = stmt.query_map([], row_to_run).map_err(db)?;
    rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db)
}

pub fn metrics(store: &Store, run_id: &str) -> Result<Vec<MetricRow>> {
    let conn = store.conn();
    let mut stmt = conn
        .prepare(
            "SELECT step, kind, loss, learning_rate, grad_norm, tokens_per_s, elapsed_s, memory_bytes
             FROM train_metrics WHERE run_id = ?1 ORDER BY kind DESC, step",
        )
        .map_err(db)?;
    let rows = stmt
        .query_map(params![run_id], |r| {
            Ok(MetricRow {
                step: r.get::<_, i64>(0)? as usize,
                kind: r.get(1)?,
                loss: r.get(2)?,
                learning_rate: r.get(3)?,
                grad_norm: r.get(4)?,
                tokens_per_s: r.get(5)?,
                elapsed_s: r.get(6)?,
                memory_bytes: r.get::<_, Option<i64>>(7)?.map(|b| b as u64),
            })
        })
        .map_err(db)?;
    rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db)
}

fn row_to_run(r: &rusqlite::Row<'_>) -> rusqlite::Result<RunRecord> {
    let config: String = r.get(5)?;
    Ok(RunRecord {
        id: r.get(0)?,
        job_id: r.get(1)?,
        model: r.get(2)?,
        dataset: r.get(3)?,
        output: r.get(4)?,
        config: serde_json::from_str(&config).unwrap_or(serde_json::Value::Null),
        state: r.get(6)?,
        total_steps: r.get::<_, Option<i64>>(7)?.map(|v| v as usize),
        last_step: r.get::<_, i64>(8)? as usize,
        last_checkpoint: r.get(9)?,
        adapter: r.get(10)?,
        error: r.get(11)?,
        created_at: r.get(12)?,
        updated_at: r.get(13)?,
    })
}
