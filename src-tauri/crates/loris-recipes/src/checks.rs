//! Validation columns: the code in their target columns checked by `loris-code-check` (SQL
//! parsed in its dialect and SQLite statements run in memory, Python syntax, JS/TS through
//! oxc). Data Designer's `code` validator and Unsloth Studio's oxc `local_callable` marker
//! (`unsloth_oxc_validator:<lang>:<mode>:<shape>`) are both understood.

use loris_code_check::{CheckOptions, Language, check};
use serde_json::{Map, Value, json};

use crate::error::ValidationError;
use crate::format::ValidationColumn;

const OXC_MARKER: &str = "unsloth_oxc_validator";

#[derive(Debug)]
pub struct ValidationSpec {
    language: Language,
    targets: Vec<String>,
    options: CheckOptions,
}

impl ValidationSpec {
    /// Reads the column's validator; `base` is the column's path, for errors.
    pub fn parse(column: &ValidationColumn, base: &str) -> Result<Self, ValidationError> {
        let invalid = |field: &str, reason: String| ValidationError::InvalidParams {
            path: format!("{base}.{field}"),
            reason,
        };
        let params = column
            .validator_params
            .as_ref()
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let text = |key: &str| params.get(key).and_then(Value::as_str);
        let validator_type = column.validator_type.as_deref().unwrap_or("code");
        let language = match validator_type {
            "code" => {
                let lang = text("code_lang").ok_or_else(|| {
                    invalid(
                        "validator_params.code_lang",
                        "a code validator needs `code_lang` (e.g. python, sql:sqlite, typescript)"
                            .to_string(),
                    )
                })?;
                Language::parse(lang)
                    .map_err(|e| invalid("validator_params.code_lang", e.to_string()))?
            }
            "local_callable" => {
                let function = text("validation_function").unwrap_or_default();
                let Some(rest) = function.strip_prefix(OXC_MARKER) else {
                    return Err(invalid(
                        "validator_params.validation_function",
                        format!(
                            "only the `{OXC_MARKER}:<lang>` local validators run here; \
                             `{function}` is Python code this app does not execute"
                        ),
                    ));
                };
                let lang = rest
                    .trim_start_matches(':')
                    .split(':')
                    .next()
                    .filter(|l| !l.is_empty())
                    .unwrap_or("javascript");
                Language::parse(lang)
                    .map_err(|e| invalid("validator_params.validation_function", e.to_string()))?
            }
            other => {
                return Err(invalid(
                    "validator_type",
                    format!(
                        "`{other}` validators are not supported: use `code` or an oxc `local_callable`"
                    ),
                ));
            }
        };
        let mut options = CheckOptions::default();
        if let Some(setup) = text("sqlite_setup") {
            options.sqlite_setup = Some(setup.to_string());
        }
        if let Some(execute) = params.get("execute_sqlite").and_then(Value::as_bool) {
            options.execute_sqlite = execute;
        }
        Ok(ValidationSpec {
            language,
            targets: column.target_columns.clone(),
            options,
        })
    }

    /// The column's value for a row: the outcome for one target, or every target's outcome
    /// and whether all are valid.
    pub fn check(&self, row: &Map<String, Value>) -> Value {
        let outcomes: Vec<(String, Value)> = self
            .targets
            .iter()
            .map(|target| {
                let outcome = match row.get(target) {
                    Some(Value::String(code)) => {
                        serde_json::to_value(check(&self.language, code, &self.options))
                            .unwrap_or(Value::Null)
                    }
                    Some(Value::Null) | None => json!({
                        "is_valid": false, "error_count": 1,
                        "error_messages": [{"message": format!("`{target}` is empty"),
                                            "line": null, "column": null}]
                    }),
                    Some(other) => json!({
                        "is_valid": false, "error_count": 1,
                        "error_messages": [{"message": format!("`{target}` is {}, not code text",
                                                               kind(other)),
                                            "line": null, "column": null}]
                    }),
                };
                (target.clone(), outcome)
            })
            .collect();
        if outcomes.len() == 1 {
            return outcomes
                .into_iter()
                .next()
                .map(|(_, v)| v)
                .unwrap_or(Value::Null);
        }
        let all_valid = outcomes
            .iter()
            .all(|(_, v)| v.get("is_valid") == Some(&Value::Bool(true)));
        json!({
            "is_valid": all_valid,
            "targets": outcomes.into_iter().collect::<Map<String, Value>>(),
        })
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Bool(_) => "a bool",
        Value::Number(_) => "a number",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
        _ => "a value",
    }
}
