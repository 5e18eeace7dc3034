//! The Train page: start a fine-tuning run as a job, stop it (saving a checkpoint and the
//! adapter) or cancel it, list past runs with their curves, and preview which tokens of a
//! dataset the model is trained on.
//!
//! The engine, the run history and the dataset pipeline are `loris-train`'s and
//! `loris-datasets`'; their types carry no TypeScript description, so this file mirrors the ones
//! that cross to the webview as small DTOs and converts at the edge. Progress reaches the
//! webview as `job.progress` events of the service's bus (`app-event-message`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use loris_core::ApiError;
use loris_datasets::prepare::SkipReason;
use loris_datasets::{ColumnMapping, DatasetError, DatasetFormat, PreviewRow, PreviewToken};
use loris_train::TrainError;
use loris_train::config::{MethodKind, RunPaths, TrainConfig};
use loris_train::job::{StartedRun, TrainJobs};
use loris_train::lora::LoraConfig;
use loris_train::run::{DatasetSettings, RunSpec};
use loris_train::runs::{MetricRow, RunRecord};
use loris_train::schedule::Schedule;
use serde::{Deserialize, Serialize};
use specta_typescript::Number;
use tauri::State;

use crate::AppState;

/// Preview rows given when the UI asks for none, and the most it may ask for: every token of
/// every row crosses the IPC, so a preview stays a glance, not an export.
const DEFAULT_PREVIEW_ROWS: u32 = 5;
const MAX_PREVIEW_ROWS: u32 = 50;

// --- What the form sends. ---

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum TrainMethod {
    Lora,
    Full,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum LrSchedule {
    Constant,
    Linear,
    Cosine,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "lowercase")]
pub enum TrainDatasetFormat {
    Messages,
    Sharegpt,
    Alpaca,
    Text,
}

/// Column names for files that do not use the defaults; empty means the default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase", default)]
pub struct TrainColumnMapping {
    pub messages: Option<String>,
    pub conversations: Option<String>,
    pub instruction: Option<String>,
    pub input: Option<String>,
    pub output: Option<String>,
    pub text: Option<String>,
    pub system: Option<String>,
}

/// How the dataset's rows are read: a format (detected when `null`), column names, a row cap.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase", default)]
pub struct TrainDatasetSettings {
    pub format: Option<TrainDatasetFormat>,
    pub mapping: TrainColumnMapping,
    pub max_rows: Option<u32>,
}

/// The adapter's shape, for LoRA runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct TrainLoraSettings {
    pub rank: u32,
    #[specta(type = Number)]
    pub alpha: f64,
    #[specta(type = Number)]
    pub dropout: f32,
    pub rslora: bool,
    /// Hugging Face module names (`q_proj`, `down_proj`, ...).
    pub targets: Vec<String>,
}

/// A run's settings, field for field `loris_train::TrainConfig`. Decimal fields are typed as
/// plain numbers: the webview always sends one, and serde refuses `null` for them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct TrainSettings {
    pub method: TrainMethod,
    pub lora: TrainLoraSettings,
    #[specta(type = Number)]
    pub learning_rate: f64,
    pub schedule: LrSchedule,
    pub warmup_steps: u32,
    #[specta(type = Number)]
    pub weight_decay: f64,
    /// `null`: no gradient clipping.
    pub max_grad_norm: Option<f64>,
    pub batch_size: u32,
    pub grad_accum: u32,
    pub seq_len: u32,
    #[specta(type = Number)]
    pub epochs: f64,
    /// Overrides `epochs` when set.
    pub max_steps: Option<u32>,
    // A JavaScript number holds every seed a person types; larger ones are refused by serde.
    #[specta(type = Number)]
    pub seed: u64,
    pub eval_every: Option<u32>,
    #[specta(type = Number)]
    pub eval_fraction: f64,
    pub checkpoint_every: Option<u32>,
    pub gradient_checkpointing: bool,
    pub packing: bool,
    pub responses_only: bool,
}

/// Everything the Start button sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct TrainStartRequest {
    /// A Hugging Face model folder or a GGUF file.
    pub model_path: String,
    /// A JSONL, JSON, CSV or Parquet file.
    pub dataset_path: String,
    /// Where checkpoints and the adapter go; empty: `<data dir>/training/<timestamp>`.
    pub output_dir: Option<String>,
    /// A tokenizer.json for a GGUF whose own vocabulary should not be used.
    pub tokenizer_path: Option<String>,
    /// A checkpoint folder to continue from.
    pub resume_from: Option<String>,
    pub settings: TrainSettings,
    pub dataset: TrainDatasetSettings,
}

/// What a preview needs besides the two paths.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct TrainPreviewSettings {
    pub settings: TrainSettings,
    pub dataset: TrainDatasetSettings,
    pub tokenizer_path: Option<String>,
}

// --- What goes back. ---

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct TrainStarted {
    pub run_id: String,
    pub job_id: String,
}

impl From<StartedRun> for TrainStarted {
    fn from(s: StartedRun) -> Self {
        TrainStarted {
            run_id: s.run_id,
            job_id: s.job_id,
        }
    }
}

/// One run of the history.
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct TrainRun {
    pub id: String,
    pub job_id: Option<String>,
    pub model: String,
    pub dataset: String,
    pub output: String,
    /// The `TrainConfig` the run was started with, as stored.
    #[specta(type = loris_core::json_type::JsonValue)]
    pub config: serde_json::Value,
    /// `running`, `completed`, `stopped`, `cancelled`, `failed` or `interrupted`.
    pub state: String,
    #[specta(type = Option<Number>)]
    pub total_steps: Option<u64>,
    #[specta(type = Number)]
    pub last_step: u64,
    pub last_checkpoint: Option<String>,
    /// The adapter folder (LoRA) or the weights file (full fine-tuning).
    pub adapter: Option<String>,
    pub error: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<RunRecord> for TrainRun {
    fn from(r: RunRecord) -> Self {
        TrainRun {
            id: r.id,
            job_id: r.job_id,
            model: r.model,
            dataset: r.dataset,
            output: r.output,
            config: r.config,
            state: r.state,
            total_steps: r.total_steps.map(|v| v as u64),
            last_step: r.last_step as u64,
            last_checkpoint: r.last_checkpoint,
            adapter: r.adapter,
            error: r.error,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// One point of a stored curve: a training step (`kind: "train"`) or an evaluation (`"eval"`).
#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct TrainMetric {
    #[specta(type = Number)]
    pub step: u64,
    pub kind: String,
    #[specta(type = Number)]
    pub loss: f64,
    pub learning_rate: Option<f64>,
    pub grad_norm: Option<f64>,
    pub tokens_per_s: Option<f64>,
    pub elapsed_s: Option<f64>,
    #[specta(type = Option<Number>)]
    pub memory_bytes: Option<u64>,
}

impl From<MetricRow> for TrainMetric {
    fn from(m: MetricRow) -> Self {
        TrainMetric {
            step: m.step as u64,
            kind: m.kind,
            loss: m.loss,
            learning_rate: m.learning_rate,
            grad_norm: m.grad_norm,
            tokens_per_s: m.tokens_per_s,
            elapsed_s: m.elapsed_s,
            memory_bytes: m.memory_bytes,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct TrainPreviewToken {
    pub id: u32,
    /// The token decoded on its own (special tokens spelled out).
    pub text: String,
    /// Whether the model is trained to predict this token.
    pub trained: bool,
}

/// Why `prepare` would leave a row out: a stable code and a sentence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct TrainPreviewSkip {
    /// `too_long`, `empty_text`, `no_assistant_turn` or `nothing_trained`.
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct TrainPreviewRow {
    /// 1-based row number in the file.
    pub row: u32,
    /// 1-based line, for JSONL and CSV.
    pub line: Option<u32>,
    pub tokens: Vec<TrainPreviewToken>,
    pub skipped: Option<TrainPreviewSkip>,
}

fn saturating_u32(v: usize) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

impl From<PreviewToken> for TrainPreviewToken {
    fn from(t: PreviewToken) -> Self {
        TrainPreviewToken {
            id: t.id,
            text: t.text,
            trained: t.trained,
        }
    }
}

impl From<&SkipReason> for TrainPreviewSkip {
    fn from(reason: &SkipReason) -> Self {
        let code = match reason {
            SkipReason::TooLong { .. } => "too_long",
            SkipReason::EmptyText => "empty_text",
            SkipReason::NoAssistantTurn => "no_assistant_turn",
            SkipReason::NothingTrained => "nothing_trained",
        };
        TrainPreviewSkip {
            code: code.to_owned(),
            message: reason.to_string(),
        }
    }
}

impl From<PreviewRow> for TrainPreviewRow {
    fn from(r: PreviewRow) -> Self {
        TrainPreviewRow {
            row: saturating_u32(r.row),
            line: r.line.map(saturating_u32),
            skipped: r.skipped.as_ref().map(TrainPreviewSkip::from),
            tokens: r.tokens.into_iter().map(TrainPreviewToken::from).collect(),
        }
    }
}

// --- Errors. ---

/// Where a dataset error points, so the UI can name the row.
fn row_details(err: &DatasetError) -> Option<serde_json::Value> {
    err.row()
        .map(|at| serde_json::json!({ "row": at.row, "line": at.line }))
}

pub fn dataset_error(err: DatasetError) -> ApiError {
    let mut api = ApiError::new(err.code(), err.to_string());
    api.details = row_details(&err);
    api
}

pub fn train_error(err: TrainError) -> ApiError {
    let mut api = ApiError::new(err.code(), err.to_string());
    if let TrainError::Dataset(inner) = &err {
        api.details = row_details(inner);
    }
    api
}

// --- Form to engine types. ---

/// A path field: trimmed, `None` when empty.
fn optional_path(value: Option<&str>) -> Option<PathBuf> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

fn required_path(value: &str, field: &str, what: &str) -> Result<PathBuf, ApiError> {
    optional_path(Some(value))
        .ok_or_else(|| loris_core::Error::invalid(field, format!("give {what}")).into())
}

impl From<TrainDatasetFormat> for DatasetFormat {
    fn from(f: TrainDatasetFormat) -> Self {
        match f {
            TrainDatasetFormat::Messages => DatasetFormat::Messages,
            TrainDatasetFormat::Sharegpt => DatasetFormat::ShareGpt,
            TrainDatasetFormat::Alpaca => DatasetFormat::Alpaca,
            TrainDatasetFormat::Text => DatasetFormat::Text,
        }
    }
}

/// An empty column name means "the default", as a blank form field does.
fn column(name: &Option<String>) -> Option<String> {
    name.as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
}

impl From<&TrainDatasetSettings> for DatasetSettings {
    fn from(d: &TrainDatasetSettings) -> Self {
        let m = &d.mapping;
        DatasetSettings {
            format: d.format.map(DatasetFormat::from),
            mapping: ColumnMapping {
                messages: column(&m.messages),
                conversations: column(&m.conversations),
                instruction: column(&m.instruction),
                input: column(&m.input),
                output: column(&m.output),
                text: column(&m.text),
                system: column(&m.system),
            },
            max_rows: d.max_rows.map(|n| n as usize),
        }
    }
}

impl From<&TrainSettings> for TrainConfig {
    fn from(s: &TrainSettings) -> Self {
        TrainConfig {
            method: match s.method {
                TrainMethod::Lora => MethodKind::Lora,
                TrainMethod::Full => MethodKind::Full,
            },
            lora: LoraConfig {
                rank: s.lora.rank as usize,
                alpha: s.lora.alpha,
                dropout: s.lora.dropout,
                rslora: s.lora.rslora,
                targets: s
                    .lora
                    .targets
                    .iter()
                    .map(|t| t.trim())
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned)
                    .collect(),
            },
            learning_rate: s.learning_rate,
            schedule: match s.schedule {
                LrSchedule::Constant => Schedule::Constant,
                LrSchedule::Linear => Schedule::Linear,
                LrSchedule::Cosine => Schedule::Cosine,
            },
            warmup_steps: s.warmup_steps as usize,
            weight_decay: s.weight_decay,
            max_grad_norm: s.max_grad_norm,
            batch_size: s.batch_size as usize,
            grad_accum: s.grad_accum as usize,
            seq_len: s.seq_len as usize,
            epochs: s.epochs,
            max_steps: s.max_steps.map(|n| n as usize),
            seed: s.seed,
            eval_every: s.eval_every.map(|n| n as usize),
            eval_fraction: s.eval_fraction,
            checkpoint_every: s.checkpoint_every.map(|n| n as usize),
            gradient_checkpointing: s.gradient_checkpointing,
            packing: s.packing,
            responses_only: s.responses_only,
        }
    }
}

/// `<data dir>/training/<UTC time>`, with a suffix when that folder already exists (two runs
/// started within the same second must not share checkpoints). Colons are left out: they are
/// not allowed in Windows file names.
pub fn default_output_dir(data_root: &Path, now_rfc3339: &str) -> PathBuf {
    let stamp: String = now_rfc3339
        .split('.')
        .next()
        .unwrap_or(now_rfc3339)
        .trim_end_matches('Z')
        .chars()
        .map(|c| if c == ':' { '-' } else { c })
        .collect();
    let base = data_root.join("training");
    let first = base.join(&stamp);
    if !first.exists() {
        return first;
    }
    (2u32..)
        .map(|n| base.join(format!("{stamp}-{n}")))
        .find(|p| !p.exists())
        .unwrap_or(first)
}

/// The form as a run of the engine, checked: paths given, settings valid. The device is the
/// engine's default (GPU 0 when the build has CUDA and one answers, else the CPU).
pub fn run_spec(request: &TrainStartRequest, data_root: &Path) -> Result<RunSpec, ApiError> {
    let model = required_path(
        &request.model_path,
        "modelPath",
        "a model folder or GGUF file",
    )?;
    let dataset = required_path(&request.dataset_path, "datasetPath", "a dataset file")?;
    let output = optional_path(request.output_dir.as_deref())
        .unwrap_or_else(|| default_output_dir(data_root, &loris_core::time_fmt::now_rfc3339()));
    let config = TrainConfig::from(&request.settings);
    // The job manager checks this too; checking here refuses a bad form before a run row is
    // written for it.
    config.validate().map_err(train_error)?;
    Ok(RunSpec {
        paths: RunPaths {
            model,
            dataset,
            output,
        },
        config,
        dataset: DatasetSettings::from(&request.dataset),
        device: loris_infer::device::default_device(),
        tokenizer: optional_path(request.tokenizer_path.as_deref()),
        resume: optional_path(request.resume_from.as_deref()),
    })
}

/// Checks the form, records the run and starts it as a job of the service's job manager.
pub fn start_run(
    train: &Arc<TrainJobs>,
    service: &loris_core::Service,
    request: &TrainStartRequest,
) -> Result<TrainStarted, ApiError> {
    let spec = run_spec(request, service.data_dir().root())?;
    let started = train
        .start(service.jobs(), service.store(), spec)
        .map_err(train_error)?;
    Ok(started.into())
}

/// The first `rows` rows of the dataset as training tokenizes them. Blocking: reads the
/// tokenizer and the file.
pub fn preview_rows(
    model: &str,
    dataset: &str,
    settings: &TrainSettings,
    dataset_settings: &TrainDatasetSettings,
    tokenizer: Option<&str>,
    rows: u32,
) -> Result<Vec<TrainPreviewRow>, ApiError> {
    let model = required_path(model, "model", "a model folder or GGUF file")?;
    let dataset = required_path(dataset, "dataset", "a dataset file")?;
    let tokenizer = optional_path(tokenizer);
    let config = TrainConfig::from(settings);
    let assets =
        loris_train::run::text_assets(&model, tokenizer.as_deref()).map_err(train_error)?;
    let options =
        loris_train::run::prepare_options(&config, &DatasetSettings::from(dataset_settings));
    let rows = match rows {
        0 => DEFAULT_PREVIEW_ROWS,
        n => n.min(MAX_PREVIEW_ROWS),
    };
    let preview = loris_datasets::preview(&dataset, &assets, &options, rows as usize)
        .map_err(dataset_error)?;
    Ok(preview.into_iter().map(TrainPreviewRow::from).collect())
}

/// A run's stored curve; `not_found` for a run the history does not have.
pub fn run_metrics(store: &loris_core::Store, run_id: &str) -> Result<Vec<TrainMetric>, ApiError> {
    if loris_train::runs::get(store, run_id)
        .map_err(train_error)?
        .is_none()
    {
        return Err(loris_core::Error::NotFound {
            kind: "training run",
            id: run_id.to_owned(),
        }
        .into());
    }
    let rows = loris_train::runs::metrics(store, run_id).map_err(train_error)?;
    Ok(rows.into_iter().map(TrainMetric::from).collect())
}

/// Marks runs of an earlier process that never finished `interrupted`; once, at start-up.
pub fn recover(store: &loris_core::Store) {
    match loris_train::runs::mark_interrupted(store) {
        Ok(0) => {}
        Ok(count) => tracing::info!(count, "training runs cut short marked interrupted"),
        Err(err) => tracing::warn!(error = %err, "could not mark interrupted training runs"),
    }
}

// --- Commands. ---

/// Starts a run as a job; progress arrives as `job.progress` events with the run's id.
#[tauri::command]
#[specta::specta]
pub async fn train_start(
    state: State<'_, AppState>,
    access_token: String,
    request: TrainStartRequest,
) -> Result<TrainStarted, ApiError> {
    state.authorize(&access_token)?;
    // Async so that the job manager finds the tokio runtime it spawns on.
    start_run(&state.train, &state.service, &request)
}

/// Asks a running job to stop after its step, writing a checkpoint and the adapter. `false`
/// when no such training job is running.
#[tauri::command]
#[specta::specta]
pub fn train_stop(
    state: State<'_, AppState>,
    access_token: String,
    job_id: String,
) -> Result<bool, ApiError> {
    state.authorize(&access_token)?;
    Ok(state.train.stop_and_save(&job_id))
}

/// Ends a running job after its step, writing nothing more.
#[tauri::command]
#[specta::specta]
pub fn train_cancel(
    state: State<'_, AppState>,
    access_token: String,
    job_id: String,
) -> Result<(), ApiError> {
    state.authorize(&access_token)?;
    Ok(state.service.jobs().cancel(&job_id)?)
}

/// Every run, newest first.
#[tauri::command]
#[specta::specta]
pub fn train_runs(
    state: State<'_, AppState>,
    access_token: String,
) -> Result<Vec<TrainRun>, ApiError> {
    state.authorize(&access_token)?;
    let runs = loris_train::runs::list(state.service.store()).map_err(train_error)?;
    Ok(runs.into_iter().map(TrainRun::from).collect())
}

/// A run's stored curve: its training steps, then its evaluations.
#[tauri::command]
#[specta::specta]
pub fn train_metrics(
    state: State<'_, AppState>,
    access_token: String,
    run_id: String,
) -> Result<Vec<TrainMetric>, ApiError> {
    state.authorize(&access_token)?;
    run_metrics(state.service.store(), &run_id)
}

/// The first rows of a dataset as training sees them, each token marked trained or not.
#[tauri::command]
#[specta::specta]
pub async fn train_preview(
    state: State<'_, AppState>,
    access_token: String,
    model: String,
    dataset: String,
    settings: TrainPreviewSettings,
    rows: u32,
) -> Result<Vec<TrainPreviewRow>, ApiError> {
    state.authorize(&access_token)?;
    let task = tauri::async_runtime::spawn_blocking(move || {
        preview_rows(
            &model,
            &dataset,
            &settings.settings,
            &settings.dataset,
            settings.tokenizer_path.as_deref(),
            rows,
        )
    });
    match task.await {
        Ok(result) => result,
        Err(err) => Err(ApiError::new(
            "internal",
            format!("preview task failed: {err}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> TrainSettings {
        TrainSettings {
            method: TrainMethod::Lora,
            lora: TrainLoraSettings {
                rank: 8,
                alpha: 16.0,
                dropout: 0.05,
                rslora: true,
                targets: vec![" q_proj ".into(), "".into(), "v_proj".into()],
            },
            learning_rate: 1e-4,
            schedule: LrSchedule::Cosine,
            warmup_steps: 3,
            weight_decay: 0.0,
            max_grad_norm: None,
            batch_size: 1,
            grad_accum: 2,
            seq_len: 256,
            epochs: 2.0,
            max_steps: Some(40),
            seed: 7,
            eval_every: Some(10),
            eval_fraction: 0.1,
            checkpoint_every: Some(20),
            gradient_checkpointing: false,
            packing: false,
            responses_only: false,
        }
    }

    fn request() -> TrainStartRequest {
        TrainStartRequest {
            model_path: " /models/smol ".into(),
            dataset_path: "/data/chat.jsonl".into(),
            output_dir: Some("/out/run".into()),
            tokenizer_path: Some("  ".into()),
            resume_from: Some("/out/run/checkpoint-20".into()),
            settings: settings(),
            dataset: TrainDatasetSettings {
                format: Some(TrainDatasetFormat::Sharegpt),
                mapping: TrainColumnMapping {
                    conversations: Some("dialog".into()),
                    system: Some(" ".into()),
                    ..TrainColumnMapping::default()
                },
                max_rows: Some(100),
            },
        }
    }

    #[test]
    fn the_form_becomes_a_run_spec_field_for_field() {
        let root = tempfile::tempdir().unwrap();
        let spec = run_spec(&request(), root.path()).unwrap();
        assert_eq!(spec.paths.model, PathBuf::from("/models/smol"));
        assert_eq!(spec.paths.dataset, PathBuf::from("/data/chat.jsonl"));
        assert_eq!(spec.paths.output, PathBuf::from("/out/run"));
        assert_eq!(spec.tokenizer, None, "a blank path is no path");
        assert_eq!(spec.resume, Some(PathBuf::from("/out/run/checkpoint-20")));
        let expected = TrainConfig {
            method: MethodKind::Lora,
            lora: LoraConfig {
                rank: 8,
                alpha: 16.0,
                dropout: 0.05,
                rslora: true,
                targets: vec!["q_proj".into(), "v_proj".into()],
            },
            learning_rate: 1e-4,
            schedule: Schedule::Cosine,
            warmup_steps: 3,
            weight_decay: 0.0,
            max_grad_norm: None,
            batch_size: 1,
            grad_accum: 2,
            seq_len: 256,
            epochs: 2.0,
            max_steps: Some(40),
            seed: 7,
            eval_every: Some(10),
            eval_fraction: 0.1,
            checkpoint_every: Some(20),
            gradient_checkpointing: false,
            packing: false,
            responses_only: false,
        };
        assert_eq!(spec.config, expected);
        assert_eq!(spec.dataset.format, Some(DatasetFormat::ShareGpt));
        assert_eq!(
            spec.dataset.mapping,
            ColumnMapping {
                conversations: Some("dialog".into()),
                ..ColumnMapping::default()
            }
        );
        assert_eq!(spec.dataset.max_rows, Some(100));
    }

    #[test]
    fn the_form_reads_the_camel_case_json_the_webview_sends() {
        let json = serde_json::json!({
            "modelPath": "/m", "datasetPath": "/d.jsonl", "outputDir": null,
            "tokenizerPath": null, "resumeFrom": null,
            "settings": {
                "method": "full",
                "lora": { "rank": 16, "alpha": 16.0, "dropout": 0.0, "rslora": false, "targets": ["q_proj"] },
                "learningRate": 2e-4, "schedule": "linear", "warmupSteps": 5, "weightDecay": 0.01,
                "maxGradNorm": 1.0, "batchSize": 2, "gradAccum": 4, "seqLen": 2048, "epochs": 1.0,
                "maxSteps": null, "seed": 3407, "evalEvery": null, "evalFraction": 0.0,
                "checkpointEvery": null, "gradientCheckpointing": true, "packing": true,
                "responsesOnly": true
            },
            "dataset": { "format": null, "mapping": {}, "maxRows": null }
        });
        let request: TrainStartRequest = serde_json::from_value(json).unwrap();
        let root = tempfile::tempdir().unwrap();
        let spec = run_spec(&request, root.path()).unwrap();
        assert_eq!(spec.config.method, MethodKind::Full);
        assert_eq!(spec.dataset.format, None);
        // The defaults of the form are the engine's defaults.
        let defaults = TrainConfig {
            method: MethodKind::Full,
            lora: LoraConfig {
                targets: vec!["q_proj".into()],
                ..LoraConfig::default()
            },
            ..TrainConfig::default()
        };
        assert_eq!(spec.config, defaults);
    }

    #[test]
    fn an_empty_output_folder_goes_under_the_data_dir_by_time() {
        let root = tempfile::tempdir().unwrap();
        let mut req = request();
        req.output_dir = Some(" ".into());
        let spec = run_spec(&req, root.path()).unwrap();
        assert!(spec.paths.output.starts_with(root.path().join("training")));

        let first = default_output_dir(root.path(), "2025-03-04T05:06:07.123456Z");
        assert_eq!(first, root.path().join("training/2025-03-04T05-06-07"));
        std::fs::create_dir_all(&first).unwrap();
        let second = default_output_dir(root.path(), "2025-03-04T05:06:07.9Z");
        assert_eq!(second, root.path().join("training/2025-03-04T05-06-07-2"));
    }

    #[test]
    fn a_bad_setting_is_refused_with_its_code() {
        let root = tempfile::tempdir().unwrap();
        let mut req = request();
        req.settings.lora.rank = 0;
        let err = run_spec(&req, root.path()).unwrap_err();
        assert_eq!(err.code, "train_invalid_config");
        assert!(err.message.contains("rank"), "{}", err.message);

        let mut req = request();
        req.settings.learning_rate = 0.0;
        assert_eq!(
            run_spec(&req, root.path()).unwrap_err().code,
            "train_invalid_config"
        );

        let mut req = request();
        req.settings.lora.targets = vec![" ".into()];
        assert_eq!(
            run_spec(&req, root.path()).unwrap_err().code,
            "train_invalid_config"
        );

        let mut req = request();
        req.model_path = "  ".into();
        let err = run_spec(&req, root.path()).unwrap_err();
        assert_eq!(err.code, "invalid_input");
    }

    #[test]
    fn engine_errors_keep_their_codes_and_rows() {
        let err = train_error(TrainError::InvalidConfig("no".into()));
        assert_eq!(err.code, "train_invalid_config");
        assert_eq!(err.message, "invalid training setting: no");
        assert_eq!(err.details, None);

        let bad_row = || DatasetError::BadRow {
            at: loris_datasets::RowRef {
                row: 3,
                line: Some(4),
            },
            reason: "not an object".into(),
        };
        let err = dataset_error(bad_row());
        assert_eq!(err.code, "dataset_bad_row");
        assert_eq!(
            err.details,
            Some(serde_json::json!({ "row": 3, "line": 4 }))
        );
        let err = train_error(TrainError::Dataset(bad_row()));
        assert_eq!(err.code, "dataset_bad_row");
        assert_eq!(
            err.details,
            Some(serde_json::json!({ "row": 3, "line": 4 }))
        );
    }

    fn service() -> (tempfile::TempDir, loris_core::Service) {
        let home = tempfile::tempdir().unwrap();
        let service = loris_core::Service::open(loris_core::DataDir::at(home.path())).unwrap();
        (home, service)
    }

    fn insert_run(store: &loris_core::Store, id: &str) {
        let config = serde_json::to_value(TrainConfig::default()).unwrap();
        loris_train::runs::insert(
            store,
            &loris_train::runs::NewRun {
                id,
                job_id: None,
                model: "/m",
                dataset: "/d.jsonl",
                output: "/out",
                config: &config,
            },
        )
        .unwrap();
    }

    #[test]
    fn history_lists_runs_and_their_curves() {
        let (_home, service) = service();
        let store = service.store();
        assert_eq!(
            run_metrics(store, "run-missing").unwrap_err().code,
            "not_found"
        );
        insert_run(store, "run-1");
        for step in 1..=2 {
            let metrics = loris_train::StepMetrics {
                step,
                total_steps: 4,
                epoch: 0.5,
                loss: 3.0 / step as f64,
                learning_rate: 1e-4,
                grad_norm: 0.5,
                tokens_per_s: 100.0,
                trained_tokens: 10,
                elapsed_s: step as f64,
                eta_s: 2.0,
                memory_bytes: Some(1 << 20),
            };
            loris_train::runs::record_step(store, "run-1", &metrics).unwrap();
        }
        loris_train::runs::record_eval(store, "run-1", 2, 1.25).unwrap();

        let metrics = run_metrics(store, "run-1").unwrap();
        let points: Vec<(&str, u64, f64)> = metrics
            .iter()
            .map(|m| (m.kind.as_str(), m.step, m.loss))
            .collect();
        assert_eq!(
            points,
            vec![("train", 1, 3.0), ("train", 2, 1.5), ("eval", 2, 1.25)]
        );
        assert_eq!(metrics[0].memory_bytes, Some(1 << 20));

        let runs: Vec<TrainRun> = loris_train::runs::list(store)
            .unwrap()
            .into_iter()
            .map(TrainRun::from)
            .collect();
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].state, "running");
        assert_eq!((runs[0].last_step, runs[0].total_steps), (2, Some(4)));
    }

    #[test]
    fn runs_of_an_earlier_process_read_interrupted() {
        let (_home, service) = service();
        insert_run(service.store(), "run-1");
        recover(service.store());
        let run = loris_train::runs::get(service.store(), "run-1")
            .unwrap()
            .unwrap();
        assert_eq!(run.state, "interrupted");
    }

    /// Waits for a run to leave `running`, or fails after two minutes.
    async fn finished(store: &loris_core::Store, run_id: &str) -> RunRecord {
        for _ in 0..1200 {
            let run = loris_train::runs::get(store, run_id).unwrap().unwrap();
            if run.state != "running" {
                return run;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("run {run_id} still running after two minutes");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_run_that_cannot_load_its_model_fails_with_the_reason() {
        let (_home, service) = service();
        let train = Arc::new(TrainJobs::default());
        let mut req = request();
        req.model_path = "/nowhere/model.gguf".into();
        req.resume_from = None;
        let started = start_run(&train, &service, &req).unwrap();
        let run = finished(service.store(), &started.run_id).await;
        assert_eq!(run.state, "failed");
        assert_eq!(run.job_id.as_deref(), Some(started.job_id.as_str()));
        assert!(run.error.is_some());
        // The job manager records the outcome just after the run row.
        for _ in 0..100 {
            if service.jobs().get(&started.job_id).unwrap().state != loris_core::JobState::Running {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let job = service.jobs().get(&started.job_id).unwrap();
        assert_eq!(job.state, loris_core::JobState::Failed);
    }

    /// The starter model from the fixture cache, when this machine has it.
    fn starter_model() -> Option<PathBuf> {
        let places = crate::commands::models::starter_model_places(
            Path::new("/nonexistent"),
            std::env::var_os("LORIS_FIXTURES"),
            std::env::var_os("HOME").map(PathBuf::from),
        );
        places.into_iter().find(|p| p.is_file())
    }

    #[test]
    fn preview_marks_the_assistant_tokens_trained() {
        let Some(model) = starter_model() else {
            eprintln!("skipped: the starter model is not in the fixture cache");
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("chat.jsonl");
        let row = serde_json::json!({ "messages": [
            { "role": "user", "content": "Capital of France?" },
            { "role": "assistant", "content": "Paris." }
        ] });
        std::fs::write(&data, format!("{row}\n{row}\n")).unwrap();
        let mut s = settings();
        s.responses_only = true;
        let rows = preview_rows(
            &model.to_string_lossy(),
            &data.to_string_lossy(),
            &s,
            &TrainDatasetSettings::default(),
            None,
            1,
        )
        .unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].row, 1);
        let trained: String = rows[0]
            .tokens
            .iter()
            .filter(|t| t.trained)
            .map(|t| t.text.as_str())
            .collect();
        assert!(trained.contains("Paris"), "{trained:?}");
        assert!(rows[0].tokens.iter().any(|t| !t.trained));

        let err = preview_rows(
            &model.to_string_lossy(),
            &dir.path().join("missing.jsonl").to_string_lossy(),
            &s,
            &TrainDatasetSettings::default(),
            None,
            1,
        )
        .unwrap_err();
        assert!(err.code.starts_with("dataset_"), "{}", err.code);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_real_run_reports_steps_and_stops_with_its_adapter_saved() {
        let Some(model) = starter_model() else {
            eprintln!("skipped: the starter model is not in the fixture cache");
            return;
        };
        let (home, service) = service();
        let data = home.path().join("chat.jsonl");
        let rows: Vec<String> = (0..8)
            .map(|i| {
                serde_json::json!({ "messages": [
                    { "role": "user", "content": format!("What is {i} plus {i}?") },
                    { "role": "assistant", "content": format!("{i} plus {i} is {}.", 2 * i) }
                ] })
                .to_string()
            })
            .collect();
        std::fs::write(&data, rows.join("\n")).unwrap();
        let mut req = request();
        req.model_path = model.to_string_lossy().into_owned();
        req.dataset_path = data.to_string_lossy().into_owned();
        req.output_dir = None;
        req.resume_from = None;
        req.dataset = TrainDatasetSettings::default();
        req.settings.lora.targets = vec!["q_proj".into(), "v_proj".into()];
        req.settings.seq_len = 64;
        req.settings.max_steps = Some(50);
        req.settings.eval_every = None;
        req.settings.eval_fraction = 0.0;
        req.settings.checkpoint_every = None;
        req.settings.responses_only = true;

        let mut events = service.events().subscribe();
        let train = Arc::new(TrainJobs::default());
        let started = start_run(&train, &service, &req).unwrap();
        // Stop and save once the first step is reported.
        let first = loop {
            let event = tokio::time::timeout(std::time::Duration::from_secs(120), events.recv())
                .await
                .expect("a step within two minutes")
                .unwrap();
            if event.kind == "job.progress" && event.payload["kind"] == "step" {
                break event;
            }
        };
        assert_eq!(first.job_id.as_deref(), Some(started.job_id.as_str()));
        assert_eq!(first.payload["runId"], started.run_id.as_str());
        assert_eq!(first.payload["metrics"]["totalSteps"], 50);
        assert!(first.payload["metrics"]["loss"].as_f64().unwrap() > 0.0);
        assert!(train.stop_and_save(&started.job_id));

        let run = finished(service.store(), &started.run_id).await;
        assert_eq!(run.state, "stopped", "{:?}", run.error);
        assert!(run.last_step >= 1 && run.last_step < 50);
        let adapter = PathBuf::from(run.adapter.expect("the adapter is saved"));
        assert!(adapter.join("adapter_config.json").is_file());
        assert!(adapter.starts_with(home.path().join("training")));
        let metrics = run_metrics(service.store(), &started.run_id).unwrap();
        assert_eq!(metrics.len(), run.last_step);
    }
}
