//! Paths to the fixtures that `tests/fixtures/fetch.sh` downloads.
//!
//! The cache is `$LORIS_FIXTURES`, or `~/.cache/loris-fixtures` when that is unset:
//!
//! ```text
//! tokenizers/<name>/tokenizer.json, tokenizer_config.json   (see TOKENIZERS)
//! models/SmolLM2-135M-Instruct.Q4_1.gguf
//! models/gemma-3-270m-q4_k_m.gguf
//! datasets/forgelm/<name>.jsonl                             (see FORGELM_DATASETS)
//! ```
//!
//! The accessors only check that the files exist; `fetch.sh` (or `fetch.sh --check`) verifies
//! their SHA-256.

use std::path::{Path, PathBuf};

/// Environment variable that overrides the cache location.
pub const ENV_VAR: &str = "LORIS_FIXTURES";

/// What to tell a developer when a fixture is missing.
pub const FETCH_HINT: &str = "run `tests/fixtures/fetch.sh` from the repository root (it downloads \
     into $LORIS_FIXTURES, default ~/.cache/loris-fixtures)";

/// Names of the fetched tokenizers (`tokenizers/<name>/`), each with a Jinja chat template.
pub const TOKENIZERS: [&str; 7] = [
    "qwen3",
    "qwen2_5",
    "llama3_2",
    "llama3_1",
    "llama3",
    "gemma3",
    "mistral_nemo",
];

/// Names of the fetched ForgeLM chat data sets (`datasets/forgelm/<name>.jsonl`).
pub const FORGELM_DATASETS: [&str; 2] = ["customer-support", "code-assistant"];

/// File name of the SmolLM2-135M-Instruct Q4_1 GGUF (llama architecture).
pub const SMOLLM2_GGUF: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";

/// File name of the Gemma 3 270M Q4_K_M GGUF (gemma3 architecture).
pub const GEMMA3_GGUF: &str = "gemma-3-270m-q4_k_m.gguf";

/// The fixture cache: `$LORIS_FIXTURES`, else `~/.cache/loris-fixtures`. It may not exist.
pub fn fixtures_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os(ENV_VAR).filter(|v| !v.is_empty()) {
        return PathBuf::from(dir);
    }
    let home = std::env::var_os("HOME")
        .filter(|v| !v.is_empty())
        .or_else(|| std::env::var_os("USERPROFILE").filter(|v| !v.is_empty()))
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));
    home.join(".cache").join("loris-fixtures")
}

fn existing_file(path: PathBuf) -> Option<PathBuf> {
    path.is_file().then_some(path)
}

/// `tokenizers/<name>/` when both `tokenizer.json` and `tokenizer_config.json` are present.
pub fn tokenizer_dir(name: &str) -> Option<PathBuf> {
    let dir = fixtures_dir().join("tokenizers").join(name);
    let complete = ["tokenizer.json", "tokenizer_config.json"]
        .iter()
        .all(|f| dir.join(f).is_file());
    complete.then_some(dir)
}

/// The SmolLM2-135M-Instruct Q4_1 GGUF, if present.
pub fn smollm2_gguf() -> Option<PathBuf> {
    existing_file(fixtures_dir().join("models").join(SMOLLM2_GGUF))
}

/// The Gemma 3 270M Q4_K_M GGUF, if present.
pub fn gemma3_gguf() -> Option<PathBuf> {
    existing_file(fixtures_dir().join("models").join(GEMMA3_GGUF))
}

/// `datasets/forgelm/<name>.jsonl` (one `{"messages": [...]}` chat per line), if present.
pub fn forgelm_dataset(name: &str) -> Option<PathBuf> {
    existing_file(
        fixtures_dir()
            .join("datasets")
            .join("forgelm")
            .join(format!("{name}.jsonl")),
    )
}

fn require(found: Option<PathBuf>, what: &str) -> PathBuf {
    match found {
        Some(path) => path,
        None => panic!(
            "test fixture {what} is missing from {}: {FETCH_HINT}",
            fixtures_dir().display()
        ),
    }
}

/// Like [`tokenizer_dir`], but panics with a message saying how to fetch it.
pub fn require_tokenizer_dir(name: &str) -> PathBuf {
    require(tokenizer_dir(name), &format!("tokenizers/{name}"))
}

/// Like [`smollm2_gguf`], but panics with a message saying how to fetch it.
pub fn require_smollm2_gguf() -> PathBuf {
    require(smollm2_gguf(), &format!("models/{SMOLLM2_GGUF}"))
}

/// Like [`gemma3_gguf`], but panics with a message saying how to fetch it.
pub fn require_gemma3_gguf() -> PathBuf {
    require(gemma3_gguf(), &format!("models/{GEMMA3_GGUF}"))
}

/// Like [`forgelm_dataset`], but panics with a message saying how to fetch it.
pub fn require_forgelm_dataset(name: &str) -> PathBuf {
    require(
        forgelm_dataset(name),
        &format!("datasets/forgelm/{name}.jsonl"),
    )
}

/// Prints the note a skipped test leaves: which fixture was missing and how to fetch it.
pub fn print_skip_note(what: &str) {
    eprintln!(
        "SKIPPED: test fixture {what} not found under {}; {FETCH_HINT}",
        fixtures_dir().display()
    );
}

/// The path relative to the fixture cache, for messages.
pub fn display_relative(path: &Path) -> String {
    path.strip_prefix(fixtures_dir())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// Evaluates to the fixture's path, or prints a skip note and returns from the enclosing test
/// (which must return `()`) when the fixture is absent.
///
/// ```no_run
/// # fn test() {
/// let dir = loris_testkit::fixture_or_skip!(loris_testkit::fixtures::tokenizer_dir("qwen3"));
/// # let _ = dir;
/// # }
/// ```
#[macro_export]
macro_rules! fixture_or_skip {
    ($found:expr) => {
        match $found {
            ::std::option::Option::Some(path) => path,
            ::std::option::Option::None => {
                $crate::fixtures::print_skip_note(stringify!($found));
                return;
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accessors_agree_with_the_cache_layout() {
        let root = fixtures_dir();
        for name in TOKENIZERS {
            if let Some(dir) = tokenizer_dir(name) {
                assert_eq!(dir, root.join("tokenizers").join(name));
            }
        }
        assert_eq!(tokenizer_dir("no-such-tokenizer"), None);
        assert_eq!(forgelm_dataset("no-such-set"), None);
        if let Some(p) = smollm2_gguf() {
            assert_eq!(display_relative(&p), format!("models/{SMOLLM2_GGUF}"));
        }
    }

    #[test]
    fn fetched_files_look_right() {
        let smol = fixture_or_skip!(smollm2_gguf());
        let gemma = fixture_or_skip!(gemma3_gguf());
        for gguf in [smol, gemma] {
            let mut magic = [0u8; 4];
            let mut f = std::fs::File::open(&gguf).unwrap();
            std::io::Read::read_exact(&mut f, &mut magic).unwrap();
            assert_eq!(&magic, b"GGUF", "{}", gguf.display());
        }
        for name in FORGELM_DATASETS {
            let path = fixture_or_skip!(forgelm_dataset(name));
            let text = std::fs::read_to_string(path).unwrap();
            let mut lines = 0;
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                let row: serde_json::Value = serde_json::from_str(line).unwrap();
                assert!(row["messages"].as_array().is_some_and(|m| !m.is_empty()));
                lines += 1;
            }
            assert!(lines >= 50, "{name}: {lines} rows");
        }
        for name in TOKENIZERS {
            let dir = fixture_or_skip!(tokenizer_dir(name));
            let config: serde_json::Value =
                serde_json::from_slice(&std::fs::read(dir.join("tokenizer_config.json")).unwrap())
                    .unwrap();
            assert!(
                config["chat_template"].is_string(),
                "{name} has no chat template"
            );
        }
    }

    #[test]
    #[should_panic(expected = "tests/fixtures/fetch.sh")]
    fn require_panics_with_the_fetch_hint() {
        require_forgelm_dataset("no-such-set");
    }
}
