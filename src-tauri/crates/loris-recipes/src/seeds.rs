//! A recipe's `seed_config`: the dataset (CSV, JSON, JSONL, Parquet) or document (TXT, MD,
//! PDF, split into chunks) whose rows start every generated row.

use std::path::Path;

use loris_tabular::{SeedConfig, SeedTable, load_seed};

use crate::error::{RecipeError, Result};
use crate::format::RecipeDocument;

/// Loads the recipe's seed rows, or `None` when it has no `seed_config`. Relative paths are
/// read from `base_dir` (the recipe file's folder).
pub fn load_recipe_seed(
    doc: &RecipeDocument,
    base_dir: &Path,
    seed: u64,
) -> Result<Option<SeedTable>> {
    let Some(config) = doc.recipe.seed_config.as_ref().filter(|c| !c.is_null()) else {
        return Ok(None);
    };
    let seed_error = |err: loris_tabular::TabularError| RecipeError::Seed {
        code: err.code(),
        message: err.to_string(),
    };
    let config = SeedConfig::from_json(config).map_err(seed_error)?;
    load_seed(&config, base_dir, seed)
        .map(Some)
        .map_err(seed_error)
}
