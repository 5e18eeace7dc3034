//! Any bytes as a GGUF file: the reader returns a header or a typed error, never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = loris_gguf::fuzzing::gguf_header(data);
});
