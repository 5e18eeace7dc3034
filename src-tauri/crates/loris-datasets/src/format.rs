//! Dataset formats: which one a file is in (detected from its columns, or chosen), and each row
//! turned into an [`Example`]: a conversation, an Alpaca triple or a raw text.
//!
//! | format     | columns (defaults)                              | becomes                     |
//! | ---------- | ----------------------------------------------- | --------------------------- |
//! | `messages` | `messages`: `[{role, content}]` (OpenAI)        | the conversation            |
//! | `sharegpt` | `conversations`: `[{from, value}]`             | the conversation            |
//! | `alpaca`   | `instruction`, `input` (optional), `output`     | user + assistant, or a plain Alpaca prompt |
//! | `text`     | `text`                                          | continued pretraining text  |
//!
//! Cells holding JSON text (a CSV or Parquet export of a chat column) are parsed. Both chat
//! formats accept both spellings of a message (`role`/`content` and `from`/`value`), since real
//! files mix them.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{DatasetError, Result, RowRef};
use crate::reader::{Row, json_kind};

/// How many leading rows detection looks at, so that a first row with a null column does not
/// hide the format.
const DETECT_ROWS: usize = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DatasetFormat {
    /// OpenAI chat messages: `role` system/user/assistant/tool, `content` a string or a list of
    /// `{type: text, text}` parts.
    Messages,
    /// ShareGPT: `conversations` of `{from: human|gpt|system|tool, value}`.
    #[serde(rename = "sharegpt")]
    ShareGpt,
    /// Alpaca: `instruction`, optional `input`, `output`.
    Alpaca,
    /// Raw text for continued pretraining: every token is trained.
    Text,
}

impl DatasetFormat {
    pub const ALL: [DatasetFormat; 4] = [
        DatasetFormat::Messages,
        DatasetFormat::ShareGpt,
        DatasetFormat::Alpaca,
        DatasetFormat::Text,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DatasetFormat::Messages => "messages",
            DatasetFormat::ShareGpt => "sharegpt",
            DatasetFormat::Alpaca => "alpaca",
            DatasetFormat::Text => "text",
        }
    }
}

impl fmt::Display for DatasetFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DatasetFormat {
    type Err = DatasetError;

    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "messages" | "openai" | "chat" => Ok(DatasetFormat::Messages),
            "sharegpt" | "conversations" => Ok(DatasetFormat::ShareGpt),
            "alpaca" => Ok(DatasetFormat::Alpaca),
            "text" | "raw" | "completion" => Ok(DatasetFormat::Text),
            other => Err(DatasetError::InvalidOptions(format!(
                "unknown dataset format '{other}' (expected messages, sharegpt, alpaca or text)"
            ))),
        }
    }
}

/// Which column holds what, for files whose columns have other names. A column named here
/// replaces the default; naming a chat, Alpaca or text column also picks that format when none
/// is chosen.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ColumnMapping {
    pub messages: Option<String>,
    pub conversations: Option<String>,
    pub instruction: Option<String>,
    pub input: Option<String>,
    pub output: Option<String>,
    pub text: Option<String>,
    /// An optional system prompt column for Alpaca rows (default `system`, used when present).
    pub system: Option<String>,
}

impl ColumnMapping {
    fn column<'a>(&'a self, field: &'a Option<String>, default: &'a str) -> &'a str {
        field
            .as_deref()
            .filter(|c| !c.is_empty())
            .unwrap_or(default)
    }

    pub fn messages_column(&self) -> &str {
        self.column(&self.messages, "messages")
    }
    pub fn conversations_column(&self) -> &str {
        self.column(&self.conversations, "conversations")
    }
    pub fn instruction_column(&self) -> &str {
        self.column(&self.instruction, "instruction")
    }
    pub fn input_column(&self) -> &str {
        self.column(&self.input, "input")
    }
    pub fn output_column(&self) -> &str {
        self.column(&self.output, "output")
    }
    pub fn text_column(&self) -> &str {
        self.column(&self.text, "text")
    }
    pub fn system_column(&self) -> &str {
        self.column(&self.system, "system")
    }

    /// The format the mapping implies, when it names a format's main column.
    fn implied_format(&self) -> Option<DatasetFormat> {
        let set = |f: &Option<String>| f.as_deref().is_some_and(|c| !c.is_empty());
        if set(&self.messages) {
            Some(DatasetFormat::Messages)
        } else if set(&self.conversations) {
            Some(DatasetFormat::ShareGpt)
        } else if set(&self.instruction) || set(&self.output) {
            Some(DatasetFormat::Alpaca)
        } else if set(&self.text) {
            Some(DatasetFormat::Text)
        } else {
            None
        }
    }
}

/// The format of `rows`: `chosen` when given, else the one the mapping names, else the first of
/// messages, sharegpt, alpaca (instruction + output) and text whose columns the leading rows
/// have.
pub fn detect(
    rows: &[Row],
    chosen: Option<DatasetFormat>,
    mapping: &ColumnMapping,
) -> Result<DatasetFormat> {
    if let Some(format) = chosen.or_else(|| mapping.implied_format()) {
        return Ok(format);
    }
    let columns: BTreeSet<&str> = rows
        .iter()
        .take(DETECT_ROWS)
        .flat_map(|r| r.fields.iter())
        .filter(|(_, v)| !v.is_null())
        .map(|(k, _)| k.as_str())
        .collect();
    let has = |c: &str| columns.contains(c);
    if has("messages") {
        Ok(DatasetFormat::Messages)
    } else if has("conversations") {
        Ok(DatasetFormat::ShareGpt)
    } else if has("instruction") && has("output") {
        Ok(DatasetFormat::Alpaca)
    } else if has("text") {
        Ok(DatasetFormat::Text)
    } else {
        Err(DatasetError::UnknownFormat {
            columns: columns.into_iter().collect::<Vec<_>>().join(", "),
        })
    }
}

/// One row in a format-independent shape.
#[derive(Debug, Clone, PartialEq)]
pub enum Example {
    /// Messages with canonical roles and string content, ready for a chat template; `tools`
    /// from the row's `tools` column when it has one.
    Chat {
        messages: Vec<Value>,
        tools: Option<Vec<Value>>,
    },
    Alpaca {
        system: Option<String>,
        instruction: String,
        input: String,
        output: String,
    },
    Text(String),
}

/// Turns a row into an [`Example`] of `format`, or names the missing or malformed field.
pub fn to_example(row: &Row, format: DatasetFormat, mapping: &ColumnMapping) -> Result<Example> {
    let at = row.at;
    match format {
        DatasetFormat::Messages | DatasetFormat::ShareGpt => {
            let column = if format == DatasetFormat::Messages {
                mapping.messages_column()
            } else {
                mapping.conversations_column()
            };
            let messages = chat_messages(at, column, required(row, column)?)?;
            let tools = tools(at, row.fields.get("tools"))?;
            Ok(Example::Chat { messages, tools })
        }
        DatasetFormat::Alpaca => {
            let instruction_col = mapping.instruction_column();
            let output_col = mapping.output_column();
            let instruction = text_cell(at, instruction_col, required(row, instruction_col)?)?;
            let output = text_cell(at, output_col, required(row, output_col)?)?;
            let input_col = mapping.input_column();
            let input = match row.fields.get(input_col) {
                None | Some(Value::Null) => String::new(),
                Some(v) => text_cell(at, input_col, v)?,
            };
            let system_col = mapping.system_column();
            let system = match row.fields.get(system_col) {
                None | Some(Value::Null) => None,
                Some(v) => Some(text_cell(at, system_col, v)?).filter(|s| !s.trim().is_empty()),
            };
            Ok(Example::Alpaca {
                system,
                instruction,
                input,
                output,
            })
        }
        DatasetFormat::Text => {
            let column = mapping.text_column();
            Ok(Example::Text(text_cell(
                at,
                column,
                required(row, column)?,
            )?))
        }
    }
}

/// The field's value; absent or null is `dataset_missing_field`.
fn required<'a>(row: &'a Row, column: &str) -> Result<&'a Value> {
    match row.fields.get(column) {
        None | Some(Value::Null) => Err(DatasetError::missing(row.at, column)),
        Some(v) => Ok(v),
    }
}

/// A text cell: strings as they are; numbers and booleans as their JSON text (spreadsheet
/// answers like `42`); anything else is malformed.
fn text_cell(at: RowRef, field: &str, value: &Value) -> Result<String> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Number(_) | Value::Bool(_) => Ok(value.to_string()),
        other => Err(DatasetError::bad_field(
            at,
            field,
            format!("should be text, found {}", json_kind(other)),
        )),
    }
}

/// A list, or JSON text of one (CSV and Parquet exports of chat columns).
fn list_or_json_text(at: RowRef, field: &str, value: &Value) -> Result<Vec<Value>> {
    match value {
        Value::Array(items) => Ok(items.clone()),
        Value::String(text) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Array(items)) => Ok(items),
            _ => Err(DatasetError::bad_field(
                at,
                field,
                "should be a list (or JSON text of a list)",
            )),
        },
        other => Err(DatasetError::bad_field(
            at,
            field,
            format!("should be a list, found {}", json_kind(other)),
        )),
    }
}

fn tools(at: RowRef, value: Option<&Value>) -> Result<Option<Vec<Value>>> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(v) => list_or_json_text(at, "tools", v).map(|t| Some(t).filter(|t| !t.is_empty())),
    }
}

/// The canonical role for the spellings found in OpenAI, ShareGPT and other exports.
fn canonical_role(role: &str) -> Option<&'static str> {
    match role.trim().to_ascii_lowercase().as_str() {
        "system" | "developer" => Some("system"),
        "user" | "human" => Some("user"),
        "assistant" | "gpt" | "model" | "bot" | "chatgpt" => Some("assistant"),
        "tool" | "function" | "function_response" | "tool_response" | "observation" | "ipython" => {
            Some("tool")
        }
        _ => None,
    }
}

fn chat_messages(at: RowRef, column: &str, value: &Value) -> Result<Vec<Value>> {
    let items = list_or_json_text(at, column, value)?;
    if items.is_empty() {
        return Err(DatasetError::bad_field(
            at,
            column,
            "is an empty conversation",
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| chat_message(at, &format!("{column}[{i}]"), item))
        .collect()
}

fn chat_message(at: RowRef, path: &str, item: &Value) -> Result<Value> {
    let Value::Object(fields) = item else {
        return Err(DatasetError::bad_field(
            at,
            path,
            format!("should be a message object, found {}", json_kind(item)),
        ));
    };
    let (role_key, raw_role) = ["role", "from"]
        .iter()
        .find_map(|k| fields.get(*k).map(|v| (*k, v)))
        .ok_or_else(|| DatasetError::missing(at, format!("{path}.role")))?;
    let role_path = format!("{path}.{role_key}");
    let raw_role = raw_role.as_str().ok_or_else(|| {
        DatasetError::bad_field(
            at,
            &role_path,
            format!("should be text, found {}", json_kind(raw_role)),
        )
    })?;
    let role = canonical_role(raw_role).ok_or_else(|| DatasetError::BadRole {
        at,
        field: role_path.clone(),
        role: raw_role.to_owned(),
    })?;

    let (content_key, raw_content) = ["content", "value"]
        .iter()
        .find_map(|k| fields.get(*k).map(|v| (*k, v)))
        .unwrap_or(("content", &Value::Null));
    let content_path = format!("{path}.{content_key}");
    let has_tool_calls = fields
        .get("tool_calls")
        .and_then(Value::as_array)
        .is_some_and(|c| !c.is_empty());
    let content = match raw_content {
        Value::String(s) => Value::String(s.clone()),
        Value::Array(parts) => Value::String(join_text_parts(at, &content_path, parts)?),
        // An assistant turn that only calls tools has no content. OpenAI exports write null;
        // templates such as Qwen 3's concatenate the content and fail on a missing one, so it
        // becomes empty text.
        Value::Null if role == "assistant" && has_tool_calls => Value::String(String::new()),
        Value::Null => return Err(DatasetError::missing(at, content_path)),
        other => {
            return Err(DatasetError::bad_field(
                at,
                content_path,
                format!(
                    "should be text or a list of text parts, found {}",
                    json_kind(other)
                ),
            ));
        }
    };

    // Keep the other keys (tool_calls, tool_call_id, name, reasoning_content...): templates read
    // them. The ShareGPT spellings are replaced by the OpenAI ones.
    let mut out = Map::new();
    out.insert("role".to_owned(), Value::String(role.to_owned()));
    out.insert("content".to_owned(), content);
    for (k, v) in fields {
        if !matches!(k.as_str(), "role" | "from" | "content" | "value") {
            out.insert(k.clone(), v.clone());
        }
    }
    Ok(Value::Object(out))
}

/// OpenAI content parts: the text parts concatenated; other parts (images, audio) cannot be
/// trained on by a text model.
fn join_text_parts(at: RowRef, path: &str, parts: &[Value]) -> Result<String> {
    let mut text = String::new();
    for (i, part) in parts.iter().enumerate() {
        match part {
            Value::String(s) => text.push_str(s),
            Value::Object(o) => {
                let kind = o.get("type").and_then(Value::as_str).unwrap_or("text");
                match (kind, o.get("text")) {
                    ("text", Some(Value::String(s))) => text.push_str(s),
                    ("text", _) => {
                        return Err(DatasetError::missing(at, format!("{path}[{i}].text")));
                    }
                    (other, _) => {
                        return Err(DatasetError::bad_field(
                            at,
                            format!("{path}[{i}]"),
                            format!("is a '{other}' part; only text parts can be trained on"),
                        ));
                    }
                }
            }
            other => {
                return Err(DatasetError::bad_field(
                    at,
                    format!("{path}[{i}]"),
                    format!("should be a text part, found {}", json_kind(other)),
                ));
            }
        }
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row(value: Value) -> Row {
        Row {
            at: RowRef::line(1, 3),
            fields: value.as_object().cloned().unwrap(),
        }
    }

    fn detect_one(value: Value) -> Result<DatasetFormat> {
        detect(&[row(value)], None, &ColumnMapping::default())
    }

    #[test]
    fn each_format_is_detected() {
        let messages = json!({"messages": [{"role": "user", "content": "hi"}]});
        assert_eq!(detect_one(messages).unwrap(), DatasetFormat::Messages);
        let sharegpt = json!({"conversations": [{"from": "human", "value": "hi"}]});
        assert_eq!(detect_one(sharegpt).unwrap(), DatasetFormat::ShareGpt);
        let alpaca = json!({"instruction": "a", "input": "", "output": "b"});
        assert_eq!(detect_one(alpaca).unwrap(), DatasetFormat::Alpaca);
        assert_eq!(
            detect_one(json!({"text": "t", "id": 1})).unwrap(),
            DatasetFormat::Text
        );
    }

    #[test]
    fn unknown_columns_are_listed_and_a_mapping_resolves_them() {
        let r = row(json!({"question": "q", "answer": "a", "junk": null}));
        let err = detect(std::slice::from_ref(&r), None, &ColumnMapping::default()).unwrap_err();
        assert_eq!(err.code(), "dataset_unknown_format");
        assert!(err.to_string().contains("[answer, question]"), "{err}");

        let mapping = ColumnMapping {
            instruction: Some("question".into()),
            output: Some("answer".into()),
            ..Default::default()
        };
        let format = detect(std::slice::from_ref(&r), None, &mapping).unwrap();
        assert_eq!(format, DatasetFormat::Alpaca);
        assert_eq!(
            to_example(&r, format, &mapping).unwrap(),
            Example::Alpaca {
                system: None,
                instruction: "q".into(),
                input: String::new(),
                output: "a".into()
            }
        );
        let mapping = ColumnMapping {
            text: Some("answer".into()),
            ..Default::default()
        };
        let format = detect(std::slice::from_ref(&r), None, &mapping).unwrap();
        assert_eq!(
            to_example(&r, format, &mapping).unwrap(),
            Example::Text("a".into())
        );
    }

    #[test]
    fn a_chosen_format_wins() {
        let r = row(json!({"text": "t", "messages": []}));
        let format = detect(&[r], Some(DatasetFormat::Text), &ColumnMapping::default()).unwrap();
        assert_eq!(format, DatasetFormat::Text);
        assert_eq!(
            "ShareGPT".parse::<DatasetFormat>().unwrap(),
            DatasetFormat::ShareGpt
        );
        assert_eq!(
            "nope".parse::<DatasetFormat>().unwrap_err().code(),
            "dataset_invalid_options"
        );
    }

    #[test]
    fn sharegpt_roles_and_content_parts_are_normalized() {
        let r = row(json!({"conversations": [
            {"from": "system", "value": "Be brief."},
            {"from": "human", "value": "hi"},
            {"from": "gpt", "value": [{"type": "text", "text": "hel"}, {"type": "text", "text": "lo"}]}
        ]}));
        let Example::Chat { messages, tools } =
            to_example(&r, DatasetFormat::ShareGpt, &ColumnMapping::default()).unwrap()
        else {
            panic!("not a chat")
        };
        assert_eq!(tools, None);
        assert_eq!(
            messages,
            vec![
                json!({"role": "system", "content": "Be brief."}),
                json!({"role": "user", "content": "hi"}),
                json!({"role": "assistant", "content": "hello"}),
            ]
        );
    }

    #[test]
    fn chat_columns_holding_json_text_are_parsed() {
        let r = row(json!({
            "messages": "[{\"role\": \"user\", \"content\": \"hi\"}]",
            "tools": "[{\"type\": \"function\", \"function\": {\"name\": \"f\"}}]"
        }));
        let Example::Chat { messages, tools } =
            to_example(&r, DatasetFormat::Messages, &ColumnMapping::default()).unwrap()
        else {
            panic!("not a chat")
        };
        assert_eq!(messages.len(), 1);
        assert_eq!(tools.unwrap().len(), 1);
    }

    #[test]
    fn malformed_rows_name_the_row_and_field() {
        let m = ColumnMapping::default();
        let err = to_example(&row(json!({"text": "x"})), DatasetFormat::Messages, &m).unwrap_err();
        assert_eq!(err.code(), "dataset_missing_field");
        assert_eq!(err.to_string(), "line 3: missing field 'messages'");

        let bad_role = json!({"messages": [{"role": "user", "content": "a"}, {"role": "narrator", "content": "b"}]});
        let err = to_example(&row(bad_role), DatasetFormat::Messages, &m).unwrap_err();
        assert_eq!(err.code(), "dataset_bad_role");
        assert!(
            err.to_string()
                .starts_with("line 3: messages[1].role is 'narrator'"),
            "{err}"
        );

        let no_content = json!({"messages": [{"role": "user"}]});
        let err = to_example(&row(no_content), DatasetFormat::Messages, &m).unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 3: missing field 'messages[0].content'"
        );

        let image = json!({"messages": [{"role": "user", "content": [{"type": "image_url"}]}]});
        let err = to_example(&row(image), DatasetFormat::Messages, &m).unwrap_err();
        assert_eq!(err.code(), "dataset_bad_field");

        let err =
            to_example(&row(json!({"messages": []})), DatasetFormat::Messages, &m).unwrap_err();
        assert_eq!(err.code(), "dataset_bad_field");

        let err =
            to_example(&row(json!({"instruction": "a"})), DatasetFormat::Alpaca, &m).unwrap_err();
        assert_eq!(err.to_string(), "line 3: missing field 'output'");

        let err = to_example(&row(json!({"text": ["a"]})), DatasetFormat::Text, &m).unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 3: field 'text' should be text, found a list"
        );
    }

    #[test]
    fn tool_call_turns_may_lack_content() {
        let r = row(json!({"messages": [
            {"role": "user", "content": "weather?"},
            {"role": "assistant", "content": null, "tool_calls": [{"type": "function", "function": {"name": "w", "arguments": {}}}]},
            {"role": "tool", "content": "sunny", "tool_call_id": "1"}
        ]}));
        let Example::Chat { messages, .. } =
            to_example(&r, DatasetFormat::Messages, &ColumnMapping::default()).unwrap()
        else {
            panic!("not a chat")
        };
        assert_eq!(messages[1]["content"], "");
        assert_eq!(messages[2]["tool_call_id"], "1");
    }
}
