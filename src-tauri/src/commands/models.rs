//! Loaded models for the Models and Chat pages: list, load (with progress events), unload, and
//! where the starter model is on this machine.
//!
//! Loading reads hundreds of megabytes and builds the engine, so it runs on the blocking pool;
//! the window stays responsive and follows the load through [`ModelEventMessage`]s.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use loris_core::ApiError;
use loris_infer::{InferError, LoadOptions, ModelEvent, ModelInfo, ModelRegistry};
use serde::{Deserialize, Serialize};
use tauri::State;

use crate::AppState;

/// File name of the starter model: SmolLM2-135M-Instruct, Q4_1 GGUF (about 90 MB).
pub const STARTER_MODEL_FILE: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";
/// The id the starter model is loaded under.
pub const STARTER_MODEL_ID: &str = "SmolLM2-135M-Instruct";

/// A model ready to serve, as the UI lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct LoadedModelInfo {
    pub id: String,
    pub path: String,
    /// `gguf` or `safetensors`.
    pub format: String,
    /// The architecture's `model_type` (`llama`, `qwen3`, `gemma3`, ...).
    pub architecture: String,
    #[specta(type = specta_typescript::Number)]
    pub parameters: u64,
    pub context_length: u32,
    /// The file's quantization (`Q4_K_M`, `Q4_1`, `F16`, ...).
    pub quantization: String,
    pub dequantized: bool,
    pub has_chat_template: bool,
}

impl LoadedModelInfo {
    fn new(id: &str, info: &ModelInfo) -> Self {
        LoadedModelInfo {
            id: id.to_owned(),
            path: info.path.display().to_string(),
            format: info.format.to_owned(),
            architecture: info.architecture.to_string(),
            parameters: info.parameters,
            context_length: u32::try_from(info.context_length).unwrap_or(u32::MAX),
            quantization: info.quantization.clone(),
            dequantized: info.dequantized,
            has_chat_template: info.has_chat_template,
        }
    }
}

/// Whether quantized GGUF weights are loaded as f32: faster on a CPU for small models, four to
/// eight times the memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum Dequantize {
    /// The engine's choice: dequantize when the f32 weights are small
    /// (`loris_infer::prefers_dequantized`).
    Auto,
    On,
    Off,
}

/// A load, a progress step, success, failure or an unload, as the webview receives it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ModelEventPayload {
    Loading {
        id: String,
        path: String,
    },
    /// Fraction of the weights read, 0 to 1.
    Progress {
        id: String,
        // Always finite (a ratio of byte counts), so never the `null` a NaN would become.
        #[specta(type = specta_typescript::Number)]
        fraction: f32,
    },
    Loaded {
        id: String,
        model: LoadedModelInfo,
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

impl From<ModelEvent> for ModelEventPayload {
    fn from(event: ModelEvent) -> Self {
        match event {
            ModelEvent::Loading { id, path } => ModelEventPayload::Loading {
                id,
                path: path.display().to_string(),
            },
            ModelEvent::Progress { id, fraction } => ModelEventPayload::Progress { id, fraction },
            ModelEvent::Loaded { id, info } => ModelEventPayload::Loaded {
                model: LoadedModelInfo::new(&id, &info),
                id,
            },
            ModelEvent::LoadFailed { id, code, message } => {
                ModelEventPayload::LoadFailed { id, code, message }
            }
            ModelEvent::Unloaded { id } => ModelEventPayload::Unloaded { id },
        }
    }
}

/// The model registry's events, bridged to the webview. Ephemeral: not stored, not replayed;
/// a page that opens late reads `models_loaded`.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct ModelEventMessage(pub ModelEventPayload);

/// Where the starter model is on this machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct StarterModel {
    /// The id to load it under.
    pub id: String,
    pub path: String,
}

/// The models ready to serve, sorted by id.
#[tauri::command]
#[specta::specta]
pub fn models_loaded(
    state: State<'_, AppState>,
    access_token: String,
) -> Result<Vec<LoadedModelInfo>, ApiError> {
    state.authorize(&access_token)?;
    Ok(loaded_models(&state.models))
}

/// Loads a GGUF file or a Hugging Face folder under `id` (default: the file or folder name),
/// with a LoRA adapter (PEFT layout) merged in when `adapter` names one, and returns when it is
/// ready, or with the load's error code. Progress arrives as events. The same file loaded
/// with and without an adapter, under two ids, is what compare mode puts side by side.
#[tauri::command]
#[specta::specta]
pub async fn model_load(
    state: State<'_, AppState>,
    access_token: String,
    path: String,
    id: Option<String>,
    dequantize: Dequantize,
    adapter: Option<String>,
) -> Result<LoadedModelInfo, ApiError> {
    state.authorize(&access_token)?;
    let registry = Arc::clone(&state.models);
    match tauri::async_runtime::spawn_blocking(move || {
        load_model(
            &registry,
            &path,
            id.as_deref(),
            dequantize,
            adapter.as_deref(),
        )
    })
    .await
    {
        Ok(result) => result,
        Err(err) => Err(ApiError::new(
            "internal",
            format!("model load task failed: {err}"),
        )),
    }
}

/// Unloads `id`; requests already running on it finish first.
#[tauri::command]
#[specta::specta]
pub fn model_unload(
    state: State<'_, AppState>,
    access_token: String,
    id: String,
) -> Result<(), ApiError> {
    state.authorize(&access_token)?;
    unload_model(&state.models, &id)
}

/// The starter model's file on this machine, if it is anywhere Loris Studio looks.
#[tauri::command]
#[specta::specta]
pub fn starter_model(
    state: State<'_, AppState>,
    access_token: String,
) -> Result<Option<StarterModel>, ApiError> {
    state.authorize(&access_token)?;
    let places = starter_model_places(
        state.service.data_dir().root(),
        std::env::var_os("LORIS_FIXTURES"),
        home_dir(),
    );
    Ok(first_file(&places).map(|path| StarterModel {
        id: STARTER_MODEL_ID.to_owned(),
        path: path.display().to_string(),
    }))
}

pub fn loaded_models(registry: &ModelRegistry) -> Vec<LoadedModelInfo> {
    registry
        .list()
        .iter()
        .map(|entry| LoadedModelInfo::new(&entry.id, &entry.info))
        .collect()
}

/// The load itself, blocking: checks the request, picks the dequantize setting and the device.
pub fn load_model(
    registry: &ModelRegistry,
    path: &str,
    id: Option<&str>,
    dequantize: Dequantize,
    adapter: Option<&str>,
) -> Result<LoadedModelInfo, ApiError> {
    let path = PathBuf::from(path.trim());
    if path.as_os_str().is_empty() {
        return Err(
            loris_core::Error::invalid("path", "give a GGUF file or a model folder").into(),
        );
    }
    let id = match id.map(str::trim).filter(|id| !id.is_empty()) {
        Some(id) => id.to_owned(),
        None => default_id(&path).ok_or_else(|| {
            ApiError::from(loris_core::Error::invalid(
                "id",
                "the path has no file name to name the model after: give an id",
            ))
        })?,
    };
    let dequantize = match dequantize {
        Dequantize::On => true,
        Dequantize::Off => false,
        // Only quantized GGUF files have anything to dequantize; a missing file is reported
        // by the load itself, with its own code.
        Dequantize::Auto => {
            path.is_file() && loris_infer::prefers_dequantized(&path).map_err(infer_error)?
        }
    };
    let options = LoadOptions {
        dequantize,
        device: loris_infer::device::default_device(),
        adapter: adapter
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(PathBuf::from),
        ..LoadOptions::default()
    };
    let engine = registry.load(&id, &path, options).map_err(infer_error)?;
    Ok(LoadedModelInfo::new(&id, engine.info()))
}

pub fn unload_model(registry: &ModelRegistry, id: &str) -> Result<(), ApiError> {
    registry.unload(id).map_err(infer_error)
}

/// `SmolLM2.Q4_1.gguf` -> `SmolLM2.Q4_1`; a folder keeps its name.
fn default_id(path: &Path) -> Option<String> {
    let is_gguf = path
        .extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("gguf"));
    let name = if is_gguf {
        path.file_stem()
    } else {
        path.file_name()
    }?;
    let name = name.to_string_lossy().trim().to_owned();
    (!name.is_empty()).then_some(name)
}

/// Where the starter model may be, in order: the fixture cache (`LORIS_FIXTURES`, else
/// `~/.cache/loris-fixtures`), where development set-ups fetch it, then the data dir's
/// `models/`, where the app keeps the models it downloads.
pub fn starter_model_places(
    data_dir: &Path,
    fixtures_env: Option<OsString>,
    home: Option<PathBuf>,
) -> Vec<PathBuf> {
    let fixtures = match fixtures_env.filter(|v| !v.is_empty()) {
        Some(dir) => Some(PathBuf::from(dir)),
        None => home.map(|home| home.join(".cache").join("loris-fixtures")),
    };
    fixtures
        .into_iter()
        .chain([data_dir.to_path_buf()])
        .map(|dir| dir.join("models").join(STARTER_MODEL_FILE))
        .collect()
}

fn first_file(places: &[PathBuf]) -> Option<PathBuf> {
    places.iter().find(|path| path.is_file()).cloned()
}

fn home_dir() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .or_else(|| std::env::var_os("USERPROFILE"))
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

pub fn infer_error(err: InferError) -> ApiError {
    ApiError::new(err.code(), err.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use loris_infer::EngineOptions;

    #[test]
    fn a_missing_adapter_folder_is_a_typed_error() {
        let places = starter_model_places(
            Path::new("/nowhere"),
            std::env::var_os("LORIS_FIXTURES"),
            home_dir(),
        );
        let Some(path) = first_file(&places) else {
            eprintln!("skipped: {STARTER_MODEL_FILE} is not in the fixture cache");
            return;
        };
        let registry = ModelRegistry::new(EngineOptions::default());
        let err = load_model(
            &registry,
            &path.display().to_string(),
            Some("with-adapter"),
            Dequantize::On,
            Some("/nowhere/adapter"),
        )
        .unwrap_err();
        assert_eq!(err.code, "io", "{err:?}");
        assert!(err.message.contains("adapter_config.json"), "{err:?}");
        assert!(loaded_models(&registry).is_empty());
    }

    #[test]
    fn models_are_named_after_their_file_or_folder() {
        assert_eq!(
            default_id(Path::new("/m/SmolLM2-135M-Instruct.Q4_1.gguf")).as_deref(),
            Some("SmolLM2-135M-Instruct.Q4_1")
        );
        assert_eq!(
            default_id(Path::new("/m/Qwen3-0.6B")).as_deref(),
            Some("Qwen3-0.6B")
        );
        assert_eq!(default_id(Path::new("/")), None);
    }

    #[test]
    fn the_starter_model_is_looked_for_in_the_fixtures_then_the_data_dir() {
        let data = tempfile::tempdir().unwrap();
        let home = tempfile::tempdir().unwrap();
        let places = starter_model_places(data.path(), None, Some(home.path().to_owned()));
        assert_eq!(
            places,
            [
                home.path()
                    .join(".cache/loris-fixtures/models")
                    .join(STARTER_MODEL_FILE),
                data.path().join("models").join(STARTER_MODEL_FILE),
            ]
        );
        assert_eq!(first_file(&places), None);

        let fixtures = tempfile::tempdir().unwrap();
        let places = starter_model_places(
            data.path(),
            Some(fixtures.path().as_os_str().to_owned()),
            Some(home.path().to_owned()),
        );
        assert_eq!(
            places[0],
            fixtures.path().join("models").join(STARTER_MODEL_FILE)
        );

        let in_data = data.path().join("models").join(STARTER_MODEL_FILE);
        std::fs::create_dir_all(data.path().join("models")).unwrap();
        std::fs::write(&in_data, b"GGUF").unwrap();
        assert_eq!(first_file(&places), Some(in_data));
    }

    #[test]
    fn a_bad_load_request_has_a_typed_error_and_loads_nothing() {
        let registry = ModelRegistry::new(EngineOptions::default());
        let err = load_model(&registry, "  ", None, Dequantize::Auto, None).unwrap_err();
        assert_eq!(err.code, "invalid_input");

        let mut events = registry.subscribe();
        let err = load_model(
            &registry,
            "/nowhere/model.gguf",
            None,
            Dequantize::Auto,
            None,
        )
        .unwrap_err();
        assert_ne!(err.code, "internal", "{err}");
        assert!(loaded_models(&registry).is_empty());
        // The failure reaches subscribers, under the default id.
        let mut failed = None;
        while let Ok(event) = events.try_recv() {
            if let ModelEventPayload::LoadFailed { id, code, .. } = ModelEventPayload::from(event) {
                failed = Some((id, code));
            }
        }
        assert_eq!(failed, Some(("model".to_owned(), err.code)));

        let err = unload_model(&registry, "model").unwrap_err();
        assert_eq!(err.code, "model_not_loaded");
    }

    /// Loads the starter model from the fixture cache when it is there (tests/fixtures/fetch.sh).
    #[test]
    fn the_starter_model_loads_with_progress_and_unloads() {
        let places = starter_model_places(
            Path::new("/nonexistent"),
            std::env::var_os("LORIS_FIXTURES"),
            home_dir(),
        );
        let Some(path) = first_file(&places) else {
            eprintln!("skipped: {STARTER_MODEL_FILE} is not in the fixture cache");
            return;
        };
        let registry = ModelRegistry::new(EngineOptions::default());
        let mut events = registry.subscribe();
        let loaded = load_model(
            &registry,
            &path.display().to_string(),
            Some(STARTER_MODEL_ID),
            Dequantize::Off,
            None,
        )
        .unwrap();
        assert_eq!(loaded.id, STARTER_MODEL_ID);
        assert_eq!(loaded.format, "gguf");
        assert_eq!(loaded.quantization, "Q4_1");
        assert!(!loaded.dequantized);
        assert_eq!(loaded_models(&registry), vec![loaded.clone()]);

        let mut seen = Vec::new();
        while let Ok(event) = events.try_recv() {
            seen.push(ModelEventPayload::from(event));
        }
        assert!(matches!(
            seen.first(),
            Some(ModelEventPayload::Loading { .. })
        ));
        assert!(
            seen.iter()
                .any(|e| matches!(e, ModelEventPayload::Progress { .. }))
        );
        assert_eq!(
            seen.last(),
            Some(&ModelEventPayload::Loaded {
                id: STARTER_MODEL_ID.to_owned(),
                model: loaded,
            })
        );

        unload_model(&registry, STARTER_MODEL_ID).unwrap();
        assert!(loaded_models(&registry).is_empty());
        assert_eq!(
            events.try_recv().map(ModelEventPayload::from).ok(),
            Some(ModelEventPayload::Unloaded {
                id: STARTER_MODEL_ID.to_owned()
            })
        );
    }
}
