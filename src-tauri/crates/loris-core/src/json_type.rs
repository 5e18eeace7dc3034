//! How arbitrary JSON (`serde_json::Value`) looks in the generated TypeScript.
//!
//! specta's own description of `serde_json::Value` includes 64-bit integers, which the
//! TypeScript exporter refuses (they would lose precision in JavaScript). JSON numbers reach the
//! webview as JavaScript numbers anyway, so fields holding JSON are exported as this type:
//! `#[specta(type = JsonValue)]`.

use std::collections::BTreeMap;

#[derive(serde::Serialize, specta::Type)]
#[serde(untagged)]
#[allow(dead_code)] // only its type description is used
pub enum JsonValue {
    Null(()),
    Bool(bool),
    Number(f64),
    String(String),
    Array(Vec<JsonValue>),
    Object(BTreeMap<String, JsonValue>),
}
