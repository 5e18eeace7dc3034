//! Models on this machine for the Chat page's picker: the starter model, the models folders the
//! user adds in Settings (saved in the settings store as `models.folders`), and the Hugging
//! Face cache. Scanning reads folders only, never weights, on the blocking pool.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use loris_chat::local_models::{self, LocalFormat, LocalModel, LocalSource};
use loris_core::{ApiError, Store};
use serde::{Deserialize, Serialize};
use tauri::State;

use crate::AppState;
use crate::commands::models::{STARTER_MODEL_ID, starter_model_places};

/// The settings-store key of the models folders.
pub const FOLDERS_KEY: &str = "models.folders";

/// At most this many folders are kept: each is walked on every listing.
const MAX_FOLDERS: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum LocalModelSource {
    Starter,
    /// A models folder added in Settings.
    Folder,
    HfCache,
}

/// A model that can be loaded, as the picker lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct LocalModelInfo {
    pub name: String,
    /// The GGUF file or the model folder, for `model_load`.
    pub path: String,
    /// `gguf` or `safetensors`.
    pub format: String,
    pub source: LocalModelSource,
    #[specta(type = specta_typescript::Number)]
    pub size_bytes: u64,
}

impl From<LocalModel> for LocalModelInfo {
    fn from(m: LocalModel) -> Self {
        LocalModelInfo {
            name: m.name,
            path: m.path.display().to_string(),
            format: match m.format {
                LocalFormat::Gguf => "gguf",
                LocalFormat::Safetensors => "safetensors",
            }
            .to_owned(),
            source: match m.source {
                LocalSource::Folder => LocalModelSource::Folder,
                LocalSource::HfCache => LocalModelSource::HfCache,
            },
            size_bytes: m.size_bytes,
        }
    }
}

/// The saved models folders; none when nothing (or something unreadable) is saved.
pub fn folders(store: &Store) -> Result<Vec<String>, ApiError> {
    let Some(value) = store.setting(FOLDERS_KEY)? else {
        return Ok(Vec::new());
    };
    Ok(serde_json::from_value(value).unwrap_or_else(|e| {
        tracing::warn!(error = %e, "unreadable models folders: using none");
        Vec::new()
    }))
}

/// Saves `folders`: trimmed, empty ones dropped, each once, in the order given. A folder that
/// does not exist now is kept (a drive that is not plugged in); it lists nothing.
pub fn save_folders(store: &Store, folders: &[String]) -> Result<Vec<String>, ApiError> {
    let mut clean: Vec<String> = Vec::new();
    for folder in folders.iter().map(|f| f.trim()).filter(|f| !f.is_empty()) {
        if !Path::new(folder).is_absolute() {
            return Err(loris_core::Error::invalid(
                "folders",
                format!("'{folder}' is not a full path: give the whole path of the folder"),
            )
            .into());
        }
        if !clean.iter().any(|f| f == folder) {
            clean.push(folder.to_owned());
        }
    }
    if clean.len() > MAX_FOLDERS {
        return Err(loris_core::Error::invalid(
            "folders",
            format!("at most {MAX_FOLDERS} folders"),
        )
        .into());
    }
    let value = serde_json::to_value(&clean)
        .map_err(|e| ApiError::new("internal", format!("models folders: {e}")))?;
    store.set_setting(FOLDERS_KEY, &value)?;
    Ok(clean)
}

/// Every model found: the starter model first, then the folders' and the cache's, each path
/// once.
pub fn list_local(
    starter: Option<PathBuf>,
    folders: &[String],
    hub: Option<PathBuf>,
) -> Vec<LocalModelInfo> {
    let starter = starter.map(|path| LocalModelInfo {
        name: STARTER_MODEL_ID.to_owned(),
        size_bytes: std::fs::metadata(&path).map_or(0, |m| m.len()),
        path: path.display().to_string(),
        format: "gguf".to_owned(),
        source: LocalModelSource::Starter,
    });
    let scans = folders
        .iter()
        .map(|f| local_models::scan_folder(Path::new(f)))
        .chain(hub.map(|hub| local_models::scan_hf_cache(&hub)));
    let found = local_models::merge(scans);
    let starter_path = starter
        .as_ref()
        .map(|s| std::fs::canonicalize(&s.path).unwrap_or_else(|_| PathBuf::from(&s.path)));
    starter
        .into_iter()
        .chain(
            found
                .into_iter()
                .filter(|m| {
                    let path = std::fs::canonicalize(&m.path).unwrap_or_else(|_| m.path.clone());
                    Some(path) != starter_path
                })
                .map(LocalModelInfo::from),
        )
        .collect()
}

fn env(name: &str) -> Option<OsString> {
    std::env::var_os(name)
}

fn home_dir() -> Option<PathBuf> {
    env("HOME")
        .or_else(|| env("USERPROFILE"))
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

#[tauri::command]
#[specta::specta]
pub fn model_folders_get(
    state: State<'_, AppState>,
    access_token: String,
) -> Result<Vec<String>, ApiError> {
    state.authorize(&access_token)?;
    folders(state.service.store())
}

/// Replaces the models folders; returns them as saved.
#[tauri::command]
#[specta::specta]
pub fn model_folders_set(
    state: State<'_, AppState>,
    access_token: String,
    folders: Vec<String>,
) -> Result<Vec<String>, ApiError> {
    state.authorize(&access_token)?;
    save_folders(state.service.store(), &folders)
}

/// The models on this machine that can be loaded: the starter model, the models folders'
/// GGUF files and Hugging Face folders, and the Hugging Face cache's.
#[tauri::command]
#[specta::specta]
pub async fn models_local(
    state: State<'_, AppState>,
    access_token: String,
) -> Result<Vec<LocalModelInfo>, ApiError> {
    state.authorize(&access_token)?;
    let saved = folders(state.service.store())?;
    let data_dir = state.service.data_dir().root().to_path_buf();
    let scan = move || {
        let starter = starter_model_places(&data_dir, env("LORIS_FIXTURES"), home_dir())
            .into_iter()
            .find(|p| p.is_file());
        let hub = local_models::hf_hub_dir(env("HF_HUB_CACHE"), env("HF_HOME"), home_dir());
        list_local(starter, &saved, hub)
    };
    tauri::async_runtime::spawn_blocking(scan)
        .await
        .map_err(|e| ApiError::new("internal", format!("model scan failed: {e}")))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn folders_are_cleaned_saved_and_read_back() {
        let store = Arc::new(Store::open_in_memory().unwrap());
        assert!(folders(&store).unwrap().is_empty());
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a").display().to_string();
        let saved = save_folders(&store, &[format!(" {a} "), String::new(), a.clone()]).unwrap();
        assert_eq!(saved, vec![a.clone()]);
        assert_eq!(folders(&store).unwrap(), vec![a]);
        let err = save_folders(&store, &["relative/models".into()]).unwrap_err();
        assert_eq!(err.code, "invalid_input");
        store
            .set_setting(FOLDERS_KEY, &serde_json::json!("not a list"))
            .unwrap();
        assert!(folders(&store).unwrap().is_empty());
    }

    #[test]
    fn the_list_has_the_starter_then_folders_then_the_cache_each_once() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let models = root.join("models");
        std::fs::create_dir_all(models.join("Qwen3-0.6B")).unwrap();
        std::fs::write(models.join("Qwen3-0.6B/config.json"), b"{}").unwrap();
        std::fs::write(models.join("Qwen3-0.6B/model.safetensors"), [0u8; 3]).unwrap();
        let starter = models.join(crate::commands::models::STARTER_MODEL_FILE);
        std::fs::write(&starter, b"GGUF").unwrap();
        let snapshot = root.join("hub/models--google--gemma-3-270m/snapshots/r");
        std::fs::create_dir_all(&snapshot).unwrap();
        std::fs::write(snapshot.join("config.json"), b"{}").unwrap();
        std::fs::write(snapshot.join("model.safetensors"), [0u8; 5]).unwrap();

        let list = list_local(
            Some(starter.clone()),
            &[models.display().to_string(), models.display().to_string()],
            Some(root.join("hub")),
        );
        let seen: Vec<(&str, LocalModelSource)> =
            list.iter().map(|m| (m.name.as_str(), m.source)).collect();
        assert_eq!(
            seen,
            [
                (STARTER_MODEL_ID, LocalModelSource::Starter),
                ("Qwen3-0.6B", LocalModelSource::Folder),
                ("google/gemma-3-270m", LocalModelSource::HfCache),
            ]
        );
        assert_eq!(list[1].format, "safetensors");
        assert_eq!(list[1].size_bytes, 3);
        assert_eq!(list[0].path, starter.display().to_string());
        assert!(list_local(None, &[], None).is_empty());
    }
}
