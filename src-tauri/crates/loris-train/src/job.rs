//! A training run as a job of the service layer's job manager: progress events every step
//! (step, total, loss, learning rate, grad norm, tokens/s, elapsed, ETA, memory), metrics in
//! the run history, checkpoints, and two ways to end early: stop-and-save (a checkpoint and the
//! adapter are written) or cancel (nothing more is written).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use loris_core::{JobContext, JobManager, Store};
use serde::Serialize;
use serde_json::json;

use crate::error::{Result, TrainError};
use crate::run::{RunSpec, build, write_outputs};
use crate::runs;
use crate::trainer::{Control, Outcome, TrainEvent};

/// The job kind in the jobs table.
pub const JOB_KIND: &str = "train";

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct StartedRun {
    pub run_id: String,
    pub job_id: String,
}

/// The stop-and-save switches of running training jobs.
#[derive(Default)]
pub struct TrainJobs {
    stops: Mutex<HashMap<String, Arc<AtomicBool>>>,
}

impl TrainJobs {
    /// Records the run and starts it as a job; the work runs on a blocking thread.
    pub fn start(
        self: &Arc<Self>,
        jobs: &Arc<JobManager>,
        store: &Arc<Store>,
        spec: RunSpec,
    ) -> Result<StartedRun> {
        spec.config.validate()?;
        let run_id = new_run_id();
        let config = serde_json::to_value(&spec.config)
            .map_err(|e| TrainError::InvalidConfig(e.to_string()))?;
        let path = |p: &std::path::Path| p.to_string_lossy().into_owned();
        runs::insert(
            store,
            &runs::NewRun {
                id: &run_id,
                job_id: None,
                model: &path(&spec.paths.model),
                dataset: &path(&spec.paths.dataset),
                output: &path(&spec.paths.output),
                config: &config,
            },
        )?;
        let params = json!({ "runId": run_id, "config": config });
        let stop = Arc::new(AtomicBool::new(false));
        let this = Arc::clone(self);
        let store_for_job = Arc::clone(store);
        let run_for_job = run_id.clone();
        let stop_for_job = Arc::clone(&stop);
        // Held across the spawn: a job that ends at once removes its switch only after it was
        // registered under its id, so no switch outlives its job.
        let mut stops = self.stops.lock().unwrap_or_else(|p| p.into_inner());
        let spawned = jobs.spawn(JOB_KIND, params, move |ctx| async move {
            let job_id = ctx.id().to_owned();
            let result = tokio::task::spawn_blocking(move || {
                run_job(&store_for_job, &run_for_job, &spec, &ctx, &stop_for_job)
            })
            .await;
            this.stops
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&job_id);
            match result {
                Ok(outcome) => outcome,
                Err(join) => Err(loris_core::Error::Internal(format!(
                    "training thread: {join}"
                ))),
            }
        });
        let handle = match spawned {
            Ok(h) => h,
            Err(e) => {
                drop(stops);
                runs::finish(store, &run_id, "failed", None, Some(&e.to_string()))?;
                return Err(TrainError::Store(e.to_string()));
            }
        };
        stops.insert(handle.id.clone(), stop);
        drop(stops);
        runs::set_job(store, &run_id, &handle.id)?;
        Ok(StartedRun {
            run_id,
            job_id: handle.id.clone(),
        })
    }

    /// Asks a running job to stop after its current step, saving a checkpoint and the adapter.
    /// `false` when no such job is running.
    pub fn stop_and_save(&self, job_id: &str) -> bool {
        match self
            .stops
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(job_id)
        {
            Some(flag) => {
                flag.store(true, Ordering::Relaxed);
                true
            }
            None => false,
        }
    }
}

fn new_run_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("run-{nanos:x}-{:x}", std::process::id())
}

/// The job's body, on a blocking thread: build, train, write, record.
fn run_job(
    store: &Store,
    run_id: &str,
    spec: &RunSpec,
    ctx: &JobContext,
    stop: &AtomicBool,
) -> loris_core::Result<serde_json::Value> {
    let fail = |e: TrainError| -> loris_core::Error {
        let _ = runs::finish(store, run_id, "failed", None, Some(&e.to_string()));
        loris_core::Error::Internal(format!("[{}] {e}", e.code()))
    };
    let mut trainer = build(spec).map_err(fail)?;
    let mut observe = |event: &TrainEvent| -> Control {
        let payload = match event {
            TrainEvent::Step(m) => {
                let _ = runs::record_step(store, run_id, m);
                json!({ "runId": run_id, "kind": "step", "metrics": m })
            }
            TrainEvent::Eval { step, loss } => {
                let _ = runs::record_eval(store, run_id, *step, *loss);
                json!({ "runId": run_id, "kind": "eval", "step": step, "loss": loss })
            }
            TrainEvent::Checkpoint { step, path } => {
                let _ = runs::record_checkpoint(store, run_id, &path.to_string_lossy());
                json!({ "runId": run_id, "kind": "checkpoint", "step": step, "path": path })
            }
        };
        let _ = ctx.progress(payload);
        if ctx.is_cancelled() {
            Control::Cancel
        } else if stop.load(Ordering::Relaxed) {
            Control::StopAndSave
        } else {
            Control::Continue
        }
    };
    let outcome = trainer.run(&mut observe).map_err(fail)?;
    let written = write_outputs(&trainer, spec, outcome).map_err(fail)?;
    let written = written.map(|p| p.to_string_lossy().into_owned());
    let state = match outcome {
        Outcome::Completed => "completed",
        Outcome::Stopped => "stopped",
        Outcome::Cancelled => "cancelled",
    };
    runs::finish(store, run_id, state, written.as_deref(), None).map_err(fail)?;
    if outcome == Outcome::Cancelled {
        return Err(loris_core::Error::Cancelled);
    }
    Ok(json!({ "runId": run_id, "state": state, "steps": trainer.step, "output": written }))
}
