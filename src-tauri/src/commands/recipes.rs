//! Data recipes: store, validate and preview them, and run them in full as jobs (progress as
//! `job.progress` events; cancel through the jobs commands), then page through a run's rows.
//!
//! The engine is `loris-recipes`'; recipe documents and rows cross as JSON, and the loaded
//! models serve the recipes' `local` providers.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use loris_core::ApiError;
use loris_core::json_type::JsonValue;
use loris_recipes::jobs::{
    RecipeRun, RunEnvironment, StartedRecipeRun, get_run, list_runs, resume_run, start_run,
};
use loris_recipes::providers::{ChatModel, EngineModel, KeychainLookup};
use loris_recipes::run::{OutputFormat, RunOptions, read_run_page};
use loris_recipes::seeds::load_recipe_seed;
use loris_recipes::store::{RecipeRecord, RecipeSummary};
use loris_recipes::{
    ModelRouter, PreviewOptions, RecipeError, RouterOptions, SeedRows, parse_recipe_str,
    preview_with_seed, validate_with_seed,
};
use serde::{Deserialize, Serialize};
use specta_typescript::Number;
use tauri::State;

use crate::AppState;

/// Where recipes' relative seed paths are read from, where runs write, and the keychain.
pub struct Recipes {
    pub seeds_dir: PathBuf,
    pub runs_dir: PathBuf,
    pub keychain: Arc<KeychainLookup>,
}

impl Recipes {
    pub fn new(data_root: &std::path::Path, secrets: Arc<dyn loris_auth::SecretStore>) -> Self {
        let keychain: Arc<KeychainLookup> = Arc::new(move |name: &str| {
            secrets
                .get(name)
                .map(|v| v.map(|bytes| String::from_utf8_lossy(&bytes).into_owned()))
                .map_err(|e| e.to_string())
        });
        Recipes {
            seeds_dir: data_root.join("recipes"),
            runs_dir: data_root.join("recipe-runs"),
            keychain,
        }
    }
}

pub fn recipe_error(err: RecipeError) -> ApiError {
    let mut api = ApiError::new(err.code(), err.to_string());
    api.details = err.details();
    api
}

/// Runs of an earlier process that never finished become `interrupted`; once, at start-up.
pub fn recover(store: &loris_core::Store) {
    match loris_recipes::jobs::mark_interrupted_runs(store) {
        Ok(0) => {}
        Ok(count) => tracing::info!(count, "recipe runs cut short marked interrupted"),
        Err(err) => tracing::warn!(error = %err, "could not mark interrupted recipe runs"),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct RecipeListItem {
    pub id: String,
    pub name: String,
    pub created_at: String,
    pub updated_at: String,
}

impl From<RecipeSummary> for RecipeListItem {
    fn from(r: RecipeSummary) -> Self {
        RecipeListItem {
            id: r.id,
            name: r.name,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// A stored recipe: its document as saved, unknown fields included.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct StoredRecipe {
    pub id: String,
    pub name: String,
    pub json: String,
    pub created_at: String,
    pub updated_at: String,
}

impl From<RecipeRecord> for StoredRecipe {
    fn from(r: RecipeRecord) -> Self {
        StoredRecipe {
            id: r.id,
            name: r.name,
            json: r.json,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// One validation problem, with its place in the document.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct RecipeIssue {
    pub code: String,
    pub path: String,
    pub message: String,
    /// A cycle's columns, in order.
    pub columns: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct RecipeRunRequest {
    pub recipe_id: String,
    #[specta(type = Number)]
    pub rows: u32,
    #[specta(type = Option<Number>)]
    pub batch_size: Option<u32>,
    #[specta(type = Option<Number>)]
    pub seed: Option<u32>,
    /// `jsonl`, `parquet`; both when empty.
    #[serde(default)]
    pub formats: Vec<String>,
    /// The loaded model that serves `local` providers.
    pub model: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct RecipeRunStarted {
    pub run_id: String,
    pub job_id: String,
    pub output: String,
}

impl From<StartedRecipeRun> for RecipeRunStarted {
    fn from(s: StartedRecipeRun) -> Self {
        RecipeRunStarted {
            run_id: s.run_id,
            job_id: s.job_id,
            output: s.output,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct RecipeRunItem {
    pub id: String,
    pub recipe_id: String,
    /// running | completed | cancelled | failed | interrupted
    pub state: String,
    #[specta(type = Number)]
    pub rows_done: u64,
    pub output: Option<String>,
    pub error: Option<String>,
    pub job_id: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<RecipeRun> for RecipeRunItem {
    fn from(r: RecipeRun) -> Self {
        RecipeRunItem {
            id: r.id,
            recipe_id: r.recipe_id,
            state: r.state,
            rows_done: r.rows_done,
            output: r.output,
            error: r.error,
            job_id: r.job_id,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// The loaded model named `model`, as the backend of `local` providers.
fn local_model(
    state: &AppState,
    model: Option<&str>,
) -> Result<Option<Arc<dyn ChatModel>>, ApiError> {
    let Some(id) = model else {
        return Ok(None);
    };
    let engine = state
        .models
        .get(id)
        .map_err(crate::commands::models::infer_error)?;
    Ok(Some(Arc::new(EngineModel::new(engine))))
}

fn environment(state: &AppState, model: Option<&str>) -> Result<RunEnvironment, ApiError> {
    Ok(RunEnvironment {
        runs_dir: state.recipes.runs_dir.clone(),
        seed_dir: state.recipes.seeds_dir.clone(),
        router: RouterOptions {
            local: local_model(state, model)?,
            keychain: Some(Arc::clone(&state.recipes.keychain)),
            cancelled: Arc::new(AtomicBool::new(false)),
        },
    })
}

// --- Commands. ---

#[tauri::command]
#[specta::specta]
pub fn recipe_list(
    state: State<'_, AppState>,
    access_token: String,
) -> Result<Vec<RecipeListItem>, ApiError> {
    state.authorize(&access_token)?;
    let list = loris_recipes::store::list_recipes(state.service.store()).map_err(recipe_error)?;
    Ok(list.into_iter().map(RecipeListItem::from).collect())
}

#[tauri::command]
#[specta::specta]
pub fn recipe_get(
    state: State<'_, AppState>,
    access_token: String,
    id: String,
) -> Result<StoredRecipe, ApiError> {
    state.authorize(&access_token)?;
    let record =
        loris_recipes::store::get_recipe(state.service.store(), &id).map_err(recipe_error)?;
    Ok(record.into())
}

/// Saves (or imports) a recipe document; a new one when `id` is null.
#[tauri::command]
#[specta::specta]
pub fn recipe_save(
    state: State<'_, AppState>,
    access_token: String,
    id: Option<String>,
    name: String,
    json: String,
) -> Result<StoredRecipe, ApiError> {
    state.authorize(&access_token)?;
    let record =
        loris_recipes::store::save_recipe(state.service.store(), id.as_deref(), &name, &json)
            .map_err(recipe_error)?;
    Ok(record.into())
}

#[tauri::command]
#[specta::specta]
pub fn recipe_delete(
    state: State<'_, AppState>,
    access_token: String,
    id: String,
) -> Result<(), ApiError> {
    state.authorize(&access_token)?;
    loris_recipes::store::delete_recipe(state.service.store(), &id).map_err(recipe_error)
}

/// Every problem of a recipe document, each with its JSON path; empty when it is valid.
#[tauri::command]
#[specta::specta]
pub fn recipe_validate(
    state: State<'_, AppState>,
    access_token: String,
    json: String,
) -> Result<Vec<RecipeIssue>, ApiError> {
    state.authorize(&access_token)?;
    let doc = parse_recipe_str(&json).map_err(recipe_error)?;
    let seed = load_recipe_seed(&doc, &state.recipes.seeds_dir, 0).map_err(recipe_error)?;
    let seed_columns = seed.map(|s| s.columns).unwrap_or_default();
    Ok(match validate_with_seed(&doc, &seed_columns) {
        Ok(_) => Vec::new(),
        Err(errors) => errors
            .iter()
            .map(|e| {
                let report = e.report();
                RecipeIssue {
                    code: report.code.to_string(),
                    path: report.path,
                    message: report.message,
                    columns: report.columns,
                }
            })
            .collect(),
    })
}

/// Rows of a preview: the output columns, the rows, each `schema_transform`'s rows, and the
/// requests and tokens per model alias.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct RecipePreviewResult {
    pub columns: Vec<String>,
    #[specta(type = Vec<JsonValue>)]
    pub rows: Vec<serde_json::Value>,
    #[specta(type = JsonValue)]
    pub processor_outputs: serde_json::Value,
    #[specta(type = JsonValue)]
    pub usage: serde_json::Value,
}

/// A page of a run's rows.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct RecipeRowsPage {
    #[specta(type = Vec<JsonValue>)]
    pub rows: Vec<serde_json::Value>,
    #[specta(type = Number)]
    pub total: u64,
    #[specta(type = Number)]
    pub offset: u64,
}

/// A few rows generated in memory.
#[tauri::command]
#[specta::specta]
pub async fn recipe_preview(
    state: State<'_, AppState>,
    access_token: String,
    json: String,
    rows: u32,
    seed: u32,
    model: Option<String>,
) -> Result<RecipePreviewResult, ApiError> {
    state.authorize(&access_token)?;
    let env = environment(&state, model.as_deref())?;
    let task = tauri::async_runtime::spawn_blocking(
        move || -> Result<RecipePreviewResult, RecipeError> {
            let doc = parse_recipe_str(&json)?;
            let seed_rows = load_recipe_seed(&doc, &env.seed_dir, u64::from(seed))?;
            let router = ModelRouter::new(&doc, &env.router)?;
            let options = PreviewOptions {
                rows: rows as usize,
                seed: u64::from(seed),
                ..PreviewOptions::default()
            };
            let out = preview_with_seed(
                &doc,
                &options,
                Some(&router),
                seed_rows.as_ref().map(|s| s as &dyn SeedRows),
            )?;
            Ok(RecipePreviewResult {
                columns: out.columns,
                rows: out
                    .rows
                    .into_iter()
                    .map(serde_json::Value::Object)
                    .collect(),
                processor_outputs: serde_json::to_value(out.processor_outputs).unwrap_or_default(),
                usage: serde_json::to_value(out.usage).unwrap_or_default(),
            })
        },
    );
    task.await
        .map_err(|e| ApiError::new("internal", e.to_string()))?
        .map_err(recipe_error)
}

/// Starts a full run of a stored recipe as a job.
#[tauri::command]
#[specta::specta]
pub async fn recipe_run_start(
    state: State<'_, AppState>,
    access_token: String,
    request: RecipeRunRequest,
) -> Result<RecipeRunStarted, ApiError> {
    state.authorize(&access_token)?;
    let env = environment(&state, request.model.as_deref())?;
    let formats = if request.formats.is_empty() {
        OutputFormat::parse_list(None)
    } else {
        OutputFormat::parse_list(Some(&serde_json::json!(request.formats)))
    }
    .map_err(recipe_error)?;
    let options = RunOptions {
        rows: request.rows as usize,
        batch_size: request
            .batch_size
            .map_or(loris_recipes::run::DEFAULT_BATCH_SIZE, |b| b as usize),
        seed: u64::from(request.seed.unwrap_or(0)),
        max_attempts: 3,
        formats,
        merge: true,
    };
    let started = start_run(
        state.service.jobs(),
        state.service.store(),
        &env,
        &request.recipe_id,
        options,
    )
    .map_err(recipe_error)?;
    Ok(started.into())
}

/// Resumes an interrupted, cancelled or failed run from its last written batch.
#[tauri::command]
#[specta::specta]
pub async fn recipe_run_resume(
    state: State<'_, AppState>,
    access_token: String,
    run_id: String,
    model: Option<String>,
) -> Result<RecipeRunStarted, ApiError> {
    state.authorize(&access_token)?;
    let env = environment(&state, model.as_deref())?;
    let started = resume_run(state.service.jobs(), state.service.store(), &env, &run_id)
        .map_err(recipe_error)?;
    Ok(started.into())
}

/// A recipe's runs, newest first.
#[tauri::command]
#[specta::specta]
pub fn recipe_runs(
    state: State<'_, AppState>,
    access_token: String,
    recipe_id: String,
) -> Result<Vec<RecipeRunItem>, ApiError> {
    state.authorize(&access_token)?;
    let runs = list_runs(state.service.store(), &recipe_id).map_err(recipe_error)?;
    Ok(runs.into_iter().map(RecipeRunItem::from).collect())
}

/// A page of a run's rows (`{rows, total, offset}`), written batches included while it runs.
#[tauri::command]
#[specta::specta]
pub fn recipe_run_rows(
    state: State<'_, AppState>,
    access_token: String,
    run_id: String,
    offset: u32,
    limit: u32,
) -> Result<RecipeRowsPage, ApiError> {
    state.authorize(&access_token)?;
    let run = get_run(state.service.store(), &run_id).map_err(recipe_error)?;
    let dir = PathBuf::from(run.output.unwrap_or_default());
    let page = read_run_page(&dir, u64::from(offset), limit as usize).map_err(recipe_error)?;
    Ok(RecipeRowsPage {
        rows: page
            .rows
            .into_iter()
            .map(serde_json::Value::Object)
            .collect(),
        total: page.total,
        offset: page.offset,
    })
}
