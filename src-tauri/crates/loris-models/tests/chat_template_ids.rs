//! Loris renders and encodes every fixture chat template exactly as transformers does.
//!
//! tests/fixtures/chat_template_ids.json holds, for each fixture tokenizer (and the SmolLM2 GGUF)
//! and a fixed set of conversations, the text and ids of transformers'
//! `apply_chat_template(..., tokenize=True)`; tests/fixtures/gen_chat_template_ids.py at the
//! repository root wrote it. Each entry is rendered with the same template variables and encoded
//! with Loris's tokenizer; text and ids must be identical, and decoding the ids must give the text
//! back. Tokenizers whose fixture is absent are skipped with a note.

use std::collections::BTreeMap;
use std::path::Path;

use loris_models::{ChatRequest, GgufFile, TextAssets};
use loris_testkit::fixtures;
use serde::Deserialize;
use serde_json::{Map, Value as Json};

const EXPECTED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/chat_template_ids.json"
);

/// The name the generator gives the SmolLM2 GGUF, whose template and tokenizer are in its metadata.
const SMOLLM2_GGUF: &str = "smollm2_gguf";

#[derive(Deserialize)]
struct Expected {
    transformers_version: String,
    entries: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    tokenizer: String,
    case: String,
    messages: Vec<Json>,
    tools: Option<Vec<Json>>,
    add_generation_prompt: bool,
    /// The further keyword arguments given to `apply_chat_template`.
    kwargs: Map<String, Json>,
    #[serde(flatten)]
    outcome: Outcome,
}

/// What transformers did with the entry.
#[derive(Deserialize)]
#[serde(untagged)]
enum Outcome {
    Rendered {
        text: String,
        ids: Vec<u32>,
    },
    /// The template refused the conversation with `raise_exception(error)`.
    Raised {
        error: String,
    },
}

impl Entry {
    /// The same inputs as a Loris request: `enable_thinking` has its own field, every other
    /// keyword argument is a template variable.
    fn request(&self) -> ChatRequest {
        let mut extra = self.kwargs.clone();
        let enable_thinking = extra.get("enable_thinking").and_then(Json::as_bool);
        if enable_thinking.is_some() {
            extra.remove("enable_thinking");
        }
        ChatRequest {
            messages: self.messages.clone(),
            tools: self.tools.clone(),
            add_generation_prompt: self.add_generation_prompt,
            enable_thinking,
            extra,
        }
    }
}

fn read_expected() -> Expected {
    let text =
        std::fs::read_to_string(Path::new(EXPECTED)).unwrap_or_else(|e| panic!("{EXPECTED}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{EXPECTED}: {e}"))
}

/// The fixture's text assets, or `None` (with a skip note) when it has not been fetched.
fn load_assets(name: &str) -> Option<TextAssets> {
    if name == SMOLLM2_GGUF {
        let Some(path) = fixtures::smollm2_gguf() else {
            fixtures::print_skip_note(&format!("models/{}", fixtures::SMOLLM2_GGUF));
            return None;
        };
        let gguf = GgufFile::open(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        return Some(TextAssets::from_gguf(&gguf, None).unwrap_or_else(|e| panic!("{name}: {e}")));
    }
    let Some(dir) = fixtures::tokenizer_dir(name) else {
        fixtures::print_skip_note(&format!("tokenizers/{name}"));
        return None;
    };
    Some(TextAssets::from_hf_dir(&dir, None).unwrap_or_else(|e| panic!("{name}: {e}")))
}

/// Where two strings first differ, with a little context, for a readable failure.
fn first_difference(want: &str, got: &str) -> String {
    let at = want
        .chars()
        .zip(got.chars())
        .take_while(|(a, b)| a == b)
        .count();
    let context = |s: &str| -> String { s.chars().skip(at.saturating_sub(30)).take(60).collect() };
    format!(
        "first difference at char {at}:\n      transformers {:?}\n      loris        {:?}",
        context(want),
        context(got)
    )
}

/// One entry's mismatch, or `None` when Loris agrees with transformers.
fn compare(assets: &TextAssets, entry: &Entry) -> Option<String> {
    let label = format!("{} / {}", entry.tokenizer, entry.case);
    match (&entry.outcome, assets.encode_chat(&entry.request())) {
        (Outcome::Raised { error }, Err(e)) => {
            let same = e.code() == "template_error" && e.to_string().contains(error.as_str());
            (!same).then(|| format!("{label}: transformers raised {error:?}, Loris {e}"))
        }
        (Outcome::Raised { error }, Ok((text, _))) => Some(format!(
            "{label}: transformers raised {error:?}, Loris rendered {text:?}"
        )),
        (Outcome::Rendered { .. }, Err(e)) => Some(format!("{label}: Loris failed: {e}")),
        (Outcome::Rendered { text, ids }, Ok((got_text, got_ids))) => {
            mismatch(&label, (text, ids), (&got_text, &got_ids))
                .or_else(|| round_trip(assets, &label, text, ids))
        }
    }
}

/// Decoding the ids, special tokens kept, gives back the rendered prompt.
fn round_trip(assets: &TextAssets, label: &str, text: &str, ids: &[u32]) -> Option<String> {
    match assets.tokenizer.decode(ids, false) {
        Ok(back) if back == text => None,
        Ok(back) => Some(format!(
            "{label}: decoding the ids does not give the text back, {}",
            first_difference(text, &back)
        )),
        Err(e) => Some(format!("{label}: decoding failed: {e}")),
    }
}

/// How Loris's text and ids differ from transformers', or `None` when they are identical.
fn mismatch(label: &str, want: (&str, &[u32]), got: (&str, &[u32])) -> Option<String> {
    let ((want_text, want_ids), (text, ids)) = (want, got);
    if text != want_text {
        return Some(format!(
            "{label}: rendered text differs, {}",
            first_difference(want_text, text)
        ));
    }
    if ids == want_ids {
        return None;
    }
    let at = ids
        .iter()
        .zip(want_ids)
        .position(|(a, b)| a != b)
        .unwrap_or(ids.len().min(want_ids.len()));
    let window = |v: &[u32]| v[at.saturating_sub(3)..(at + 5).min(v.len())].to_vec();
    Some(format!(
        "{label}: ids differ at token {at} ({} vs {} ids): transformers {:?}, loris {:?}",
        want_ids.len(),
        ids.len(),
        window(want_ids),
        window(ids)
    ))
}

#[test]
fn loris_renders_and_encodes_every_fixture_template_like_transformers() {
    let expected = read_expected();
    let mut by_tokenizer: BTreeMap<&str, Vec<&Entry>> = BTreeMap::new();
    for entry in &expected.entries {
        by_tokenizer
            .entry(&entry.tokenizer)
            .or_default()
            .push(entry);
    }
    // Every fixture tokenizer has expectations, so a new fixture cannot go unchecked.
    for name in fixtures::TOKENIZERS.iter().chain(&[SMOLLM2_GGUF]) {
        assert!(
            by_tokenizer.contains_key(name),
            "{EXPECTED} has no entries for {name}: rerun tests/fixtures/gen_chat_template_ids.py"
        );
    }

    let mut failures = Vec::new();
    let mut compared = 0;
    for (name, entries) in &by_tokenizer {
        let Some(assets) = load_assets(name) else {
            continue;
        };
        for entry in entries {
            compared += 1;
            failures.extend(compare(&assets, entry));
        }
    }
    eprintln!(
        "compared {compared} of {} renderings with transformers {}",
        expected.entries.len(),
        expected.transformers_version
    );
    assert!(
        failures.is_empty(),
        "{} of {compared} renderings differ from transformers:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
