//! The loaded models, by id: each one an [`Engine`] (its own thread and queue). Loading,
//! progress, success, failure and unloading are broadcast as [`ModelEvent`]s for the UI, the
//! LAN API and the CLI.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::Serialize;
use tokio::sync::broadcast;

use crate::engine::{Engine, EngineOptions};
use crate::error::{InferError, Result};
use crate::loader::{LoadOptions, ModelInfo, load, weight_bytes};
use crate::progress;

/// Events a subscriber that falls behind by this many loses (it can re-read [`ModelRegistry::list`]).
const EVENT_BUFFER: usize = 256;

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ModelEvent {
    Loading {
        id: String,
        path: PathBuf,
    },
    /// Fraction of the weights read, 0 to 1 (sent as it grows by at least a hundredth).
    Progress {
        id: String,
        fraction: f32,
    },
    Loaded {
        id: String,
        info: Box<ModelInfo>,
    },
    LoadFailed {
        id: String,
        code: String,
        message: String,
    },
    Unloaded {
        id: String,
    },
}

/// A model that is ready to serve.
#[derive(Debug, Clone, Serialize)]
pub struct LoadedEntry {
    pub id: String,
    pub info: ModelInfo,
}

enum Slot {
    Loading,
    Ready(Arc<Engine>),
}

pub struct ModelRegistry {
    slots: Mutex<HashMap<String, Slot>>,
    events: broadcast::Sender<ModelEvent>,
    engine_options: EngineOptions,
}

impl ModelRegistry {
    pub fn new(engine_options: EngineOptions) -> Self {
        ModelRegistry {
            slots: Mutex::new(HashMap::new()),
            events: broadcast::channel(EVENT_BUFFER).0,
            engine_options,
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<ModelEvent> {
        self.events.subscribe()
    }

    /// Loads `path` (GGUF file or Hugging Face folder) under `id`, blocking until it is ready
    /// (call it from a blocking task). A model already loaded under `id` is unloaded first, so
    /// two copies never hold memory at once; one still loading makes this `model_loading`.
    pub fn load(&self, id: &str, path: &Path, options: LoadOptions) -> Result<Arc<Engine>> {
        if id.trim().is_empty() {
            return Err(InferError::InvalidRequest(
                "a model id cannot be empty".into(),
            ));
        }
        let previous = {
            let mut slots = self.lock();
            if matches!(slots.get(id), Some(Slot::Loading)) {
                return Err(InferError::ModelLoading(id.to_owned()));
            }
            slots.insert(id.to_owned(), Slot::Loading)
        };
        if previous.is_some() {
            self.send(ModelEvent::Unloaded { id: id.to_owned() });
        }
        // The old engine's thread is joined here, outside the lock, before the new weights load.
        drop(previous);
        self.send(ModelEvent::Loading {
            id: id.to_owned(),
            path: path.to_owned(),
        });
        let result = self.load_engine(id, path, &options);
        let mut slots = self.lock();
        match result {
            Ok(engine) => {
                slots.insert(id.to_owned(), Slot::Ready(Arc::clone(&engine)));
                drop(slots);
                self.send(ModelEvent::Loaded {
                    id: id.to_owned(),
                    info: Box::new(engine.info().clone()),
                });
                Ok(engine)
            }
            Err(e) => {
                slots.remove(id);
                drop(slots);
                tracing::warn!(model = id, code = e.code(), "loading failed: {e}");
                self.send(ModelEvent::LoadFailed {
                    id: id.to_owned(),
                    code: e.code().to_owned(),
                    message: e.to_string(),
                });
                Err(e)
            }
        }
    }

    fn load_engine(&self, id: &str, path: &Path, options: &LoadOptions) -> Result<Arc<Engine>> {
        let _span = tracing::info_span!("load_model", model = id, path = %path.display()).entered();
        let total = weight_bytes(path)?;
        let events = self.events.clone();
        let progress_id = id.to_owned();
        let report: progress::ProgressFn = Arc::new(move |fraction| {
            let _ = events.send(ModelEvent::Progress {
                id: progress_id.clone(),
                fraction,
            });
        });
        let loaded = progress::track(total, report, || load(path, options))?;
        Ok(Arc::new(Engine::start(
            loaded,
            self.engine_options.clone(),
        )?))
    }

    /// Unloads `id`. Requests already queued on it finish first (their holders keep the engine
    /// alive); new requests cannot reach it.
    pub fn unload(&self, id: &str) -> Result<()> {
        let removed = {
            let mut slots = self.lock();
            match slots.get(id) {
                None => return Err(InferError::ModelNotLoaded(id.to_owned())),
                Some(Slot::Loading) => return Err(InferError::ModelLoading(id.to_owned())),
                Some(Slot::Ready(_)) => slots.remove(id),
            }
        };
        drop(removed);
        self.send(ModelEvent::Unloaded { id: id.to_owned() });
        Ok(())
    }

    /// The engine serving `id`.
    pub fn get(&self, id: &str) -> Result<Arc<Engine>> {
        match self.lock().get(id) {
            Some(Slot::Ready(engine)) => Ok(Arc::clone(engine)),
            Some(Slot::Loading) => Err(InferError::ModelLoading(id.to_owned())),
            None => Err(InferError::ModelNotLoaded(id.to_owned())),
        }
    }

    /// The models ready to serve, sorted by id.
    pub fn list(&self) -> Vec<LoadedEntry> {
        let mut entries: Vec<LoadedEntry> = self
            .lock()
            .iter()
            .filter_map(|(id, slot)| match slot {
                Slot::Ready(engine) => Some(LoadedEntry {
                    id: id.clone(),
                    info: engine.info().clone(),
                }),
                Slot::Loading => None,
            })
            .collect();
        entries.sort_by(|a, b| a.id.cmp(&b.id));
        entries
    }

    fn send(&self, event: ModelEvent) {
        // No subscriber is fine: events are for whoever watches.
        let _ = self.events.send(event);
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Slot>> {
        // A panic while holding the lock leaves the map itself consistent (every change is a
        // single insert or remove), so a poisoned lock is still usable.
        self.slots.lock().unwrap_or_else(|p| p.into_inner())
    }
}
