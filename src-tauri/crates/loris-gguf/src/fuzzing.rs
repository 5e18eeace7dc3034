//! The bodies of the fuzz targets (`fuzz/fuzz_targets/`) and their seed inputs. They live in the
//! library so the stable test suite (`tests/fuzz_bodies.rs`) runs exactly what the fuzzer runs.
//!
//! A body never panics on any input: it returns `Ok` with a summary or the error's code. Where a
//! parse succeeds it checks what the parser promises (every tensor inside the file), so a
//! parser bug that lets bad data through is a crash the fuzzer finds.

use crate::header::GgufHeader;
use crate::reader::{self, ParseOptions};
use crate::safetensors;
use crate::value::GgufValue;
use crate::writer::GgufWriter;

/// Parses `data` as a GGUF file, keeping everything and then only a summary; the two must
/// agree. Returns the tensor count, or the error code.
pub fn gguf_header(data: &[u8]) -> Result<usize, &'static str> {
    let full = reader::parse(data, ParseOptions::KEEP_ALL);
    let summary = reader::parse(data, ParseOptions::SUMMARY);
    match (full, summary) {
        (Ok(full), Ok(summary)) => {
            check_gguf(&full, data.len() as u64);
            assert_eq!(
                full.tensors, summary.tensors,
                "the keep limit changed the tensors"
            );
            assert_eq!(full.data_offset, summary.data_offset);
            Ok(full.tensors.len())
        }
        (Err(e), Err(f)) => {
            assert_eq!(e.code(), f.code(), "the keep limit changed the error");
            assert!(e.is_malformed(), "bytes in memory gave an I/O error: {e}");
            assert!(!e.to_string().is_empty());
            Err(e.code())
        }
        (full, summary) => panic!(
            "the keep limit changed the outcome: {:?} vs {:?}",
            full.map(|h| h.tensors.len()),
            summary.map(|h| h.tensors.len())
        ),
    }
}

fn check_gguf(h: &GgufHeader, file_size: u64) {
    assert_eq!(h.file_size, file_size);
    assert!(h.alignment.is_power_of_two());
    assert_eq!(h.data_offset % h.alignment, 0);
    for t in &h.tensors {
        assert!(!t.dims.is_empty() && t.dims.len() <= 4, "{}", t.name);
        let end = h.data_offset + t.offset + t.n_bytes;
        assert!(end <= file_size, "tensor {} ends at {end}", t.name);
        assert_eq!(
            t.n_elements() / t.ggml_type.block_size * t.ggml_type.type_size,
            t.n_bytes
        );
    }
    // The typed accessors answer every key without panicking, whatever its type.
    for key in h.metadata.keys() {
        let _ = h.opt_str(key);
        let _ = h.opt_usize(key);
        let _ = h.opt_u32(key);
        let _ = h.opt_f64(key);
        let _ = h.opt_bool(key);
        let _ = h.opt_str_array(key);
        let _ = h.opt_f32_array(key);
        let _ = h.opt_u64_array(key);
    }
    let _ = h.bytes_by_type();
    let _ = h.parameters();
}

/// Parses `data` as a safetensors file. Returns the tensor count, or the error code.
pub fn safetensors_header(data: &[u8]) -> Result<usize, &'static str> {
    match safetensors::parse(data) {
        Ok(h) => {
            let data_bytes = data.len() as u64 - h.data_offset();
            let mut next = 0;
            for t in &h.tensors {
                assert_eq!(t.data_offsets.0, next, "tensor {} is not packed", t.name);
                next = t.data_offsets.1;
            }
            assert_eq!(next, data_bytes);
            let _ = h.parameters();
            Ok(h.tensors.len())
        }
        Err(e) => {
            assert_ne!(e.code(), "io");
            assert!(!e.to_string().is_empty());
            Err(e.code())
        }
    }
}

/// Small valid GGUF files: a model-like header with tensors of three ggml types, and one with
/// a value of every metadata type (nested arrays included) and no tensors.
pub fn gguf_seeds() -> Vec<(&'static str, Vec<u8>)> {
    let model = GgufWriter::default()
        .string("general.architecture", "llama")
        .u32("llama.block_count", 1)
        .u32("llama.embedding_length", 32)
        .f32("llama.attention.layer_norm_rms_epsilon", 1e-5)
        .str_array("tokenizer.ggml.tokens", &["<s>", "a", "b"])
        .tensor("token_embd.weight", &[32, 3], 8, 3 * 34)
        .tensor("blk.0.attn_q.weight", &[32, 1], 2, 18)
        .tensor("output_norm.weight", &[4], 0, 16)
        .build();
    let every_type = GgufWriter::default()
        .version(2)
        .value("u8", &GgufValue::U8(1))
        .value("i8", &GgufValue::I8(-1))
        .value("u16", &GgufValue::U16(2))
        .value("i16", &GgufValue::I16(-2))
        .value("i32", &GgufValue::I32(-4))
        .value("bool", &GgufValue::Bool(true))
        .u64("u64", 8)
        .value("i64", &GgufValue::I64(-8))
        .value("f64", &GgufValue::F64(0.5))
        .value("general.alignment", &GgufValue::U32(64))
        .value(
            "nested",
            &GgufValue::Array {
                len: 2,
                values: vec![
                    GgufValue::Array {
                        len: 1,
                        values: vec![GgufValue::F32(1.0)],
                    },
                    GgufValue::Array {
                        len: 0,
                        values: vec![],
                    },
                ],
            },
        )
        .build();
    vec![("model.gguf", model), ("every-type.gguf", every_type)]
}

/// A small valid safetensors file: two tensors and string metadata.
pub fn safetensors_seeds() -> Vec<(&'static str, Vec<u8>)> {
    let json = concat!(
        r#"{"__metadata__":{"format":"pt"},"#,
        r#""model.norm.weight":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"#,
        r#""model.embed.weight":{"dtype":"BF16","shape":[2,4],"data_offsets":[16,32]}}"#
    );
    let mut bytes = (json.len() as u64).to_le_bytes().to_vec();
    bytes.extend(json.as_bytes());
    bytes.resize(bytes.len() + 32, 0);
    vec![("model.safetensors", bytes)]
}
