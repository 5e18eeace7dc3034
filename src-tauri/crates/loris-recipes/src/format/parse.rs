//! Reading a recipe: a size limit first, then JSON with the path of any failure.

use std::io::Read;
use std::path::Path;

use serde_json::Value;

use super::RecipeDocument;
use super::column::{INNER_PATH_MARK, UNKNOWN_TYPE_MARK};
use crate::error::{RecipeError, Result};

/// Recipes are small documents; anything larger is refused before it is parsed.
pub const MAX_RECIPE_BYTES: u64 = 16 * 1024 * 1024;

pub fn parse_recipe_str(text: &str) -> Result<RecipeDocument> {
    parse_recipe(text.as_bytes())
}

pub fn parse_recipe(bytes: &[u8]) -> Result<RecipeDocument> {
    let size = bytes.len() as u64;
    if size > MAX_RECIPE_BYTES {
        return Err(RecipeError::TooLarge {
            size,
            limit: MAX_RECIPE_BYTES,
        });
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let doc: RecipeDocument = match serde_path_to_error::deserialize(&mut de) {
        Ok(doc) => doc,
        Err(err) => return Err(classify(err)),
    };
    // Trailing characters after the document are a malformation too.
    de.end().map_err(|err| RecipeError::Malformed {
        path: String::new(),
        message: err.to_string(),
    })?;
    Ok(doc)
}

/// Reads a recipe file, refusing an oversized one before reading it.
pub fn read_recipe_file(path: &Path) -> Result<RecipeDocument> {
    let io = |source| RecipeError::Io {
        path: path.display().to_string(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    if size > MAX_RECIPE_BYTES {
        return Err(RecipeError::TooLarge {
            size,
            limit: MAX_RECIPE_BYTES,
        });
    }
    let mut bytes = Vec::new();
    // The file may grow between the size check and the read, so the read is bounded too.
    file.take(MAX_RECIPE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    parse_recipe(&bytes)
}

/// The document as a JSON value, for export and comparison.
pub fn to_json_value(doc: &RecipeDocument) -> Value {
    // Serializing these types cannot fail: every map key is a string.
    serde_json::to_value(doc).unwrap_or(Value::Null)
}

fn classify(err: serde_path_to_error::Error<serde_json::Error>) -> RecipeError {
    let outer = err.path().to_string();
    let message = err.into_inner().to_string();
    if let Some(rest) = message.strip_prefix(UNKNOWN_TYPE_MARK) {
        // serde appends " at line L column C" to custom messages from a reader.
        let column_type = strip_position(rest).to_string();
        return RecipeError::UnknownColumnType {
            path: join(&outer, "column_type"),
            column_type,
        };
    }
    let (path, message) = match message.strip_prefix(INNER_PATH_MARK) {
        Some(rest) => {
            let (inner, text) = rest.split_once('\u{1}').unwrap_or(("", rest));
            (join(&outer, inner), text.to_string())
        }
        None => (outer, message),
    };
    // serde reports a missing field at the object that lacks it; point at the field itself.
    let path = match missing_field(&message) {
        Some(field) => join(&path, field),
        None => path,
    };
    RecipeError::Malformed { path, message }
}

fn missing_field(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("missing field `")?;
    rest.split_once('`').map(|(field, _)| field)
}

fn strip_position(text: &str) -> &str {
    match text.rfind(" at line ") {
        Some(at) => &text[..at],
        None => text,
    }
}

fn join(outer: &str, inner: &str) -> String {
    match (outer, inner) {
        ("" | ".", _) => inner.to_string(),
        (_, "" | ".") => outer.to_string(),
        _ => format!("{outer}.{inner}"),
    }
}
