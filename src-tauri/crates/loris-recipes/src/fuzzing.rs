//! The body of the fuzz target (`fuzz/fuzz_targets/recipe.rs`). It lives in the library so the
//! stable test suite (`tests/fuzz_bodies.rs`) runs exactly what the fuzzer runs.
//!
//! Any bytes go through the parser; a document that parses must export and parse back to the
//! same document, and one that validates previews a few rows (model columns through a
//! provider that always answers). The body returns `Ok(rows)` or the error's code and panics
//! only when one of those promises breaks.

use crate::format::{parse_recipe, to_json_value};
use crate::preview::{PreviewOptions, preview};
use crate::providers::{LlmCall, LlmProvider, LlmReply, ProviderError};
use crate::validate::validate;

/// Replies with a JSON object that fits judges and simple schemas alike.
struct Answers;

impl LlmProvider for Answers {
    fn complete(&self, _: &LlmCall<'_>) -> Result<LlmReply, ProviderError> {
        Ok(LlmReply {
            text: "{\"score\": 1}".to_string(),
            prompt_tokens: 1,
            completion_tokens: 1,
        })
    }
}

pub fn recipe(data: &[u8]) -> Result<usize, &'static str> {
    let doc = parse_recipe(data).map_err(|e| e.code())?;
    let exported = to_json_value(&doc);
    let again = parse_recipe(exported.to_string().as_bytes()).expect("an export parses");
    assert_eq!(doc, again, "export and import changed the recipe");
    if let Err(errors) = validate(&doc) {
        assert!(!errors.is_empty(), "a failed validation names its problems");
        for error in &errors {
            assert!(error.path().starts_with("recipe"), "{error}");
        }
        return Err("recipe_invalid");
    }
    let options = PreviewOptions {
        rows: 3,
        seed: data.len() as u64,
        max_attempts: 1,
    };
    preview(&doc, &options, Some(&Answers))
        .map(|p| p.rows.len())
        .map_err(|e| e.code())
}
