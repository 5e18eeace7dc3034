//! Any bytes as a recipe: parsing, validation and a small preview return a value or a typed
//! error, never panic. Run: `cargo +nightly fuzz run recipe fuzz/seeds/recipe`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = loris_recipes::fuzzing::recipe(data);
});
