//! Recipes on the SQLite store (tables of migration 6). The JSON text is stored as given, so
//! a document read back is byte for byte the one saved, unknown fields included.

use loris_core::Store;
use loris_core::time_fmt::now_rfc3339;
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use crate::error::{RecipeError, Result};
use crate::format::{RecipeDocument, parse_recipe_str};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecipeRecord {
    pub id: String,
    pub name: String,
    pub json: String,
    pub created_at: String,
    pub updated_at: String,
}

impl RecipeRecord {
    pub fn document(&self) -> Result<RecipeDocument> {
        parse_recipe_str(&self.json)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecipeSummary {
    pub id: String,
    pub name: String,
    pub created_at: String,
    pub updated_at: String,
}

/// Saves a recipe: a new one when `id` is `None` (or names no recipe), else replaces it. The
/// text must parse as a recipe; a recipe that does not validate yet can still be saved, as
/// drafts are.
pub fn save_recipe(
    store: &Store,
    id: Option<&str>,
    name: &str,
    json: &str,
) -> Result<RecipeRecord> {
    parse_recipe_str(json)?;
    let now = now_rfc3339();
    let id = id
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    store.conn().execute(
        "INSERT INTO recipes (id, name, json, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)
         ON CONFLICT(id) DO UPDATE SET name = excluded.name, json = excluded.json,
             updated_at = excluded.updated_at",
        params![id, name, json, now],
    )?;
    get_recipe(store, &id)
}

pub fn get_recipe(store: &Store, id: &str) -> Result<RecipeRecord> {
    store
        .conn()
        .query_row(
            "SELECT id, name, json, created_at, updated_at FROM recipes WHERE id = ?1",
            [id],
            |r| {
                Ok(RecipeRecord {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    json: r.get(2)?,
                    created_at: r.get(3)?,
                    updated_at: r.get(4)?,
                })
            },
        )
        .optional()?
        .ok_or_else(|| RecipeError::NotFound { id: id.to_string() })
}

/// Every recipe, most recently updated first.
pub fn list_recipes(store: &Store) -> Result<Vec<RecipeSummary>> {
    let conn = store.conn();
    let mut stmt = conn.prepare(
        "SELECT id, name, created_at, updated_at FROM recipes ORDER BY updated_at DESC, id",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok(RecipeSummary {
            id: r.get(0)?,
            name: r.get(1)?,
            created_at: r.get(2)?,
            updated_at: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// Deletes a recipe and its runs.
pub fn delete_recipe(store: &Store, id: &str) -> Result<()> {
    let n = store
        .conn()
        .execute("DELETE FROM recipes WHERE id = ?1", [id])?;
    if n == 0 {
        return Err(RecipeError::NotFound { id: id.to_string() });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"{"recipe": {"columns": []}, "ui": {"nodes": []}}"#;

    #[test]
    fn save_get_list_delete() {
        let store = Store::open_in_memory().unwrap();
        let saved = save_recipe(&store, None, "first", DOC).unwrap();
        assert_eq!(saved.json, DOC);
        let again = save_recipe(&store, Some(&saved.id), "renamed", DOC).unwrap();
        assert_eq!(again.id, saved.id);
        assert_eq!(again.name, "renamed");
        assert_eq!(again.created_at, saved.created_at);
        let list = list_recipes(&store).unwrap();
        assert_eq!(list.len(), 1);
        delete_recipe(&store, &saved.id).unwrap();
        let err = get_recipe(&store, &saved.id).unwrap_err();
        assert_eq!(err.code(), "recipe_not_found");
        assert_eq!(
            delete_recipe(&store, &saved.id).unwrap_err().code(),
            "recipe_not_found"
        );
    }

    #[test]
    fn text_that_is_not_a_recipe_is_refused() {
        let store = Store::open_in_memory().unwrap();
        let err = save_recipe(&store, None, "x", "{").unwrap_err();
        assert_eq!(err.code(), "recipe_malformed");
        assert!(list_recipes(&store).unwrap().is_empty());
    }
}
