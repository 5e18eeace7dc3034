//! `loris recipe`: check a data recipe, preview its rows, and run it in full without the app.
//!
//! Language-model columns use the recipe's OpenAI-compatible providers, and `--model` loads a
//! model in-process for the providers of type `local`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use loris_infer::Engine;
use loris_recipes::providers::{ChatModel, EngineModel};
use loris_recipes::run::{OutputFormat, RunEvent, RunInputs, RunOptions, merge_run, run_full};
use loris_recipes::seeds::load_recipe_seed;
use loris_recipes::{
    ModelRouter, PreviewOptions, RecipeDocument, RecipeError, RouterOptions, SeedRows,
    preview_with_seed, read_recipe_file, validate_with_seed,
};

use crate::commands::model_args::ModelArgs;
use crate::output::print_json;

#[derive(Subcommand)]
pub enum RecipeCommand {
    /// Check a recipe file: every problem is printed with its JSON path.
    Validate { file: PathBuf },
    /// Generate a few rows and print them.
    Preview(PreviewArgs),
    /// Generate the whole dataset in batches under an output folder; run it again on the same
    /// folder to resume after an interruption.
    Run(RunArgs),
    /// Merge a completed run's batches into dataset.jsonl / dataset.parquet.
    Merge { dir: PathBuf },
}

/// The model for `local` providers, loaded in-process.
#[derive(Args)]
pub struct LocalModelArgs {
    /// A GGUF model file or a Hugging Face model folder that serves the recipe's `local`
    /// providers.
    #[arg(long)]
    model: Option<PathBuf>,
    /// A tokenizer.json to use instead of the model's own.
    #[arg(long, requires = "model")]
    tokenizer: Option<PathBuf>,
    /// CPU threads for the model's kernels (default: all cores).
    #[arg(long, requires = "model")]
    threads: Option<usize>,
    /// `cpu`, `cuda` or `cuda:N`.
    #[arg(long, requires = "model")]
    device: Option<String>,
}

#[derive(Args)]
pub struct PreviewArgs {
    file: PathBuf,
    /// Rows to generate.
    #[arg(long, default_value_t = 5)]
    rows: usize,
    /// The seed: the same seed gives the same sampled values.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    #[command(flatten)]
    model: LocalModelArgs,
}

#[derive(Args)]
pub struct RunArgs {
    file: PathBuf,
    /// Rows to generate (default: the recipe's `run.rows`).
    #[arg(long)]
    rows: Option<usize>,
    /// The run folder (default: `<recipe name>-run` beside the recipe).
    #[arg(long)]
    output: Option<PathBuf>,
    /// Rows per batch (default: the recipe's `run_config.buffer_size`, else 1000).
    #[arg(long)]
    batch_size: Option<usize>,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Output formats, comma-separated: jsonl, parquet (default: the recipe's, else both).
    #[arg(long, value_delimiter = ',')]
    format: Vec<String>,
    /// Leave the batches unmerged.
    #[arg(long)]
    no_merge: bool,
    #[command(flatten)]
    model: LocalModelArgs,
}

pub fn run(command: &RecipeCommand, json: bool) -> anyhow::Result<()> {
    match command {
        RecipeCommand::Validate { file } => validate_command(file, json),
        RecipeCommand::Preview(args) => preview_command(args, json),
        RecipeCommand::Run(args) => run_command(args, json),
        RecipeCommand::Merge { dir } => {
            let files = merge_run(dir)?;
            if json {
                return print_json(&serde_json::json!({ "files": files }));
            }
            for file in files {
                println!("{}", file.display());
            }
            Ok(())
        }
    }
}

fn base_dir(file: &Path) -> PathBuf {
    file.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn validate_command(file: &Path, json: bool) -> anyhow::Result<()> {
    let doc = read_recipe_file(file)?;
    let seed = load_recipe_seed(&doc, &base_dir(file), 0)?;
    let seed_columns = seed.as_ref().map(|s| s.columns.clone()).unwrap_or_default();
    match validate_with_seed(&doc, &seed_columns) {
        Ok(plan) => {
            if json {
                return print_json(&serde_json::json!({
                    "valid": true,
                    "order": plan.order_names,
                }));
            }
            println!("ok: {} columns", plan.order_names.len());
            println!("order: {}", plan.order_names.join(", "));
            Ok(())
        }
        Err(errors) => {
            // With --json the error object carries the list in its details.
            if !json {
                for e in &errors {
                    eprintln!("{}  {}  {}", e.code(), e.path(), e);
                }
            }
            Err(RecipeError::Invalid(errors).into())
        }
    }
}

/// Loads `--model` when given, as the backend of `local` providers.
fn local_model(args: &LocalModelArgs) -> anyhow::Result<Option<Arc<dyn ChatModel>>> {
    let Some(path) = &args.model else {
        return Ok(None);
    };
    let model_args = ModelArgs {
        model: path.clone(),
        tokenizer: args.tokenizer.clone(),
        dequantize: false,
        keep_quantized: false,
        adapter: None,
        threads: args.threads,
        device: args.device.clone(),
    };
    eprintln!("loading {} ...", path.display());
    let loaded = loris_infer::load(path, &model_args.load_options()?)?;
    let engine = Engine::start(loaded, model_args.engine_options())?;
    Ok(Some(Arc::new(EngineModel::new(Arc::new(engine)))))
}

fn router(
    doc: &RecipeDocument,
    args: &LocalModelArgs,
    cancelled: Arc<AtomicBool>,
) -> anyhow::Result<ModelRouter> {
    let options = RouterOptions {
        local: local_model(args)?,
        keychain: None,
        cancelled,
    };
    Ok(ModelRouter::new(doc, &options)?)
}

fn preview_command(args: &PreviewArgs, json: bool) -> anyhow::Result<()> {
    let doc = read_recipe_file(&args.file)?;
    let seed = load_recipe_seed(&doc, &base_dir(&args.file), args.seed)?;
    let router = router(&doc, &args.model, Arc::new(AtomicBool::new(false)))?;
    let options = PreviewOptions {
        rows: args.rows,
        seed: args.seed,
        ..PreviewOptions::default()
    };
    let out = preview_with_seed(
        &doc,
        &options,
        Some(&router),
        seed.as_ref().map(|s| s as &dyn SeedRows),
    )?;
    if json {
        return print_json(&out);
    }
    println!("{}", out.columns.join("\t"));
    for row in &out.rows {
        let cells: Vec<String> = out
            .columns
            .iter()
            .map(|c| match row.get(c) {
                Some(serde_json::Value::String(s)) => s.replace(['\t', '\n'], " "),
                Some(other) => other.to_string(),
                None => String::new(),
            })
            .collect();
        println!("{}", cells.join("\t"));
    }
    Ok(())
}

fn run_command(args: &RunArgs, json: bool) -> anyhow::Result<()> {
    let doc = read_recipe_file(&args.file)?;
    let mut options = RunOptions::from_document(&doc)?;
    if let Some(rows) = args.rows {
        options.rows = rows;
    }
    if let Some(batch_size) = args.batch_size {
        options.batch_size = batch_size;
    }
    options.seed = args.seed;
    if !args.format.is_empty() {
        options.formats = OutputFormat::parse_list(Some(&serde_json::json!(args.format.clone())))?;
    }
    if args.no_merge {
        options.merge = false;
    }
    let output = args.output.clone().unwrap_or_else(|| {
        let stem = args
            .file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "recipe".to_string());
        base_dir(&args.file).join(format!("{stem}-run"))
    });
    let seed = load_recipe_seed(&doc, &base_dir(&args.file), options.seed)?;

    let cancelled = Arc::new(AtomicBool::new(false));
    signal_hook::flag::register(signal_hook::consts::SIGINT, Arc::clone(&cancelled))
        .context("installing the Ctrl-C handler")?;
    let router = router(&doc, &args.model, Arc::clone(&cancelled))?;
    let inputs = RunInputs {
        doc: &doc,
        options: &options,
        llm: Some(&router),
        seed_rows: seed.as_ref().map(|s| s as &dyn SeedRows),
    };

    let bar = if json {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(options.rows as u64)
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} rows  {per_sec}  eta {eta}  {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let on_event = |event: RunEvent| {
        if json {
            // One JSON object per line: scripts follow the run as it goes.
            if let Ok(line) = serde_json::to_string(&event) {
                println!("{line}");
            }
            return;
        }
        match &event {
            RunEvent::Started {
                rows_done,
                resumed_batches,
                ..
            } => {
                bar.set_position(*rows_done as u64);
                if *resumed_batches > 0 {
                    bar.println(format!(
                        "resuming: {resumed_batches} batches already written"
                    ));
                }
            }
            RunEvent::Column {
                column,
                done,
                total,
                ..
            } => {
                bar.set_message(format!("{column} {done}/{total}"));
            }
            RunEvent::Batch {
                rows_done,
                failed_rows,
                ..
            } => {
                bar.set_position((*rows_done + *failed_rows) as u64);
            }
            RunEvent::Merged { .. } => {}
        }
    };
    let outcome = run_full(&inputs, &output, &cancelled, &on_event);
    bar.finish_and_clear();
    let summary = match outcome {
        Ok(summary) => summary,
        Err(RecipeError::Cancelled) if cancelled.load(Ordering::SeqCst) => {
            eprintln!(
                "stopped; run the same command again to resume in {}",
                output.display()
            );
            return Err(RecipeError::Cancelled.into());
        }
        Err(err) => return Err(err.into()),
    };
    if json {
        return print_json(&summary);
    }
    println!(
        "{} rows in {} ({} batches, {} resumed, {} rows failed)",
        summary.rows_written,
        summary.output_dir.display(),
        summary.batches,
        summary.resumed_batches,
        summary.failed_rows
    );
    for (alias, usage) in &summary.usage {
        println!(
            "  {alias}: {} requests ({} failed), {} prompt + {} completion tokens",
            usage.requests, usage.failed_requests, usage.prompt_tokens, usage.completion_tokens
        );
    }
    for file in &summary.merged {
        println!("  {}", file.display());
    }
    Ok(())
}
