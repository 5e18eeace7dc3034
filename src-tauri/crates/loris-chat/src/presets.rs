//! Named sampling presets the user saves ("Creative", "Exact"...), kept in the store's settings
//! table under one key as a list, so they need no table of their own and survive restarts.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::threads::ChatStore;
use crate::types::ThreadSettings;

/// The settings key of the preset list.
pub const PRESETS_KEY: &str = "chat.sampling_presets";

/// Preset names longer than this are refused.
const MAX_NAME_CHARS: usize = 80;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct SamplingPreset {
    pub name: String,
    pub settings: ThreadSettings,
}

impl ChatStore {
    /// The saved presets, in the order they were first saved. A stored list that no longer
    /// reads (written by hand, or by a future build) counts as empty rather than blocking the
    /// page; saving then replaces it.
    pub fn sampling_presets(&self) -> Result<Vec<SamplingPreset>> {
        let Some(value) = self.store.setting(PRESETS_KEY)? else {
            return Ok(Vec::new());
        };
        match serde_json::from_value(value) {
            Ok(presets) => Ok(presets),
            Err(e) => {
                tracing::warn!(error = %e, "unreadable sampling presets: starting from none");
                Ok(Vec::new())
            }
        }
    }

    /// Saves `settings` under `name`, replacing a preset of the same name (names compare
    /// without surrounding spaces). Returns the new list.
    pub fn save_sampling_preset(
        &self,
        name: &str,
        settings: &ThreadSettings,
    ) -> Result<Vec<SamplingPreset>> {
        let name = checked_name(name)?;
        let mut presets = self.sampling_presets()?;
        let preset = SamplingPreset {
            name: name.clone(),
            settings: settings.clone(),
        };
        match presets.iter_mut().find(|p| p.name == name) {
            Some(existing) => *existing = preset,
            None => presets.push(preset),
        }
        self.write_presets(&presets)?;
        Ok(presets)
    }

    /// Deletes the preset `name`; `not_found` when there is none. Returns the new list.
    pub fn delete_sampling_preset(&self, name: &str) -> Result<Vec<SamplingPreset>> {
        let mut presets = self.sampling_presets()?;
        let before = presets.len();
        presets.retain(|p| p.name != name.trim());
        if presets.len() == before {
            return Err(Error::not_found("preset", name));
        }
        self.write_presets(&presets)?;
        Ok(presets)
    }

    fn write_presets(&self, presets: &[SamplingPreset]) -> Result<()> {
        let value = serde_json::to_value(presets).map_err(|source| Error::StoredJson {
            what: "sampling presets",
            source,
        })?;
        Ok(self.store.set_setting(PRESETS_KEY, &value)?)
    }
}

fn checked_name(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(Error::invalid("name", "give the preset a name"));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(Error::invalid(
            "name",
            format!("at most {MAX_NAME_CHARS} characters"),
        ));
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use loris_core::Store;

    use super::*;

    #[test]
    fn presets_are_saved_replaced_and_deleted_across_reopens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("loris.db");
        let chats = ChatStore::new(Arc::new(Store::open(&path).unwrap()));
        assert!(chats.sampling_presets().unwrap().is_empty());

        let exact = ThreadSettings::greedy();
        let creative = ThreadSettings {
            temperature: 1.2,
            ..ThreadSettings::default()
        };
        chats.save_sampling_preset(" Exact ", &exact).unwrap();
        let list = chats.save_sampling_preset("Creative", &creative).unwrap();
        assert_eq!(
            list.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
            ["Exact", "Creative"]
        );
        // Same name: replaced in place.
        let warmer = ThreadSettings {
            temperature: 1.5,
            ..creative
        };
        let list = chats.save_sampling_preset("Creative", &warmer).unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[1].settings.temperature, 1.5);
        drop(chats);

        let chats = ChatStore::new(Arc::new(Store::open(&path).unwrap()));
        let list = chats.sampling_presets().unwrap();
        assert_eq!(list[0].settings, exact);
        assert_eq!(list[1].settings.temperature, 1.5);

        let list = chats.delete_sampling_preset("Exact").unwrap();
        assert_eq!(list.len(), 1);
        let err = chats.delete_sampling_preset("Exact").unwrap_err();
        assert_eq!(err.code(), "not_found");
    }

    #[test]
    fn bad_names_and_unreadable_lists_are_handled() {
        let chats = ChatStore::new(Arc::new(Store::open_in_memory().unwrap()));
        let settings = ThreadSettings::default();
        assert_eq!(
            chats
                .save_sampling_preset("  ", &settings)
                .unwrap_err()
                .code(),
            "invalid_input"
        );
        assert_eq!(
            chats
                .save_sampling_preset(&"x".repeat(81), &settings)
                .unwrap_err()
                .code(),
            "invalid_input"
        );
        chats
            .store()
            .set_setting(PRESETS_KEY, &serde_json::json!({"not": "a list"}))
            .unwrap();
        assert!(chats.sampling_presets().unwrap().is_empty());
        assert_eq!(
            chats.save_sampling_preset("Ok", &settings).unwrap().len(),
            1
        );
    }
}
