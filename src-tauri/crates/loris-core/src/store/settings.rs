//! A key/value settings table; values are JSON so each setting keeps its type.

use rusqlite::OptionalExtension;

use super::Store;
use crate::error::{Error, Result};
use crate::time_fmt::now_rfc3339;

impl Store {
    pub fn setting(&self, key: &str) -> Result<Option<serde_json::Value>> {
        let raw: Option<String> = self
            .conn()
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |row| {
                row.get(0)
            })
            .optional()?;
        raw.map(|text| {
            serde_json::from_str(&text).map_err(|source| Error::Json {
                what: format!("setting {key}"),
                source,
            })
        })
        .transpose()
    }

    pub fn set_setting(&self, key: &str, value: &serde_json::Value) -> Result<()> {
        if key.trim().is_empty() {
            return Err(Error::invalid("key", "a setting key cannot be empty"));
        }
        self.conn().execute(
            "INSERT INTO settings(key, value, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            (key, value.to_string(), now_rfc3339()),
        )?;
        Ok(())
    }

    pub fn settings(&self) -> Result<Vec<(String, serde_json::Value)>> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT key, value FROM settings ORDER BY key")?;
        let rows = stmt.query_map([], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (key, text) = row?;
            let value = serde_json::from_str(&text).map_err(|source| Error::Json {
                what: format!("setting {key}"),
                source,
            })?;
            out.push((key, value));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_get_overwrite() {
        let store = Store::open_in_memory().unwrap();
        assert_eq!(store.setting("x").unwrap(), None);
        store
            .set_setting("x", &serde_json::json!({"a": 1}))
            .unwrap();
        store.set_setting("x", &serde_json::json!([2])).unwrap();
        assert_eq!(store.setting("x").unwrap(), Some(serde_json::json!([2])));
        assert_eq!(store.settings().unwrap().len(), 1);
    }

    #[test]
    fn empty_key_is_refused() {
        let store = Store::open_in_memory().unwrap();
        assert_eq!(
            store
                .set_setting(" ", &serde_json::json!(1))
                .unwrap_err()
                .code(),
            "invalid_input"
        );
    }
}
