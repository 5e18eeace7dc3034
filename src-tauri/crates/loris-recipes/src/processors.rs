//! Processors run over generated rows: `drop_columns` removes columns from the output, and
//! `schema_transform` writes a second dataset whose rows are a JSON template rendered per row
//! (e.g. a `messages` list for chat fine-tuning).

use serde_json::{Map, Value};

use crate::error::ValidationError;
use crate::format::RecipeDocument;

/// Columns marked `drop: true` and those named by `drop_columns` processors.
pub fn dropped_columns(doc: &RecipeDocument) -> Vec<String> {
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

/// A `schema_transform` processor: `name` and a `template` whose strings are Jinja.
#[derive(Debug, Clone)]
pub struct Transform {
    pub name: String,
    pub template: Value,
}

impl Transform {
    pub fn from_recipe(doc: &RecipeDocument) -> Result<Vec<Transform>, Vec<ValidationError>> {
        let mut out = Vec::new();
        let mut errors = Vec::new();
        for (i, processor) in doc.recipe.processors().iter().enumerate() {
            if processor.processor_type != "schema_transform" {
                continue;
            }
            let base = format!("recipe.processors[{i}]");
            let name = processor
                .extra
                .get("name")
                .and_then(Value::as_str)
                .filter(|n| is_safe_name(n))
                .map(str::to_string);
            let template = processor.extra.get("template").filter(|t| t.is_object());
            match (name, template) {
                (Some(name), Some(template)) => out.push(Transform {
                    name,
                    template: template.clone(),
                }),
                (None, _) => errors.push(ValidationError::InvalidParams {
                    path: format!("{base}.name"),
                    reason: "a schema_transform needs a name of letters, digits, `-` and `_`"
                        .to_string(),
                }),
                (_, None) => errors.push(ValidationError::InvalidParams {
                    path: format!("{base}.template"),
                    reason: "a schema_transform needs a JSON object template".to_string(),
                }),
            }
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors)
        }
    }

    /// The template rendered for one row. A string that is one `{{ expression }}` keeps the
    /// expression's type (a number stays a number, a list a list); other strings are rendered
    /// as text.
    pub fn apply(
        &self,
        env: &minijinja::Environment<'_>,
        row: &Map<String, Value>,
    ) -> Result<Map<String, Value>, String> {
        match render_value(env, &self.template, row)? {
            Value::Object(map) => Ok(map),
            _ => Err("the template did not give an object".to_string()),
        }
    }
}

/// Names become folder names of the outputs, so they are kept plain.
fn is_safe_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn render_value(
    env: &minijinja::Environment<'_>,
    template: &Value,
    row: &Map<String, Value>,
) -> Result<Value, String> {
    Ok(match template {
        Value::String(source) => {
            let trimmed = source.trim();
            let single = trimmed
                .strip_prefix("{{")
                .and_then(|s| s.strip_suffix("}}"))
                .filter(|inner| !inner.contains("{{") && !inner.contains("}}"));
            match single {
                Some(expr) => {
                    let compiled = env
                        .compile_expression(expr.trim())
                        .map_err(|e| e.to_string())?;
                    let value = compiled
                        .eval(minijinja::Value::from_serialize(row))
                        .map_err(|e| e.to_string())?;
                    if value.is_undefined() {
                        return Err(format!("`{}` is not a column of the row", expr.trim()));
                    }
                    serde_json::to_value(&value).map_err(|e| e.to_string())?
                }
                None => Value::String(
                    env.render_str(source, minijinja::Value::from_serialize(row))
                        .map_err(|e| e.to_string())?,
                ),
            }
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| render_value(env, v, row))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), render_value(env, v, row)?)))
                .collect::<Result<_, String>>()?,
        ),
        other => other.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn templates_keep_types_and_render_text() {
        let t = Transform {
            name: "chat".into(),
            template: json!({"messages": [
                {"role": "user", "content": "Q: {{ question }}"},
                {"role": "assistant", "content": "{{ answer }}"}],
                "score": "{{ grade.score }}", "n": 3}),
        };
        let env = crate::validate::template_env();
        let row = json!({"question": "2+2?", "answer": "4", "grade": {"score": 5}});
        let out = t.apply(&env, row.as_object().unwrap()).unwrap();
        assert_eq!(
            Value::Object(out),
            json!({"messages": [{"role": "user", "content": "Q: 2+2?"},
                                {"role": "assistant", "content": "4"}],
                   "score": 5, "n": 3})
        );
    }

    #[test]
    fn a_missing_column_is_an_error() {
        let t = Transform {
            name: "x".into(),
            template: json!({"a": "{{ nope }}"}),
        };
        let env = crate::validate::template_env();
        assert!(t.apply(&env, &Map::new()).is_err());
    }
}
