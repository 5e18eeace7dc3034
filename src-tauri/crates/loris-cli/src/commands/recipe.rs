//! `loris recipe`: check a data recipe and preview its rows without the app.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use loris_recipes::{PreviewOptions, RecipeError, preview, read_recipe_file, validate};

use crate::output::print_json;

#[derive(Subcommand)]
pub enum RecipeCommand {
    /// Check a recipe file: every problem is printed with its JSON path.
    Validate { file: PathBuf },
    /// Generate a few rows of the recipe's sampler and expression columns.
    Preview(PreviewArgs),
}

#[derive(Args)]
pub struct PreviewArgs {
    file: PathBuf,
    /// Rows to generate.
    #[arg(long, default_value_t = 5)]
    rows: usize,
    /// The seed: the same seed gives the same rows.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

pub fn run(command: &RecipeCommand, json: bool) -> anyhow::Result<()> {
    match command {
        RecipeCommand::Validate { file } => {
            let doc = read_recipe_file(file)?;
            match validate(&doc) {
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
        RecipeCommand::Preview(args) => {
            let doc = read_recipe_file(&args.file)?;
            let options = PreviewOptions {
                rows: args.rows,
                seed: args.seed,
                ..PreviewOptions::default()
            };
            // Language-model columns need a provider, which the command line does not have yet.
            let out = preview(&doc, &options, None)?;
            if json {
                return print_json(&out);
            }
            println!("{}", out.columns.join("\t"));
            for row in &out.rows {
                let cells: Vec<String> = out
                    .columns
                    .iter()
                    .map(|c| match row.get(c) {
                        Some(serde_json::Value::String(s)) => s.clone(),
                        Some(other) => other.to_string(),
                        None => String::new(),
                    })
                    .collect();
                println!("{}", cells.join("\t"));
            }
            Ok(())
        }
    }
}
