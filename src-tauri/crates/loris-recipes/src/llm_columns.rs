//! The columns a model writes: `llm-text`, `llm-code`, `llm-structured` and `llm-judge`.
//! Structured and judge replies are checked (against the JSON schema, against the rubric) and
//! asked for again when they do not pass, up to the attempts allowed.

use serde_json::{Map, Value};

use crate::error::RecipeError;
use crate::format::{Column, LlmJudgeColumn};
use crate::generate::{ErrorGate, ModelUsage, render};
use crate::providers::{LlmCall, LlmProvider};
use crate::validate::object_schema;

/// One model cell: its value or why it has none, and what it cost.
#[derive(Debug)]
pub struct LlmCell {
    pub value: Result<Value, RecipeError>,
    pub usage: ModelUsage,
}

#[allow(clippy::too_many_arguments)]
pub fn llm_value(
    env: &minijinja::Environment<'_>,
    llm: &dyn LlmProvider,
    column: &Column,
    row: &Map<String, Value>,
    row_index: usize,
    attempts: u32,
    seed: u64,
    gate: &ErrorGate,
) -> LlmCell {
    let mut usage = ModelUsage::default();
    let value = generate(
        env, llm, column, row, row_index, attempts, seed, gate, &mut usage,
    );
    LlmCell { value, usage }
}

#[allow(clippy::too_many_arguments)]
fn generate(
    env: &minijinja::Environment<'_>,
    llm: &dyn LlmProvider,
    column: &Column,
    row: &Map<String, Value>,
    row_index: usize,
    attempts: u32,
    seed: u64,
    gate: &ErrorGate,
    usage: &mut ModelUsage,
) -> Result<Value, RecipeError> {
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
    let mut schema = None;
    let mut response_schema = None;
    match column {
        Column::LlmStructured(c) => {
            let parsed = object_schema(&c.output_format).map_err(render_err)?;
            prompt.push_str("\n\nReply with only a JSON object that matches this JSON schema:\n");
            prompt.push_str(&parsed.to_string());
            schema = Some(
                jsonschema::validator_for(&parsed)
                    .map_err(|e| render_err(format!("the output_format schema: {e}")))?,
            );
            response_schema = Some(parsed);
        }
        Column::LlmJudge(c) => {
            prompt.push_str(&judge_instructions(c));
            response_schema = Some(judge_schema(c));
        }
        _ => {}
    }
    let code_lang = match column {
        Column::LlmCode(c) => c
            .code_lang
            .as_deref()
            .and_then(|l| loris_code_check::Language::parse(l).ok()),
        _ => None,
    };

    let mut last = String::new();
    for attempt in 0..attempts {
        let call = LlmCall {
            model_alias: alias,
            system: system.as_deref(),
            prompt: &prompt,
            // A retry must not get the same reply again from a seeded backend.
            seed: seed.wrapping_add(u64::from(attempt)),
            response_schema: response_schema.as_ref(),
        };
        usage.requests += 1;
        let reply = match llm.complete(&call) {
            Ok(reply) => {
                gate.record(false);
                reply
            }
            Err(err) => {
                gate.record(true);
                usage.failed_requests += 1;
                return Err(RecipeError::Llm {
                    column: name,
                    row: row_index,
                    message: format!("{} ({})", err.message, err.code),
                });
            }
        };
        usage.prompt_tokens += reply.prompt_tokens;
        usage.completion_tokens += reply.completion_tokens;
        let parsed = match column {
            Column::LlmStructured(_) => {
                parse_json_reply(&reply.text).and_then(|value| match &schema {
                    Some(validator) => check_schema(validator, &value).map(|()| value),
                    None => Ok(value),
                })
            }
            Column::LlmJudge(_) => parse_judge(column, &reply.text),
            Column::LlmCode(_) => Ok(Value::String(loris_code_check::extract_code(
                &reply.text,
                code_lang.as_ref(),
            ))),
            _ => Ok(Value::String(reply.text.trim().to_string())),
        };
        match parsed {
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

fn check_schema(validator: &jsonschema::Validator, value: &Value) -> Result<(), String> {
    let problems: Vec<String> = validator
        .iter_errors(value)
        .take(3)
        .map(|e| {
            let at = e.instance_path().to_string();
            if at.is_empty() {
                e.to_string()
            } else {
                format!("{at}: {e}")
            }
        })
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the reply does not match the schema: {}",
            problems.join("; ")
        ))
    }
}
/// Most characters of a judge's reasoning: a sentence or two, so that a small model cannot
/// spend the whole reply on it.
const JUDGE_REASONING_CHARS: u64 = 400;

/// The shape of a judge's reply: per score `{"score": <option>, "reasoning": <text>}`.
pub fn judge_schema(column: &LlmJudgeColumn) -> Value {
    let mut properties = Map::new();
    for score in column.scores.iter().flatten() {
        let score_schema = match score.options.as_ref().filter(|o| !o.is_empty()) {
            Some(options) => serde_json::json!({"enum": options.keys().collect::<Vec<_>>()}),
            None => serde_json::json!({"type": ["string", "number"]}),
        };
        properties.insert(
            score.name.clone(),
            serde_json::json!({
                "type": "object",
                "properties": {
                    "score": score_schema,
                    "reasoning": {"type": "string", "maxLength": JUDGE_REASONING_CHARS}
                }
            }),
        );
    }
    serde_json::json!({"type": "object", "properties": properties})
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
pub(crate) fn strip_fence(reply: &str) -> &str {
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
