//! Generates rows in dependency order, a batch at a time and a column at a time: samplers,
//! expressions and validation columns here, language-model columns through an
//! [`LlmProvider`] with as many calls in flight as the model allows.
//!
//! Every cell draws from its own random stream (seed, column, row), so a row is the same
//! whichever batch generates it: a resumed run regenerates exactly the rows it lacks.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use serde::Serialize;
use serde_json::{Map, Value};

use crate::checks::ValidationSpec;
use crate::error::{RecipeError, Result};
use crate::format::{Column, RecipeDocument};
use crate::llm_columns::{LlmCell, llm_value};
use crate::processors::{Transform, dropped_columns};
use crate::providers::LlmProvider;
use crate::samplers::{Rng, convert};
use crate::validate::{Plan, SamplerPlan, template_env, validate_with_seed};

pub type Row = Map<String, Value>;

/// Rows that seed every generated row with their columns (a seed dataset or document chunks).
pub trait SeedRows: Sync {
    fn columns(&self) -> Vec<String>;
    /// The seed row for generated row `index` (seeds cycle when the run is longer).
    fn row(&self, index: usize) -> Row;
}

impl SeedRows for loris_tabular::SeedTable {
    fn columns(&self) -> Vec<String> {
        self.columns.clone()
    }
    fn row(&self, index: usize) -> Row {
        loris_tabular::SeedTable::row(self, index).clone()
    }
}

#[derive(Debug, Clone)]
pub struct GenerateOptions {
    pub seed: u64,
    /// Attempts for a structured or judge reply that does not parse (at least one).
    pub max_attempts: u32,
    /// Whether a failed model call fails the whole batch (previews) or only drops its row
    /// (full runs, where the error-rate gate stops a run that fails too often).
    pub strict: bool,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        GenerateOptions {
            seed: 0,
            max_attempts: 3,
            strict: true,
        }
    }
}

/// Requests and tokens per model alias.
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct ModelUsage {
    pub requests: u64,
    pub failed_requests: u64,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
}

impl ModelUsage {
    pub fn add(&mut self, other: &ModelUsage) {
        self.requests += other.requests;
        self.failed_requests += other.failed_requests;
        self.prompt_tokens += other.prompt_tokens;
        self.completion_tokens += other.completion_tokens;
    }
}

/// A row left out of a full run because one of its cells could not be generated.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RowFailure {
    pub row: usize,
    pub column: String,
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BatchOutput {
    /// The generated rows, seed columns first, without dropped columns and failed rows.
    pub rows: Vec<Row>,
    pub failures: Vec<RowFailure>,
    pub usage: BTreeMap<String, ModelUsage>,
    /// The rows of each `schema_transform` processor, by processor name.
    pub processor_outputs: BTreeMap<String, Vec<Row>>,
}

/// Progress inside a batch: a column's cells done out of the batch's rows.
pub type ColumnProgress<'a> = &'a (dyn Fn(&str, usize, usize) + Sync);

/// Stops a full run whose model calls fail too often (Data Designer's
/// `shutdown_error_rate` over the last `shutdown_error_window` calls).
#[derive(Debug)]
pub struct ErrorGate {
    rate: f64,
    window: usize,
    disabled: bool,
    recent: Mutex<std::collections::VecDeque<bool>>,
    tripped: AtomicBool,
}

impl ErrorGate {
    pub fn new(rate: f64, window: usize, disabled: bool) -> Self {
        ErrorGate {
            rate,
            window: window.max(1),
            disabled,
            recent: Mutex::new(std::collections::VecDeque::new()),
            tripped: AtomicBool::new(false),
        }
    }

    /// Reads `run_config`'s `shutdown_error_rate` (0.5), `shutdown_error_window` (10) and
    /// `disable_early_shutdown` (false).
    pub fn from_run_config(run_config: Option<&Value>) -> Self {
        let get = |key: &str| run_config.and_then(|c| c.get(key));
        let rate = get("shutdown_error_rate")
            .and_then(Value::as_f64)
            .filter(|r| (0.0..=1.0).contains(r))
            .unwrap_or(0.5);
        let window = get("shutdown_error_window")
            .and_then(Value::as_u64)
            .unwrap_or(10) as usize;
        let disabled = get("disable_early_shutdown")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        ErrorGate::new(rate, window, disabled)
    }

    pub fn record(&self, failed: bool) {
        let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        recent.push_back(failed);
        if recent.len() > self.window {
            recent.pop_front();
        }
        let failures = recent.iter().filter(|f| **f).count();
        if !self.disabled
            && recent.len() == self.window
            && failures as f64 / self.window as f64 > self.rate
        {
            self.tripped.store(true, Ordering::SeqCst);
        }
    }

    pub fn tripped(&self) -> bool {
        self.tripped.load(Ordering::SeqCst)
    }

    pub fn rate(&self) -> f64 {
        self.rate
    }

    pub fn window(&self) -> usize {
        self.window
    }
}

/// What a batch can be interrupted by and reports to.
pub struct BatchControl<'a> {
    pub cancelled: &'a AtomicBool,
    pub gate: &'a ErrorGate,
    pub on_column: ColumnProgress<'a>,
}

/// A checked recipe, ready to generate any range of rows.
pub struct Generator<'a> {
    doc: &'a RecipeDocument,
    plan: Plan,
    env: minijinja::Environment<'static>,
    llm: Option<&'a dyn LlmProvider>,
    seed_rows: Option<&'a dyn SeedRows>,
    options: GenerateOptions,
    checks: BTreeMap<usize, ValidationSpec>,
    transforms: Vec<Transform>,
    dropped: Vec<String>,
}

impl<'a> Generator<'a> {
    /// Validates `doc` (with the seed's columns as known names) and refuses up front a model
    /// column with no provider, rather than after half a table.
    pub fn new(
        doc: &'a RecipeDocument,
        llm: Option<&'a dyn LlmProvider>,
        seed_rows: Option<&'a dyn SeedRows>,
        options: GenerateOptions,
    ) -> Result<Self> {
        let seed_columns = seed_rows.map(|s| s.columns()).unwrap_or_default();
        let plan = validate_with_seed(doc, &seed_columns).map_err(RecipeError::Invalid)?;
        let columns = doc.recipe.columns();
        let mut checks = BTreeMap::new();
        for &i in &plan.order {
            let column = &columns[i];
            if column.llm_fields().is_some() && llm.is_none() {
                return Err(RecipeError::NoProvider {
                    column: column.name().to_string(),
                });
            }
            if let Column::Validation(c) = column {
                let spec = ValidationSpec::parse(c, &format!("recipe.columns[{i}]"))
                    .map_err(|e| RecipeError::Invalid(vec![e]))?;
                checks.insert(i, spec);
            }
        }
        let transforms = Transform::from_recipe(doc).map_err(RecipeError::Invalid)?;
        Ok(Generator {
            doc,
            plan,
            env: template_env(),
            llm,
            seed_rows,
            options,
            checks,
            transforms,
            dropped: dropped_columns(doc),
        })
    }

    /// The output columns in order: seed columns, then generated ones, without drops.
    pub fn columns(&self) -> Vec<String> {
        let mut out: Vec<String> = self.seed_rows.map(|s| s.columns()).unwrap_or_default();
        for name in &self.plan.order_names {
            if !out.contains(name) {
                out.push(name.clone());
            }
        }
        out.retain(|n| !self.dropped.contains(n));
        out
    }

    /// The names of the `schema_transform` outputs.
    pub fn processor_names(&self) -> Vec<String> {
        self.transforms.iter().map(|t| t.name.clone()).collect()
    }

    /// Generates rows `range` (global row indices).
    pub fn generate(&self, range: Range<usize>, control: &BatchControl<'_>) -> Result<BatchOutput> {
        let columns = self.doc.recipe.columns();
        let start = range.start;
        let n = range.len();
        let mut rows: Vec<Row> = range
            .clone()
            .map(|i| self.seed_rows.map(|s| s.row(i)).unwrap_or_default())
            .collect();
        let mut failed: Vec<Option<RowFailure>> = vec![None; n];
        let mut usage: BTreeMap<String, ModelUsage> = BTreeMap::new();

        for &ci in &self.plan.order {
            let column = &columns[ci];
            let name = column.name();
            if control.cancelled.load(Ordering::SeqCst) {
                return Err(RecipeError::Cancelled);
            }
            if let Some((alias, _, _)) = column.llm_fields() {
                let llm = self.llm.ok_or_else(|| RecipeError::NoProvider {
                    column: name.to_string(),
                })?;
                let cells = self.llm_column(llm, column, start, &rows, &failed, control)?;
                let column_usage = usage.entry(alias.to_string()).or_default();
                for (k, cell) in cells.into_iter().enumerate() {
                    let Some(cell) = cell else { continue };
                    column_usage.add(&cell.usage);
                    match cell.value {
                        Ok(value) => {
                            rows[k].insert(name.to_string(), value);
                        }
                        Err(err) if self.options.strict => return Err(err),
                        // A prompt that does not render is the recipe's fault, not the model's:
                        // every row would fail the same way.
                        Err(err @ RecipeError::Render { .. }) => return Err(err),
                        Err(err) => {
                            failed[k] = Some(RowFailure {
                                row: start + k,
                                column: name.to_string(),
                                code: err.code().to_string(),
                                message: err.to_string(),
                            });
                        }
                    }
                }
                if control.gate.tripped() {
                    let last = failed
                        .iter()
                        .flatten()
                        .last()
                        .map(|f| f.message.clone())
                        .unwrap_or_default();
                    return Err(RecipeError::ErrorRateExceeded {
                        rate: control.gate.rate(),
                        window: control.gate.window(),
                        last_error: last,
                    });
                }
            } else {
                for k in 0..n {
                    if failed[k].is_some() {
                        continue;
                    }
                    let value = self.local_value(ci, column, start + k, &rows[k])?;
                    rows[k].insert(name.to_string(), value);
                    if k % 64 == 63 {
                        (control.on_column)(name, k + 1, n);
                    }
                }
            }
            (control.on_column)(name, n, n);
        }

        let mut processor_outputs = BTreeMap::new();
        for transform in &self.transforms {
            let mut out = Vec::with_capacity(n);
            for (k, row) in rows.iter().enumerate() {
                if failed[k].is_some() {
                    continue;
                }
                out.push(transform.apply(&self.env, row).map_err(|message| {
                    RecipeError::Render {
                        column: format!("processor {}", transform.name),
                        row: start + k,
                        message,
                    }
                })?);
            }
            processor_outputs.insert(transform.name.clone(), out);
        }

        let mut kept = Vec::with_capacity(n);
        for (k, mut row) in rows.into_iter().enumerate() {
            if failed[k].is_some() {
                continue;
            }
            for name in &self.dropped {
                row.remove(name);
            }
            kept.push(row);
        }
        Ok(BatchOutput {
            rows: kept,
            failures: failed.into_iter().flatten().collect(),
            usage,
            processor_outputs,
        })
    }

    /// One cell of a column that needs no model.
    fn local_value(
        &self,
        ci: usize,
        column: &Column,
        row_index: usize,
        row: &Row,
    ) -> Result<Value> {
        let name = column.name();
        let render_err = |message: String| RecipeError::Render {
            column: name.to_string(),
            row: row_index,
            message,
        };
        Ok(match column {
            Column::Sampler(_) => {
                let Some(sampler) = self.plan.samplers.get(&ci) else {
                    return Ok(Value::Null);
                };
                let mut rng = Rng::for_cell(self.options.seed, name, row_index as u64);
                sample(&self.env, sampler, &mut rng, row).map_err(render_err)?
            }
            Column::Expression(c) => {
                let text = render(&self.env, &c.expr, row).map_err(render_err)?;
                cast(&text, c.dtype.as_deref().unwrap_or("str")).map_err(render_err)?
            }
            Column::Validation(_) => match self.checks.get(&ci) {
                Some(spec) => spec.check(row),
                None => Value::Null,
            },
            _ => Value::Null,
        })
    }

    /// A model column over the batch: workers take rows in order, as many at once as the
    /// model allows.
    fn llm_column(
        &self,
        llm: &dyn LlmProvider,
        column: &Column,
        start: usize,
        rows: &[Row],
        failed: &[Option<RowFailure>],
        control: &BatchControl<'_>,
    ) -> Result<Vec<Option<LlmCell>>> {
        let n = rows.len();
        let Some((alias, _, _)) = column.llm_fields() else {
            return Ok((0..n).map(|_| None).collect());
        };
        let workers = llm.max_in_flight(alias).clamp(1, n.max(1));
        let next = AtomicUsize::new(0);
        let done = AtomicUsize::new(0);
        let results: Vec<Mutex<Option<LlmCell>>> = (0..n).map(|_| Mutex::new(None)).collect();
        let strict_failure = AtomicBool::new(false);
        let name = column.name();
        std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(|| {
                    loop {
                        let k = next.fetch_add(1, Ordering::SeqCst);
                        if k >= n
                            || control.cancelled.load(Ordering::SeqCst)
                            || control.gate.tripped()
                            || strict_failure.load(Ordering::SeqCst)
                        {
                            break;
                        }
                        if failed[k].is_some() {
                            continue;
                        }
                        let row_index = start + k;
                        let seed =
                            Rng::for_cell(self.options.seed, name, row_index as u64).next_u64();
                        let cell = llm_value(
                            &self.env,
                            llm,
                            column,
                            &rows[k],
                            row_index,
                            self.options.max_attempts.max(1),
                            seed,
                            control.gate,
                        );
                        if cell.value.is_err() && self.options.strict {
                            strict_failure.store(true, Ordering::SeqCst);
                        }
                        *results[k].lock().unwrap_or_else(|e| e.into_inner()) = Some(cell);
                        let finished = done.fetch_add(1, Ordering::SeqCst) + 1;
                        (control.on_column)(name, finished, n);
                    }
                });
            }
        });
        if control.cancelled.load(Ordering::SeqCst) {
            return Err(RecipeError::Cancelled);
        }
        Ok(results
            .into_iter()
            .map(|m| m.into_inner().unwrap_or_else(|e| e.into_inner()))
            .collect())
    }
}

fn sample(
    env: &minijinja::Environment<'_>,
    plan: &SamplerPlan,
    rng: &mut Rng,
    row: &Map<String, Value>,
) -> std::result::Result<Value, String> {
    let mut spec = &plan.base;
    for (condition, conditional) in &plan.conditions {
        let expr = env
            .compile_expression(condition)
            .map_err(|e| e.to_string())?;
        let holds = expr
            .eval(minijinja::Value::from_serialize(row))
            .map_err(|e| format!("condition `{condition}`: {e}"))?;
        if holds.is_true() {
            spec = conditional;
            break;
        }
    }
    let value = spec.sample(rng, row)?;
    match &plan.convert_to {
        Some(to) => convert(value, to),
        None => Ok(value),
    }
}

pub(crate) fn render(
    env: &minijinja::Environment<'_>,
    source: &str,
    row: &Map<String, Value>,
) -> std::result::Result<String, String> {
    env.render_str(source, minijinja::Value::from_serialize(row))
        .map_err(|e| e.to_string())
}

/// An expression's text as its `dtype`.
fn cast(text: &str, dtype: &str) -> std::result::Result<Value, String> {
    let trimmed = text.trim();
    match dtype {
        "int" => trimmed
            .parse::<i64>()
            .map(Value::from)
            .or_else(|_| {
                trimmed
                    .parse::<f64>()
                    .map(|f| Value::from(f.trunc() as i64))
            })
            .map_err(|_| format!("`{trimmed}` is not an int")),
        "float" => trimmed
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| format!("`{trimmed}` is not a float")),
        "bool" => match trimmed.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Ok(Value::Bool(true)),
            "false" | "0" | "no" | "" => Ok(Value::Bool(false)),
            _ => Err(format!("`{trimmed}` is not a bool")),
        },
        _ => Ok(Value::String(text.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fences_are_stripped() {
        assert_eq!(
            crate::llm_columns::strip_fence("```python\nprint(1)\n```"),
            "print(1)"
        );
        assert_eq!(crate::llm_columns::strip_fence("  x = 1 "), "x = 1");
        assert_eq!(
            crate::llm_columns::strip_fence("see:\n```\n{}\n```\nbye"),
            "{}"
        );
    }

    #[test]
    fn casts_follow_dtype() {
        assert_eq!(cast(" 42 ", "int").unwrap(), Value::from(42));
        assert_eq!(cast("4.9", "int").unwrap(), Value::from(4));
        assert_eq!(cast("2.5", "float").unwrap(), Value::from(2.5));
        assert_eq!(cast("True", "bool").unwrap(), Value::Bool(true));
        assert_eq!(cast("x", "str").unwrap(), Value::from("x"));
        assert!(cast("x", "int").is_err());
    }
}
