//! Any bytes as a safetensors file: the header parser returns a header or a typed error, never
//! panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = loris_gguf::fuzzing::safetensors_header(data);
});
