//! The fuzz target bodies over the checked-in seeds and a few thousand deterministic mutations of
//! them (every truncation, random byte changes, every position overwritten with huge length
//! values), so the stable toolchain exercises what `cargo fuzz` runs: never a panic, always
//! `Ok` or a typed error.
//!
//! `LORIS_WRITE_SEEDS=1 cargo test -p loris-gguf --test fuzz_bodies` rewrites the seed files.

use std::collections::BTreeMap;
use std::path::PathBuf;

use loris_gguf::fuzzing::{gguf_header, gguf_seeds, safetensors_header, safetensors_seeds};

type Body = fn(&[u8]) -> Result<usize, &'static str>;

fn seeds_dir(target: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/seeds")
        .join(target)
}

/// The seeds on disk are what the generator writes (rewritten on request).
fn checked_in_seeds(target: &str, generated: Vec<(&str, Vec<u8>)>) -> Vec<Vec<u8>> {
    let dir = seeds_dir(target);
    let write = std::env::var_os("LORIS_WRITE_SEEDS").is_some();
    generated
        .into_iter()
        .map(|(name, bytes)| {
            let path = dir.join(name);
            if write {
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(&path, &bytes).unwrap();
            }
            let on_disk = std::fs::read(&path).unwrap_or_else(|e| {
                panic!("{}: {e} (LORIS_WRITE_SEEDS=1 writes it)", path.display())
            });
            assert_eq!(
                on_disk,
                bytes,
                "{} is stale: LORIS_WRITE_SEEDS=1 rewrites it",
                path.display()
            );
            on_disk
        })
        .collect()
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
        (self.next() % n as u64) as usize
    }
}

/// Runs `body` over `seed` and its mutations; returns how often each outcome came up.
fn run_mutations(body: Body, seed: &[u8], outcomes: &mut BTreeMap<&'static str, usize>) {
    let mut run = |bytes: &[u8]| {
        let key = match body(bytes) {
            Ok(_) => "ok",
            Err(code) => code,
        };
        *outcomes.entry(key).or_default() += 1;
    };
    run(seed);
    for cut in 0..seed.len() {
        run(&seed[..cut]);
    }
    let mut rng = Rng(0x2545_F491_4F6C_DD1D ^ seed.len() as u64);
    for _ in 0..1500 {
        let mut bytes = seed.to_vec();
        // One to three changed bytes, half of them single bit flips.
        for _ in 0..=rng.below(3) {
            let at = rng.below(bytes.len());
            if rng.next().is_multiple_of(2) {
                bytes[at] ^= 1 << rng.below(8);
            } else {
                bytes[at] = rng.next() as u8;
            }
        }
        run(&bytes);
    }
    // Every position as the start of a length or count field holding a huge value.
    for at in 0..seed.len() {
        for huge in [u64::MAX, u64::MAX / 2, 1 << 40, u64::from(u32::MAX)] {
            let mut bytes = seed.to_vec();
            let end = (at + 8).min(bytes.len());
            bytes[at..end].copy_from_slice(&huge.to_le_bytes()[..end - at]);
            run(&bytes);
        }
        let mut bytes = seed.to_vec();
        let end = (at + 4).min(bytes.len());
        bytes[at..end].copy_from_slice(&u32::MAX.to_le_bytes()[..end - at]);
        run(&bytes);
    }
}

#[test]
fn gguf_seeds_and_mutations_parse_or_fail_typed() {
    let seeds = checked_in_seeds("gguf_header", gguf_seeds());
    let mut outcomes = BTreeMap::new();
    for seed in &seeds {
        assert!(gguf_header(seed).is_ok(), "a seed must parse");
        run_mutations(gguf_header, seed, &mut outcomes);
    }
    let runs: usize = outcomes.values().sum();
    assert!(runs > 5000, "{runs} runs");
    assert!(outcomes["ok"] > 0, "{outcomes:?}");
    // The mutations reach deep into the reader, not only the magic check.
    for code in [
        "truncated",
        "bad_magic",
        "unsupported_version",
        "tensor_out_of_bounds",
    ] {
        assert!(outcomes.contains_key(code), "no {code} in {outcomes:?}");
    }
    eprintln!("{runs} GGUF runs: {outcomes:?}");
}

#[test]
fn safetensors_seeds_and_mutations_parse_or_fail_typed() {
    let seeds = checked_in_seeds("safetensors_header", safetensors_seeds());
    let mut outcomes = BTreeMap::new();
    for seed in &seeds {
        assert!(safetensors_header(seed).is_ok(), "a seed must parse");
        run_mutations(safetensors_header, seed, &mut outcomes);
    }
    let runs: usize = outcomes.values().sum();
    assert!(runs > 2000, "{runs} runs");
    for code in ["truncated", "bad_json", "implausible_size"] {
        assert!(outcomes.contains_key(code), "no {code} in {outcomes:?}");
    }
    eprintln!("{runs} safetensors runs: {outcomes:?}");
}
