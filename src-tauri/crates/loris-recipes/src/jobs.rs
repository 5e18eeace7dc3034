//! Full runs as jobs of the app: a `recipe_runs` record, a job on the job manager (progress
//! events with sequence numbers, cancel, a final state), and resume of a run that a crash or a
//! cancel cut short.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use loris_core::Store;
use loris_core::jobs::{JobContext, JobManager};
use loris_core::time_fmt::now_rfc3339;
use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use serde_json::json;

use crate::error::{RecipeError, Result};
use crate::providers::{ModelRouter, RouterOptions};
use crate::run::{RunEvent, RunInputs, RunOptions, run_full};
use crate::seeds::load_recipe_seed;
use crate::store::get_recipe;

pub const JOB_KIND: &str = "recipe.run";

/// A `recipe_runs` row.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecipeRun {
    pub id: String,
    pub recipe_id: String,
    pub kind: String,
    /// running | completed | cancelled | failed | interrupted
    pub state: String,
    pub rows_done: u64,
    pub output: Option<String>,
    pub error: Option<String>,
    pub job_id: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// What a run needs besides the stored recipe.
#[derive(Clone)]
pub struct RunEnvironment {
    /// Where run folders are created (`<runs_dir>/<run id>`).
    pub runs_dir: PathBuf,
    /// Where relative seed paths are read from.
    pub seed_dir: PathBuf,
    /// Providers: the loaded model and the keychain.
    pub router: RouterOptions,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StartedRecipeRun {
    pub run_id: String,
    pub job_id: String,
    pub output: String,
}

/// Starts a full run of a stored recipe.
pub fn start_run(
    jobs: &Arc<JobManager>,
    store: &Arc<Store>,
    env: &RunEnvironment,
    recipe_id: &str,
    options: RunOptions,
) -> Result<StartedRecipeRun> {
    get_recipe(store, recipe_id)?;
    let run_id = format!("rrun-{}", uuid::Uuid::new_v4().simple());
    let output = env.runs_dir.join(&run_id);
    let now = now_rfc3339();
    let settings = serde_json::to_string(&options).unwrap_or_default();
    store.conn().execute(
        "INSERT INTO recipe_runs (id, recipe_id, kind, state, rows_done, output, settings,
             created_at, updated_at)
         VALUES (?1, ?2, 'full', 'running', 0, ?3, ?4, ?5, ?5)",
        params![run_id, recipe_id, output.to_string_lossy(), settings, now],
    )?;
    spawn(jobs, store, env, &run_id, recipe_id, options, output)
}

/// Resumes a run that did not complete, in its own folder, from its last written batch.
pub fn resume_run(
    jobs: &Arc<JobManager>,
    store: &Arc<Store>,
    env: &RunEnvironment,
    run_id: &str,
) -> Result<StartedRecipeRun> {
    let run = get_run(store, run_id)?;
    if run.state == "running" || run.state == "completed" {
        return Err(RecipeError::InvalidOption {
            field: "run",
            reason: format!("the run is {}; only a stopped run resumes", run.state),
        });
    }
    let settings: Option<String> = store
        .conn()
        .query_row(
            "SELECT settings FROM recipe_runs WHERE id = ?1",
            [run_id],
            |r| r.get(0),
        )
        .optional()?
        .flatten();
    let options: RunOptions = settings
        .as_deref()
        .and_then(|s| serde_json::from_str(s).ok())
        .ok_or_else(|| RecipeError::RunDamaged {
            path: run_id.to_string(),
            reason: "the run's settings were not recorded".to_string(),
        })?;
    let output = PathBuf::from(run.output.unwrap_or_default());
    set_state(store, run_id, "running", None)?;
    spawn(jobs, store, env, run_id, &run.recipe_id, options, output)
}

fn spawn(
    jobs: &Arc<JobManager>,
    store: &Arc<Store>,
    env: &RunEnvironment,
    run_id: &str,
    recipe_id: &str,
    options: RunOptions,
    output: PathBuf,
) -> Result<StartedRecipeRun> {
    let params = json!({ "runId": run_id, "recipeId": recipe_id, "rows": options.rows });
    let (store_for_job, env_for_job) = (Arc::clone(store), env.clone());
    let (run_for_job, recipe_for_job, output_for_job) =
        (run_id.to_string(), recipe_id.to_string(), output.clone());
    let spawned = jobs.spawn(JOB_KIND, params, move |ctx| async move {
        let cancelled = Arc::new(AtomicBool::new(false));
        let watcher = {
            let (token, flag) = (ctx.cancellation(), Arc::clone(&cancelled));
            tokio::spawn(async move {
                token.cancelled().await;
                flag.store(true, Ordering::SeqCst);
            })
        };
        let result = tokio::task::spawn_blocking(move || {
            run_job(
                &store_for_job,
                &env_for_job,
                &run_for_job,
                &recipe_for_job,
                &options,
                &output_for_job,
                &ctx,
                cancelled,
            )
        })
        .await;
        watcher.abort();
        match result {
            Ok(outcome) => outcome,
            Err(join) => Err(loris_core::Error::Internal(format!(
                "recipe run thread: {join}"
            ))),
        }
    });
    let handle = match spawned {
        Ok(handle) => handle,
        Err(err) => {
            set_state(store, run_id, "failed", Some(&err.to_string()))?;
            return Err(RecipeError::Store(err));
        }
    };
    store.conn().execute(
        "UPDATE recipe_runs SET job_id = ?2 WHERE id = ?1",
        params![run_id, handle.id],
    )?;
    Ok(StartedRecipeRun {
        run_id: run_id.to_string(),
        job_id: handle.id.clone(),
        output: output.to_string_lossy().into_owned(),
    })
}

#[allow(clippy::too_many_arguments)]
fn run_job(
    store: &Store,
    env: &RunEnvironment,
    run_id: &str,
    recipe_id: &str,
    options: &RunOptions,
    output: &Path,
    ctx: &JobContext,
    cancelled: Arc<AtomicBool>,
) -> loris_core::Result<serde_json::Value> {
    let outcome = (|| -> Result<crate::run::RunSummary> {
        let doc = get_recipe(store, recipe_id)?.document()?;
        let seed = load_recipe_seed(&doc, &env.seed_dir, options.seed)?;
        let mut router_options = env.router.clone();
        router_options.cancelled = Arc::clone(&cancelled);
        let router = ModelRouter::new(&doc, &router_options)?;
        let inputs = RunInputs {
            doc: &doc,
            options,
            llm: Some(&router),
            seed_rows: seed.as_ref().map(|s| s as &dyn crate::generate::SeedRows),
        };
        let on_event = |event: RunEvent| {
            if let RunEvent::Batch { rows_done, .. } = &event {
                let _ = store.conn().execute(
                    "UPDATE recipe_runs SET rows_done = ?2, updated_at = ?3 WHERE id = ?1",
                    params![run_id, *rows_done as i64, now_rfc3339()],
                );
            }
            let _ = ctx.progress(json!({ "runId": run_id, "event": event }));
        };
        run_full(&inputs, output, &cancelled, &on_event)
    })();
    match outcome {
        Ok(summary) => {
            let _ = store.conn().execute(
                "UPDATE recipe_runs SET state = 'completed', rows_done = ?2, error = NULL,
                     updated_at = ?3 WHERE id = ?1",
                params![run_id, summary.rows_written as i64, now_rfc3339()],
            );
            Ok(serde_json::to_value(&summary).unwrap_or_default())
        }
        Err(RecipeError::Cancelled) => {
            let _ = set_state(store, run_id, "cancelled", None);
            Err(loris_core::Error::Cancelled)
        }
        Err(err) => {
            let _ = set_state(store, run_id, "failed", Some(&err.to_string()));
            Err(loris_core::Error::Internal(format!(
                "[{}] {err}",
                err.code()
            )))
        }
    }
}

fn set_state(store: &Store, run_id: &str, state: &str, error: Option<&str>) -> Result<()> {
    store.conn().execute(
        "UPDATE recipe_runs SET state = ?2, error = ?3, updated_at = ?4 WHERE id = ?1",
        params![run_id, state, error, now_rfc3339()],
    )?;
    Ok(())
}

/// Runs left `running` by a crash or a kill become `interrupted` (and can be resumed). Call
/// once when the service opens.
pub fn mark_interrupted_runs(store: &Store) -> Result<usize> {
    Ok(store.conn().execute(
        "UPDATE recipe_runs SET state = 'interrupted', updated_at = ?1 WHERE state = 'running'",
        [now_rfc3339()],
    )?)
}

pub fn get_run(store: &Store, run_id: &str) -> Result<RecipeRun> {
    store
        .conn()
        .query_row(&format!("{SELECT_RUN} WHERE id = ?1"), [run_id], read_run)
        .optional()?
        .ok_or_else(|| RecipeError::NotFound {
            id: run_id.to_string(),
        })
}

/// A recipe's runs, newest first.
pub fn list_runs(store: &Store, recipe_id: &str) -> Result<Vec<RecipeRun>> {
    let conn = store.conn();
    let mut stmt = conn.prepare(&format!(
        "{SELECT_RUN} WHERE recipe_id = ?1 ORDER BY created_at DESC, id"
    ))?;
    let rows = stmt.query_map([recipe_id], read_run)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

const SELECT_RUN: &str = "SELECT id, recipe_id, kind, state, rows_done, output, error, job_id,
    created_at, updated_at FROM recipe_runs";

fn read_run(r: &rusqlite::Row<'_>) -> rusqlite::Result<RecipeRun> {
    Ok(RecipeRun {
        id: r.get(0)?,
        recipe_id: r.get(1)?,
        kind: r.get(2)?,
        state: r.get(3)?,
        rows_done: r.get::<_, i64>(4)? as u64,
        output: r.get(5)?,
        error: r.get(6)?,
        job_id: r.get(7)?,
        created_at: r.get(8)?,
        updated_at: r.get(9)?,
    })
}
