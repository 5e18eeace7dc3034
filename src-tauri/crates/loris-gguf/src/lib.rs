//! Model file headers, read without loading any weights: one bounds-checked GGUF reader for the
//! whole project, and a safetensors header parser.
//!
//! - [`reader`]: GGUF header, metadata (every value type, arrays), tensor infos; from a file
//!   ([`read_file`]) or from bytes in memory ([`parse`]).
//! - [`header`]: the parsed [`GgufHeader`] with typed accessors (`req_str`, `opt_usize`, ...).
//! - [`ggml_type`]: ggml's type table (block size, block bytes, bits per weight).
//! - [`safetensors`]: the JSON header of a safetensors file, checked against the file size.
//! - [`writer`]: a minimal GGUF writer for tests and fuzzing seeds.
//! - [`fuzzing`]: the fuzz target bodies and their seeds.
//!
//! Every malformed input is a typed error with a stable [`GgufError::code`] (or
//! [`safetensors::SafetensorsError::code`]): bad magic, unsupported version, truncation at any
//! offset, counts and lengths that would allocate without bound, bad UTF-8 in keys and names,
//! unknown value and tensor types, tensor data outside the file, arithmetic overflow.
//! `loris-models` (tokenizers from GGUF metadata, the engine's loader) and `loris-hardware`
//! (the memory estimator) both read GGUF through this crate.
//!
//! # Fuzzing
//!
//! The cargo-fuzz targets live in `fuzz/` (a workspace of their own, so the main workspace never
//! builds them; nightly only). From this crate's directory:
//!
//! ```text
//! cargo install cargo-fuzz --locked
//! cd src-tauri/crates/loris-gguf
//! cargo +nightly fuzz run gguf_header fuzz/corpus/gguf_header fuzz/seeds/gguf_header -- -max_total_time=120
//! cargo +nightly fuzz run safetensors_header fuzz/corpus/safetensors_header fuzz/seeds/safetensors_header -- -max_total_time=120
//! ```
//!
//! The first corpus directory collects what the fuzzer finds and `fuzz/artifacts/` any crash
//! (both ignored by git); `fuzz/seeds/` holds the checked-in seeds, written by
//! `LORIS_WRITE_SEEDS=1 cargo test -p loris-gguf --test fuzz_bodies`. On the stable toolchain,
//! `cargo test -p loris-gguf` runs the same bodies over the seeds and thousands of
//! deterministic mutations of them; a crash the fuzzer finds belongs there as a regression
//! case.

pub mod error;
pub mod fuzzing;
pub mod ggml_type;
pub mod header;
pub mod reader;
pub mod safetensors;
pub mod value;
pub mod writer;

pub use error::{GgufError, Result};
pub use ggml_type::{GGML_TYPES, GgmlType};
pub use header::{GgufHeader, GgufTensorInfo};
pub use reader::{ParseOptions, parse, parse_reader, read_file};
pub use value::{GgufValue, ValueType};
pub use writer::GgufWriter;
