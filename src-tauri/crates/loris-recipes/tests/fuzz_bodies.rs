//! The fuzz target's body over the checked-in seeds and thousands of deterministic mutations of
//! them (every truncation, byte changes, spliced JSON fragments), so the stable toolchain
//! exercises what `cargo fuzz` runs: never a panic, always rows or a typed error code.

use std::collections::BTreeMap;
use std::path::PathBuf;

use loris_recipes::fuzzing::recipe;

fn seeds() -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/recipe");
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| {
            let path = e.unwrap().path();
            (
                path.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&path).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

/// xorshift64: the same mutations on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Fragments that make JSON take unusual turns at the place they land.
const FRAGMENTS: &[&str] = &[
    "null",
    "[]",
    "{}",
    "\"\"",
    "-1",
    "1e999",
    "\"{{\"",
    "{% for",
    "\"column_type\"",
    "\"llm-judge\"",
    "\"validation\"",
    "\"sampler\"",
    "{{ a }}",
    "\u{0}",
    "\"\\ud800\"",
    "]]]]",
    "{\"name\": \"x\"}",
    "9999999999999999999",
    "true",
    ",",
];

#[test]
fn seeds_and_their_mutations_never_panic() {
    let mut outcomes: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut record = |bytes: &[u8]| {
        let key = match recipe(bytes) {
            Ok(_) => "ok",
            Err(code) => code,
        };
        *outcomes.entry(key).or_default() += 1;
    };
    let seeds = seeds();
    assert!(seeds.len() >= 3);
    for (_, seed) in &seeds {
        record(seed);
        for cut in (0..seed.len()).step_by(7) {
            record(&seed[..cut]);
        }
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ seed.len() as u64);
        for _ in 0..400 {
            let mut bytes = seed.clone();
            match rng.below(3) {
                0 => {
                    let at = rng.below(bytes.len());
                    bytes[at] ^= 1 << rng.below(8);
                }
                1 => {
                    let at = rng.below(bytes.len());
                    let fragment = FRAGMENTS[rng.below(FRAGMENTS.len())].as_bytes();
                    bytes.splice(at..at, fragment.iter().copied());
                }
                _ => {
                    // Replace a quoted value with another seed's piece.
                    let at = rng.below(bytes.len());
                    let len = rng.below(24).min(bytes.len() - at);
                    let fragment = FRAGMENTS[rng.below(FRAGMENTS.len())].as_bytes();
                    bytes.splice(at..at + len, fragment.iter().copied());
                }
            }
            record(&bytes);
        }
    }
    // Every seed parses; the mutations reach the parser's and the validator's errors.
    assert!(outcomes.get("ok").copied().unwrap_or(0) > 0, "{outcomes:?}");
    assert!(outcomes.contains_key("recipe_malformed"), "{outcomes:?}");
    assert!(outcomes.contains_key("recipe_invalid"), "{outcomes:?}");
}

#[test]
fn oversized_and_hostile_inputs_are_refused() {
    let big = vec![b' '; 17 * 1024 * 1024];
    assert_eq!(recipe(&big), Err("recipe_too_large"));
    assert_eq!(recipe(b"\xff\xfe"), Err("recipe_malformed"));
    assert_eq!(
        recipe(br#"{"recipe": {"columns": [{"name": "a", "column_type": "quantum"}]}}"#),
        Err("recipe_unknown_column_type")
    );
    // A template that would loop for ever runs out of fuel.
    let endless = br#"{"recipe": {"columns": [{"name": "a", "column_type": "expression",
        "expr": "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}"}]}}"#;
    assert_eq!(recipe(endless), Err("recipe_render_failed"));
    // Deep nesting is a parse error, not a stack overflow.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert_eq!(recipe(deep.as_bytes()), Err("recipe_malformed"));
}
