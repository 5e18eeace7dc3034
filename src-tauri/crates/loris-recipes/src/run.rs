//! Full runs: rows generated a batch at a time and written under a run folder, so a run that
//! is killed resumes from its last completed batch.
//!
//! ```text
//! <run>/run.json                       the manifest: settings, fingerprint, completed batches
//! <run>/batches/batch_00000.{jsonl,parquet}
//! <run>/processors/<name>/batch_00000.{jsonl,parquet}
//! <run>/dataset.{jsonl,parquet}        the batches merged, when asked
//! ```
//!
//! A batch's files are written (each atomically) before the manifest lists the batch, and the
//! manifest is replaced atomically, so a crash leaves either a listed batch with its files or
//! an unlisted one that the next run writes again: never a batch counted twice.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{RecipeError, Result};
use crate::format::RecipeDocument;
use crate::generate::{
    BatchControl, ErrorGate, GenerateOptions, Generator, ModelUsage, Row, SeedRows,
};
use crate::providers::LlmProvider;

pub const MANIFEST: &str = "run.json";
/// Data Designer's default `buffer_size`.
pub const DEFAULT_BATCH_SIZE: usize = 1000;
/// Column progress events per column and batch, at most (plus the last one).
const COLUMN_EVENTS: usize = 20;
/// The most rows one run may ask for.
pub const MAX_RUN_ROWS: usize = 10_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputFormat {
    Jsonl,
    Parquet,
}

impl OutputFormat {
    pub fn extension(self) -> &'static str {
        match self {
            OutputFormat::Jsonl => "jsonl",
            OutputFormat::Parquet => "parquet",
        }
    }

    /// Reads `run.output_formats` (a list of names); unknown names are refused.
    pub fn parse_list(value: Option<&serde_json::Value>) -> Result<Vec<OutputFormat>> {
        let Some(value) = value else {
            return Ok(vec![OutputFormat::Jsonl, OutputFormat::Parquet]);
        };
        let names: Vec<&str> = match value {
            serde_json::Value::String(s) => vec![s.as_str()],
            serde_json::Value::Array(items) => items.iter().filter_map(|v| v.as_str()).collect(),
            _ => Vec::new(),
        };
        let mut out = Vec::new();
        for name in names {
            let format = match name.to_ascii_lowercase().as_str() {
                "jsonl" | "json" => OutputFormat::Jsonl,
                "parquet" => OutputFormat::Parquet,
                other => {
                    return Err(RecipeError::InvalidOption {
                        field: "output_formats",
                        reason: format!("`{other}` is not jsonl or parquet"),
                    });
                }
            };
            if !out.contains(&format) {
                out.push(format);
            }
        }
        if out.is_empty() {
            out.push(OutputFormat::Jsonl);
        }
        Ok(out)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunOptions {
    pub rows: usize,
    pub batch_size: usize,
    pub seed: u64,
    pub max_attempts: u32,
    pub formats: Vec<OutputFormat>,
    /// Merge the batches into `dataset.*` when the run completes.
    pub merge: bool,
}

impl RunOptions {
    /// The options a recipe's `run` section asks for: `rows`, `output_formats`,
    /// `merge_batches` and `run_config.buffer_size`.
    pub fn from_document(doc: &RecipeDocument) -> Result<Self> {
        let run = doc.run.as_ref();
        let run_config = run.and_then(|r| r.run_config.as_ref());
        let batch_size = run_config
            .and_then(|c| c.get("buffer_size"))
            .and_then(serde_json::Value::as_u64)
            .map(|b| b as usize)
            .unwrap_or(DEFAULT_BATCH_SIZE);
        Ok(RunOptions {
            rows: run.and_then(|r| r.rows).unwrap_or(10) as usize,
            batch_size,
            seed: 0,
            max_attempts: 3,
            formats: OutputFormat::parse_list(run.and_then(|r| r.output_formats.as_ref()))?,
            merge: run.and_then(|r| r.merge_batches).unwrap_or(true),
        })
    }

    fn check(&self) -> Result<()> {
        if self.rows == 0 || self.rows > MAX_RUN_ROWS {
            return Err(RecipeError::InvalidOption {
                field: "rows",
                reason: format!("expected 1 to {MAX_RUN_ROWS} rows"),
            });
        }
        if self.batch_size == 0 || self.batch_size > 100_000 {
            return Err(RecipeError::InvalidOption {
                field: "batch_size",
                reason: "expected 1 to 100000 rows per batch".to_string(),
            });
        }
        if self.formats.is_empty() {
            return Err(RecipeError::InvalidOption {
                field: "output_formats",
                reason: "at least one output format".to_string(),
            });
        }
        Ok(())
    }

    fn batches(&self) -> usize {
        self.rows.div_ceil(self.batch_size)
    }
}

/// One event of a run, in order.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RunEvent {
    Started {
        total_rows: usize,
        batch_size: usize,
        batches: usize,
        /// Batches already written by an earlier attempt of this run.
        resumed_batches: usize,
        rows_done: usize,
    },
    Column {
        batch: usize,
        column: String,
        done: usize,
        total: usize,
    },
    Batch {
        batch: usize,
        rows_done: usize,
        total_rows: usize,
        failed_rows: usize,
        rows_per_second: f64,
        eta_seconds: Option<f64>,
        usage: BTreeMap<String, ModelUsage>,
    },
    Merged {
        files: Vec<PathBuf>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchRecord {
    pub index: usize,
    pub rows: usize,
    pub failed_rows: usize,
}

/// `run.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub version: u32,
    pub fingerprint: String,
    pub rows: usize,
    pub batch_size: usize,
    pub seed: u64,
    pub formats: Vec<OutputFormat>,
    pub columns: Vec<String>,
    pub processors: Vec<String>,
    pub batches: Vec<BatchRecord>,
    pub usage: BTreeMap<String, ModelUsage>,
    pub completed: bool,
}

impl Manifest {
    pub fn read(dir: &Path) -> Result<Option<Manifest>> {
        let path = dir.join(MANIFEST);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(io_error(&path, source)),
        };
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| RecipeError::RunDamaged {
                path: dir.display().to_string(),
                reason: format!("{MANIFEST}: {e}"),
            })
    }

    fn write(&self, dir: &Path) -> Result<()> {
        let path = dir.join(MANIFEST);
        let tmp = dir.join(format!(".{MANIFEST}.tmp"));
        let text = serde_json::to_string_pretty(self).map_err(|e| RecipeError::RunDamaged {
            path: dir.display().to_string(),
            reason: e.to_string(),
        })?;
        write_synced(&tmp, text.as_bytes())?;
        std::fs::rename(&tmp, &path).map_err(|e| io_error(&path, e))
    }

    pub fn rows_written(&self) -> usize {
        self.batches.iter().map(|b| b.rows).sum()
    }

    pub fn failed_rows(&self) -> usize {
        self.batches.iter().map(|b| b.failed_rows).sum()
    }
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut file = std::fs::File::create(path).map_err(|e| io_error(path, e))?;
    file.write_all(bytes).map_err(|e| io_error(path, e))?;
    file.sync_all().map_err(|e| io_error(path, e))
}

fn io_error(path: &Path, source: std::io::Error) -> RecipeError {
    RecipeError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// What a run must match to be resumed: the recipe itself, the settings that decide which rows
/// it generates, and the files each batch has.
pub fn fingerprint(doc: &RecipeDocument, options: &RunOptions) -> String {
    let mut hasher = Sha256::new();
    hasher.update(serde_json::to_string(&doc.recipe).unwrap_or_default());
    let formats: Vec<&str> = options.formats.iter().map(|f| f.extension()).collect();
    hasher.update(format!(
        "|rows={}|batch={}|seed={}|formats={}",
        options.rows,
        options.batch_size,
        options.seed,
        formats.join(",")
    ));
    let digest = hasher.finalize();
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn batch_file(dir: &Path, index: usize, format: OutputFormat) -> PathBuf {
    dir.join("batches")
        .join(format!("batch_{index:05}.{}", format.extension()))
}

fn processor_batch_file(dir: &Path, name: &str, index: usize, format: OutputFormat) -> PathBuf {
    dir.join("processors")
        .join(name)
        .join(format!("batch_{index:05}.{}", format.extension()))
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunSummary {
    pub output_dir: PathBuf,
    pub rows_written: usize,
    pub failed_rows: usize,
    pub batches: usize,
    pub resumed_batches: usize,
    pub usage: BTreeMap<String, ModelUsage>,
    /// The merged files, when the run merged its batches.
    pub merged: Vec<PathBuf>,
}

/// Everything a full run reads.
pub struct RunInputs<'a> {
    pub doc: &'a RecipeDocument,
    pub options: &'a RunOptions,
    pub llm: Option<&'a dyn LlmProvider>,
    pub seed_rows: Option<&'a dyn SeedRows>,
}

/// Generates the run's missing batches into `dir` (created if needed), resuming a run that
/// was interrupted. Stops early, keeping what is written, when `cancelled` is set.
pub fn run_full(
    inputs: &RunInputs<'_>,
    dir: &Path,
    cancelled: &AtomicBool,
    on_event: &(dyn Fn(RunEvent) + Sync),
) -> Result<RunSummary> {
    let options = inputs.options;
    options.check()?;
    let generator = Generator::new(
        inputs.doc,
        inputs.llm,
        inputs.seed_rows,
        GenerateOptions {
            seed: options.seed,
            max_attempts: options.max_attempts,
            strict: false,
        },
    )?;
    std::fs::create_dir_all(dir.join("batches")).map_err(|e| io_error(dir, e))?;
    let fingerprint = fingerprint(inputs.doc, options);
    let mut manifest = match Manifest::read(dir)? {
        Some(existing) if existing.fingerprint != fingerprint => {
            return Err(RecipeError::RunMismatch {
                path: dir.display().to_string(),
                reason: format!(
                    "it was started with {} rows, batches of {}, seed {} and formats {:?}; use \
                     another output folder for a changed recipe",
                    existing.rows, existing.batch_size, existing.seed, existing.formats
                ),
            });
        }
        Some(mut existing) => {
            // A listed batch whose files went missing is written again.
            existing.batches.retain(|b| {
                existing
                    .formats
                    .iter()
                    .all(|f| batch_file(dir, b.index, *f).is_file())
            });
            existing
        }
        None => Manifest {
            version: 1,
            fingerprint,
            rows: options.rows,
            batch_size: options.batch_size,
            seed: options.seed,
            formats: options.formats.clone(),
            columns: generator.columns(),
            processors: generator.processor_names(),
            batches: Vec::new(),
            usage: BTreeMap::new(),
            completed: false,
        },
    };
    manifest.write(dir)?;

    let total_batches = options.batches();
    let resumed_batches = manifest.batches.len();
    on_event(RunEvent::Started {
        total_rows: options.rows,
        batch_size: options.batch_size,
        batches: total_batches,
        resumed_batches,
        rows_done: manifest.rows_written(),
    });
    let gate =
        ErrorGate::from_run_config(inputs.doc.run.as_ref().and_then(|r| r.run_config.as_ref()));
    let started = Instant::now();
    let mut generated_here = 0usize;
    for index in 0..total_batches {
        if manifest.batches.iter().any(|b| b.index == index) {
            continue;
        }
        if cancelled.load(Ordering::SeqCst) {
            return Err(RecipeError::Cancelled);
        }
        let range =
            index * options.batch_size..((index + 1) * options.batch_size).min(options.rows);
        let wanted = range.len();
        // About twenty column events per column and batch: enough for a progress bar, few
        // enough that a long run does not fill the event log.
        let on_column = |column: &str, done: usize, total: usize| {
            if done == total || done.is_multiple_of((total / COLUMN_EVENTS).max(1)) {
                on_event(RunEvent::Column {
                    batch: index,
                    column: column.to_string(),
                    done,
                    total,
                })
            }
        };
        let control = BatchControl {
            cancelled,
            gate: &gate,
            on_column: &on_column,
        };
        let batch = generator.generate(range, &control)?;
        for format in &options.formats {
            write_rows(
                &batch_file(dir, index, *format),
                &manifest.columns,
                &batch.rows,
            )?;
            for (name, rows) in &batch.processor_outputs {
                let path = processor_batch_file(dir, name, index, *format);
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent).map_err(|e| io_error(parent, e))?;
                }
                write_rows(&path, &columns_of(rows), rows)?;
            }
        }
        manifest.batches.push(BatchRecord {
            index,
            rows: batch.rows.len(),
            failed_rows: batch.failures.len(),
        });
        manifest.batches.sort_by_key(|b| b.index);
        for (alias, usage) in &batch.usage {
            manifest.usage.entry(alias.clone()).or_default().add(usage);
        }
        manifest.write(dir)?;

        generated_here += wanted;
        let elapsed = started.elapsed().as_secs_f64().max(1e-9);
        let rate = generated_here as f64 / elapsed;
        let remaining: usize = (0..total_batches)
            .filter(|i| !manifest.batches.iter().any(|b| b.index == *i))
            .map(|i| ((i + 1) * options.batch_size).min(options.rows) - i * options.batch_size)
            .sum();
        on_event(RunEvent::Batch {
            batch: index,
            rows_done: manifest.rows_written(),
            total_rows: options.rows,
            failed_rows: manifest.failed_rows(),
            rows_per_second: rate,
            eta_seconds: (rate > 0.0).then(|| remaining as f64 / rate),
            usage: manifest.usage.clone(),
        });
    }

    manifest.completed = true;
    manifest.write(dir)?;
    let merged = if options.merge {
        let files = merge_run(dir)?;
        on_event(RunEvent::Merged {
            files: files.clone(),
        });
        files
    } else {
        Vec::new()
    };
    Ok(RunSummary {
        output_dir: dir.to_path_buf(),
        rows_written: manifest.rows_written(),
        failed_rows: manifest.failed_rows(),
        batches: total_batches,
        resumed_batches,
        usage: manifest.usage,
        merged,
    })
}

fn write_rows(path: &Path, columns: &[String], rows: &[Row]) -> Result<()> {
    match path.extension().and_then(|e| e.to_str()) {
        Some("parquet") => loris_tabular::write_parquet(path, columns, rows)?,
        _ => loris_tabular::write_jsonl(path, rows)?,
    }
    Ok(())
}

/// Keys in first-seen order over all rows.
fn columns_of(rows: &[Row]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for row in rows {
        for key in row.keys() {
            if !out.contains(key) {
                out.push(key.clone());
            }
        }
    }
    out
}

/// Merges a completed run's batches into `dataset.<format>` (and each processor's into
/// `processors/<name>/<name>.<format>`), returning the files written.
pub fn merge_run(dir: &Path) -> Result<Vec<PathBuf>> {
    let manifest = Manifest::read(dir)?.ok_or_else(|| RecipeError::RunDamaged {
        path: dir.display().to_string(),
        reason: format!("no {MANIFEST}"),
    })?;
    if !manifest.completed {
        return Err(RecipeError::InvalidOption {
            field: "merge",
            reason: "the run has not completed: resume it first".to_string(),
        });
    }
    let mut written = Vec::new();
    for format in &manifest.formats {
        let inputs: Vec<PathBuf> = manifest
            .batches
            .iter()
            .map(|b| batch_file(dir, b.index, *format))
            .collect();
        let output = dir.join(format!("dataset.{}", format.extension()));
        loris_tabular::merge_files(&inputs, &output)?;
        written.push(output);
        for name in &manifest.processors {
            let inputs: Vec<PathBuf> = manifest
                .batches
                .iter()
                .map(|b| processor_batch_file(dir, name, b.index, *format))
                .filter(|p| p.is_file())
                .collect();
            let output = dir
                .join("processors")
                .join(name)
                .join(format!("{name}.{}", format.extension()));
            loris_tabular::merge_files(&inputs, &output)?;
            written.push(output);
        }
    }
    Ok(written)
}

/// One page of a run's rows, in row order, read from the batch files (merged or not).
pub fn read_run_page(dir: &Path, offset: u64, limit: usize) -> Result<loris_tabular::Page> {
    let manifest = Manifest::read(dir)?.ok_or_else(|| RecipeError::RunDamaged {
        path: dir.display().to_string(),
        reason: format!("no {MANIFEST}"),
    })?;
    let format = if manifest.formats.contains(&OutputFormat::Jsonl) {
        OutputFormat::Jsonl
    } else {
        OutputFormat::Parquet
    };
    let limit = limit.min(1000);
    let total = manifest.rows_written() as u64;
    let mut rows = Vec::new();
    let mut batch_start = 0u64;
    for batch in &manifest.batches {
        let batch_end = batch_start + batch.rows as u64;
        let want_from = offset + rows.len() as u64;
        if rows.len() >= limit {
            break;
        }
        if want_from < batch_end {
            let page = loris_tabular::read_page(
                &batch_file(dir, batch.index, format),
                want_from - batch_start,
                limit - rows.len(),
            )?;
            rows.extend(page.rows);
        }
        batch_start = batch_end;
    }
    Ok(loris_tabular::Page {
        rows,
        total,
        offset,
    })
}
