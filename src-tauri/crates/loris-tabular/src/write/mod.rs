//! Writing rows to files, always through an atomic replace.

mod atomic;
pub(crate) mod jsonl;
pub(crate) mod parquet;
pub(crate) mod schema;
pub(crate) mod text;

pub(crate) use atomic::write_atomic;
pub use jsonl::write_jsonl;
pub use parquet::write_parquet;
