//! Generates rows in dependency order: samplers and expressions here, language-model columns
//! through an [`LlmProvider`] given by the caller.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::{RecipeError, Result};
use crate::format::{Column, LlmJudgeColumn, RecipeDocument};
use crate::samplers::{Rng, convert};
use crate::validate::{SamplerPlan, object_schema, template_env, validate};

/// A model endpoint. Implementations map `model_alias` to one of the recipe's model configs.
pub trait LlmProvider {
    fn complete(&self, model_alias: &str, system: Option<&str>, prompt: &str) -> Result<String>;
}

/// The most rows one preview generates; full runs are jobs, not previews.
pub const MAX_PREVIEW_ROWS: usize = 10_000;

#[derive(Debug, Clone)]
pub struct PreviewOptions {
    pub rows: usize,
    pub seed: u64,
    /// Attempts for a structured or judge reply that does not parse (at least one).
    pub max_attempts: u32,
}

impl Default for PreviewOptions {
    fn default() -> Self {
        PreviewOptions {
            rows: 10,
            seed: 0,
            max_attempts: 3,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Preview {
    /// The output columns, in generation order, after drops.
    pub columns: Vec<String>,
    pub rows: Vec<Map<String, Value>>,
}

/// Validates the recipe and generates `options.rows` rows.
pub fn preview(
    doc: &RecipeDocument,
    options: &PreviewOptions,
    llm: Option<&dyn LlmProvider>,
) -> Result<Preview> {
    if options.rows > MAX_PREVIEW_ROWS {
        return Err(RecipeError::InvalidOption {
            field: "rows",
            reason: format!("at most {MAX_PREVIEW_ROWS} rows in a preview"),
        });
    }
    let plan = validate(doc).map_err(RecipeError::Invalid)?;
    let columns = doc.recipe.columns();

    // Refuse up front rather than after generating half a table.
    for &i in &plan.order {
        let column = &columns[i];
        if let Column::Validation(_) = column {
            return Err(RecipeError::Unsupported {
                column: column.name().to_string(),
                column_type: column.column_type().to_string(),
            });
        }
        if column.llm_fields().is_some() && llm.is_none() {
            return Err(RecipeError::NoProvider {
                column: column.name().to_string(),
            });
        }
    }

    let env = template_env();
    let mut rngs: Vec<Rng> = columns
        .iter()
        .map(|c| Rng::for_column(options.seed, c.name()))
        .collect();
    let attempts = options.max_attempts.max(1);

    let mut rows = Vec::with_capacity(options.rows);
    for row_index in 0..options.rows {
        let mut row = Map::new();
        for &i in &plan.order {
            let column = &columns[i];
            let name = column.name().to_string();
            let render_err = |message: String| RecipeError::Render {
                column: name.clone(),
                row: row_index,
                message,
            };
            let value = match column {
                Column::Sampler(_) => {
                    let Some(sampler) = plan.samplers.get(&i) else {
                        continue;
                    };
                    sample(&env, sampler, &mut rngs[i], &row).map_err(render_err)?
                }
                Column::Expression(c) => {
                    let text = render(&env, &c.expr, &row).map_err(render_err)?;
                    cast(&text, c.dtype.as_deref().unwrap_or("str")).map_err(render_err)?
                }
                Column::Validation(_) => Value::Null,
                Column::LlmText(_)
                | Column::LlmCode(_)
                | Column::LlmStructured(_)
                | Column::LlmJudge(_) => {
                    let Some(llm) = llm else {
                        return Err(RecipeError::NoProvider { column: name });
                    };
                    llm_value(&env, llm, column, &row, row_index, attempts)?
                }
            };
            row.insert(name, value);
        }
        rows.push(row);
    }

    let dropped = dropped_columns(doc);
    for row in &mut rows {
        for name in &dropped {
            row.remove(name);
        }
    }
    let columns = plan
        .order_names
        .into_iter()
        .filter(|n| !dropped.contains(n))
        .collect();
    Ok(Preview { columns, rows })
}

/// Columns marked `drop: true` and those named by `drop_columns` processors.
fn dropped_columns(doc: &RecipeDocument) -> Vec<String> {
    let mut out: Vec<String> = doc
        .recipe
        .columns()
        .iter()
        .filter(|c| c.dropped())
        .map(|c| c.name().to_string())
        .collect();
    for processor in doc.recipe.processors() {
        if processor.processor_type == "drop_columns" {
            out.extend(processor.column_names.iter().flatten().cloned());
        }
    }
    out
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

fn render(
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

fn llm_value(
    env: &minijinja::Environment<'_>,
    llm: &dyn LlmProvider,
    column: &Column,
    row: &Map<String, Value>,
    row_index: usize,
    attempts: u32,
) -> Result<Value> {
    let name = column.name().to_string();
    let Some((alias, prompt, system)) = column.llm_fields() else {
        return Ok(Value::Null);
    };
    let render_err = |message: String| RecipeError::Render {
        column: name.clone(),
        row: row_index,
        message,
    };
    let mut prompt = render(env, prompt, row).map_err(render_err)?;
    let system = system
        .map(|s| render(env, s, row))
        .transpose()
        .map_err(render_err)?;
    // Structured and judge columns say what shape the reply must have.
    match column {
        Column::LlmStructured(c) => {
            let schema = object_schema(&c.output_format).map_err(render_err)?;
            prompt.push_str("\n\nReply with only a JSON object that matches this JSON schema:\n");
            prompt.push_str(&schema.to_string());
        }
        Column::LlmJudge(c) => prompt.push_str(&judge_instructions(c)),
        _ => {}
    }
    let call = |prompt: &str| {
        llm.complete(alias, system.as_deref(), prompt)
            .map_err(|e| RecipeError::Llm {
                column: name.clone(),
                row: row_index,
                message: e.to_string(),
            })
    };
    let parse: fn(&Column, &str) -> std::result::Result<Value, String> = match column {
        Column::LlmStructured(_) => |_, reply| parse_json_reply(reply),
        Column::LlmJudge(_) => parse_judge,
        Column::LlmCode(_) => |_, reply| Ok(Value::String(strip_fence(reply).to_string())),
        _ => |_, reply| Ok(Value::String(reply.to_string())),
    };
    let mut last = String::new();
    for _ in 0..attempts {
        let reply = call(&prompt)?;
        match parse(column, &reply) {
            Ok(value) => return Ok(value),
            Err(reason) => last = reason,
        }
    }
    Err(RecipeError::InvalidLlmOutput {
        column: name,
        row: row_index,
        attempts,
        message: last,
    })
}

fn judge_instructions(column: &LlmJudgeColumn) -> String {
    let mut text = String::from(
        "\n\nReply with only a JSON object with one key per score below; each value is an \
         object {\"score\": <one of the options>, \"reasoning\": <text>}.",
    );
    for score in column.scores.iter().flatten() {
        text.push_str(&format!("\n- {}", score.name));
        if let Some(description) = &score.description {
            text.push_str(&format!(": {description}"));
        }
        for (option, meaning) in score.options.iter().flatten() {
            let meaning = meaning
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| meaning.to_string());
            text.push_str(&format!("\n  {option}: {meaning}"));
        }
    }
    text
}

/// The code inside the first Markdown fence, or the whole reply when there is none.
fn strip_fence(reply: &str) -> &str {
    let Some(open) = reply.find("```") else {
        return reply.trim();
    };
    let after = &reply[open + 3..];
    // Skip the language tag on the fence line.
    let body = after.split_once('\n').map(|(_, b)| b).unwrap_or(after);
    match body.find("```") {
        Some(close) => body[..close].trim_end_matches('\n'),
        None => body,
    }
}

fn parse_json_reply(reply: &str) -> std::result::Result<Value, String> {
    let text = strip_fence(reply);
    serde_json::from_str::<Value>(text.trim()).map_err(|e| format!("the reply is not JSON: {e}"))
}

/// A judge reply: each score name maps to `{score, reasoning}` (or a bare score), and the score
/// is one of the options when the rubric lists them.
fn parse_judge(column: &Column, reply: &str) -> std::result::Result<Value, String> {
    let Column::LlmJudge(judge) = column else {
        return Err("not a judge column".to_string());
    };
    let value = parse_json_reply(reply)?;
    let Some(obj) = value.as_object() else {
        return Err("the reply is not a JSON object".to_string());
    };
    let mut out = Map::new();
    for score in judge.scores.iter().flatten() {
        let entry = obj
            .get(&score.name)
            .ok_or_else(|| format!("the reply has no `{}` score", score.name))?;
        let (value, reasoning) = match entry {
            Value::Object(o) => (
                o.get("score").cloned().unwrap_or(Value::Null),
                o.get("reasoning").cloned().unwrap_or(Value::Null),
            ),
            other => (other.clone(), Value::Null),
        };
        if value.is_null() {
            return Err(format!("`{}` has no score", score.name));
        }
        if let Some(options) = score.options.as_ref().filter(|o| !o.is_empty()) {
            let key = match &value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            if !options.contains_key(&key) {
                return Err(format!("`{key}` is not an option of `{}`", score.name));
            }
        }
        out.insert(
            score.name.clone(),
            serde_json::json!({ "score": value, "reasoning": reasoning }),
        );
    }
    Ok(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fences_are_stripped() {
        assert_eq!(strip_fence("```python\nprint(1)\n```"), "print(1)");
        assert_eq!(strip_fence("  x = 1 "), "x = 1");
        assert_eq!(strip_fence("see:\n```\n{}\n```\nbye"), "{}");
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
