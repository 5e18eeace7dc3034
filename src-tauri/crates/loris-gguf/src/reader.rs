//! The GGUF header reader: every count and length is checked against what is left of the file
//! before anything is allocated for it, so a hostile or truncated file gives a typed error, never
//! a panic or a multi-gigabyte allocation.
//!
//! Layout (little-endian, GGUF v2/v3): magic `GGUF`, u32 version, u64 tensor count, u64 KV
//! count, the KVs (string key, u32 value type, value), the tensor infos (string name, u32 n_dims,
//! u64 dims, u32 ggml type, u64 offset), padding to `general.alignment` (default 32), the data.
//! Version 1 (u32 lengths, 2023) is refused, as llama.cpp refuses it.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use crate::error::{GgufError, Result};
use crate::ggml_type::GgmlType;
use crate::header::{GgufHeader, GgufTensorInfo};
use crate::value::{GgufValue, ValueType};

pub const MAGIC: &[u8; 4] = b"GGUF";
pub const DEFAULT_ALIGNMENT: u64 = 32;
/// ggml tensors have at most 4 dimensions (GGML_MAX_DIMS).
pub const MAX_DIMS: u32 = 4;
/// Far above any real file (tens of thousands of tensors, a few hundred keys), low enough that a
/// corrupt count fails before it allocates.
pub const MAX_TENSORS: u64 = 1 << 20;
pub const MAX_KVS: u64 = 1 << 20;
/// Longest string kept: chat templates are tens of KB; a name or key longer than this is damage.
pub const MAX_STRING_BYTES: u64 = 16 << 20;
/// Arrays of arrays are legal; deeper nesting than this is damage (and would recurse).
pub const MAX_ARRAY_DEPTH: u32 = 4;
/// Capacity reserved up front for a list read from the file; longer lists grow as their items
/// are actually read, so a lying count costs nothing.
const MAX_RESERVE: u64 = 4096;

/// What the reader keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseOptions {
    /// Arrays with more items than this keep their length only (the values are skipped): the
    /// memory estimator needs counts, and a 262k-entry vocabulary need not become 262k Strings.
    pub max_kept_array_items: u64,
}

impl ParseOptions {
    /// Every value, as a tokenizer built from the metadata needs.
    pub const KEEP_ALL: ParseOptions = ParseOptions {
        max_kept_array_items: u64::MAX,
    };
    /// Scalars and short arrays; long arrays (vocabularies, merges) as lengths.
    pub const SUMMARY: ParseOptions = ParseOptions {
        max_kept_array_items: 4096,
    };
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions::KEEP_ALL
    }
}

/// Reads the header of a GGUF file: metadata and tensor infos, never the tensor data.
pub fn read_file(path: &Path, options: ParseOptions) -> Result<GgufHeader> {
    let file = File::open(path).map_err(|e| GgufError::io("cannot open", path, e))?;
    let file_size = file
        .metadata()
        .map_err(|e| GgufError::io("cannot stat", path, e))?
        .len();
    parse_reader(BufReader::new(file), file_size, path, options)
}

/// Parses a whole file held in memory (the fuzzing entry point).
pub fn parse(bytes: &[u8], options: ParseOptions) -> Result<GgufHeader> {
    parse_reader(bytes, bytes.len() as u64, Path::new(""), options)
}

/// Parses from any reader positioned at the start of the file; `file_size` bounds every count
/// and length read, and `path` names the file in I/O errors.
pub fn parse_reader<R: Read>(
    reader: R,
    file_size: u64,
    path: &Path,
    options: ParseOptions,
) -> Result<GgufHeader> {
    let mut r = Cursor {
        inner: reader,
        pos: 0,
        size: file_size,
        path,
        options,
    };
    let magic = r.bytes::<4>()?;
    if &magic != MAGIC {
        return Err(GgufError::BadMagic { found: magic });
    }
    let version = r.u32()?;
    if !(2..=3).contains(&version) {
        return Err(GgufError::UnsupportedVersion { version });
    }
    let tensor_count = r.u64()?;
    let kv_count = r.u64()?;
    check_max("tensor count", tensor_count, MAX_TENSORS)?;
    check_max("metadata count", kv_count, MAX_KVS)?;
    // Each KV takes at least a key length, a type and one byte; each tensor info a name length,
    // n_dims, a type and an offset.
    let least = kv_count
        .saturating_mul(8 + 4 + 1)
        .saturating_add(tensor_count.saturating_mul(8 + 4 + 4 + 8));
    r.ensure(least, "the declared metadata and tensor infos")?;

    let mut metadata = BTreeMap::new();
    for _ in 0..kv_count {
        let key = r.name("metadata key")?;
        let value_type = r.value_type()?;
        let value = r.value(value_type, 0)?;
        if metadata.contains_key(&key) {
            return Err(GgufError::DuplicateKey { key });
        }
        metadata.insert(key, value);
    }

    let alignment = match metadata.get("general.alignment") {
        None => DEFAULT_ALIGNMENT,
        Some(v) => match v.as_u64() {
            Some(a) if a.is_power_of_two() => a,
            _ => {
                return Err(GgufError::BadAlignment {
                    value: format!("{v:?}"),
                });
            }
        },
    };

    let mut tensors = Vec::with_capacity(reserve(tensor_count));
    let mut names = BTreeSet::new();
    for _ in 0..tensor_count {
        let info = r.tensor_info()?;
        if !names.insert(info.name.clone()) {
            return Err(GgufError::DuplicateTensor { name: info.name });
        }
        tensors.push(info);
    }

    let data_offset = r
        .pos
        .div_ceil(alignment)
        .checked_mul(alignment)
        .ok_or_else(|| GgufError::Overflow {
            what: "the data offset".to_owned(),
        })?;
    let data_bytes = file_size.saturating_sub(data_offset);
    for t in &tensors {
        if t.offset % alignment != 0 {
            return Err(GgufError::MisalignedTensor {
                name: t.name.clone(),
                alignment,
            });
        }
        let end = t.offset.checked_add(t.n_bytes);
        if end.is_none_or(|end| end > data_bytes) {
            return Err(GgufError::TensorOutOfBounds {
                name: t.name.clone(),
                file_size,
            });
        }
    }

    Ok(GgufHeader {
        version,
        metadata,
        tensors,
        alignment,
        data_offset,
        file_size,
    })
}

fn check_max(what: &'static str, value: u64, max: u64) -> Result<()> {
    if value > max {
        return Err(GgufError::Implausible { what, value, max });
    }
    Ok(())
}

fn reserve(count: u64) -> usize {
    usize::try_from(count.min(MAX_RESERVE)).unwrap_or(0)
}

/// A reader that knows how much of the file is left, so no length can run past it.
struct Cursor<'p, R> {
    inner: R,
    pos: u64,
    size: u64,
    path: &'p Path,
    options: ParseOptions,
}

impl<R: Read> Cursor<'_, R> {
    fn remaining(&self) -> u64 {
        self.size.saturating_sub(self.pos)
    }

    /// Fails before reading when `n` bytes are not left in the file.
    fn ensure(&self, n: u64, what: &'static str) -> Result<()> {
        if n > self.remaining() {
            return Err(GgufError::Truncated {
                what,
                offset: self.pos,
                needed: n,
            });
        }
        Ok(())
    }

    fn read_exact(&mut self, buf: &mut [u8], what: &'static str) -> Result<()> {
        let n = buf.len() as u64;
        self.ensure(n, what)?;
        self.inner.read_exact(buf).map_err(|e| self.read_error(e))?;
        self.pos += n;
        Ok(())
    }

    /// A short read where the size said the bytes exist: the file shrank, or the slice lied.
    fn read_error(&self, e: std::io::Error) -> GgufError {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            GgufError::Truncated {
                what: "the file",
                offset: self.pos,
                needed: 1,
            }
        } else {
            GgufError::io("cannot read", self.path, e)
        }
    }

    fn skip(&mut self, n: u64, what: &'static str) -> Result<()> {
        self.ensure(n, what)?;
        let copied = std::io::copy(&mut (&mut self.inner).take(n), &mut std::io::sink())
            .map_err(|e| self.read_error(e))?;
        if copied != n {
            return Err(GgufError::Truncated {
                what,
                offset: self.pos + copied,
                needed: n - copied,
            });
        }
        self.pos += n;
        Ok(())
    }

    fn bytes<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut buf = [0u8; N];
        self.read_exact(&mut buf, "a field")?;
        Ok(buf)
    }

    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.bytes()?))
    }

    fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(self.bytes()?))
    }

    fn value_type(&mut self) -> Result<ValueType> {
        let offset = self.pos;
        let id = self.u32()?;
        ValueType::from_id(id).ok_or(GgufError::UnknownValueType {
            value_type: id,
            offset,
        })
    }

    /// A length-prefixed byte string, without the trailing NULs some writers add.
    fn raw_string(&mut self) -> Result<Vec<u8>> {
        let len = self.u64()?;
        self.ensure(len, "a string")?;
        check_max("a string length", len, MAX_STRING_BYTES)?;
        let len = usize::try_from(len).map_err(|_| GgufError::Implausible {
            what: "a string length",
            value: len,
            max: MAX_STRING_BYTES,
        })?;
        let mut buf = vec![0u8; len];
        self.read_exact(&mut buf, "a string")?;
        while buf.last() == Some(&0) {
            buf.pop();
        }
        Ok(buf)
    }

    /// A string value not kept: the same checks as [`Self::raw_string`], without the copy.
    fn skip_string(&mut self) -> Result<()> {
        let len = self.u64()?;
        self.ensure(len, "a string")?;
        check_max("a string length", len, MAX_STRING_BYTES)?;
        self.skip(len, "a string")
    }

    /// A key or tensor name: looked up by exact text, so it must be UTF-8.
    fn name(&mut self, what: &'static str) -> Result<String> {
        let offset = self.pos;
        String::from_utf8(self.raw_string()?).map_err(|_| GgufError::BadUtf8 { what, offset })
    }

    /// A string value. Tokens of byte-level vocabularies are not always valid UTF-8 in files
    /// that llama.cpp loads; keep what can be shown rather than refuse the model.
    fn string_value(&mut self) -> Result<String> {
        let buf = self.raw_string()?;
        Ok(String::from_utf8(buf)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
    }

    fn value(&mut self, value_type: ValueType, depth: u32) -> Result<GgufValue> {
        Ok(match value_type {
            ValueType::U8 => GgufValue::U8(u8::from_le_bytes(self.bytes()?)),
            ValueType::I8 => GgufValue::I8(i8::from_le_bytes(self.bytes()?)),
            ValueType::U16 => GgufValue::U16(u16::from_le_bytes(self.bytes()?)),
            ValueType::I16 => GgufValue::I16(i16::from_le_bytes(self.bytes()?)),
            ValueType::U32 => GgufValue::U32(self.u32()?),
            ValueType::I32 => GgufValue::I32(i32::from_le_bytes(self.bytes()?)),
            ValueType::F32 => GgufValue::F32(f32::from_le_bytes(self.bytes()?)),
            ValueType::Bool => GgufValue::Bool(u8::from_le_bytes(self.bytes()?) != 0),
            ValueType::String => GgufValue::String(self.string_value()?),
            ValueType::Array => self.array(depth)?,
            ValueType::U64 => GgufValue::U64(self.u64()?),
            ValueType::I64 => GgufValue::I64(i64::from_le_bytes(self.bytes()?)),
            ValueType::F64 => GgufValue::F64(f64::from_le_bytes(self.bytes()?)),
        })
    }

    fn array(&mut self, depth: u32) -> Result<GgufValue> {
        if depth >= MAX_ARRAY_DEPTH {
            return Err(GgufError::NestedTooDeep {
                max: MAX_ARRAY_DEPTH,
            });
        }
        let item_type = self.value_type()?;
        let len = self.u64()?;
        // Every item takes at least its minimum size: a count beyond the file's end is damage.
        self.ensure(len.saturating_mul(item_type.min_size()), "an array")?;
        if len > self.options.max_kept_array_items {
            match item_type.fixed_size() {
                // The length check above covered every item.
                Some(n) => self.skip(len * n, "an array")?,
                None => {
                    for _ in 0..len {
                        if item_type == ValueType::String {
                            self.skip_string()?;
                        } else {
                            self.value(item_type, depth + 1)?;
                        }
                    }
                }
            }
            return Ok(GgufValue::Array {
                len,
                values: Vec::new(),
            });
        }
        let mut values = Vec::with_capacity(reserve(len));
        for _ in 0..len {
            values.push(self.value(item_type, depth + 1)?);
        }
        Ok(GgufValue::Array { len, values })
    }

    fn tensor_info(&mut self) -> Result<GgufTensorInfo> {
        let name = self.name("tensor name")?;
        let bad = |reason: String| GgufError::BadTensor {
            name: name.clone(),
            reason,
        };
        let n_dims = self.u32()?;
        if n_dims == 0 || n_dims > MAX_DIMS {
            return Err(bad(format!("{n_dims} dimensions")));
        }
        let mut dims = Vec::with_capacity(n_dims as usize);
        for _ in 0..n_dims {
            let d = self.u64()?;
            if d == 0 {
                return Err(bad("a zero dimension".to_owned()));
            }
            dims.push(d);
        }
        let type_id = self.u32()?;
        let ggml_type = GgmlType::from_id(type_id).ok_or_else(|| GgufError::UnknownGgmlType {
            name: name.clone(),
            type_id,
        })?;
        let offset = self.u64()?;
        let n_elements = dims
            .iter()
            .try_fold(1u64, |acc, &d| acc.checked_mul(d))
            .ok_or_else(|| GgufError::Overflow {
                what: format!("the element count of tensor {name}"),
            })?;
        // ggml quantizes along rows: the row length must be whole blocks.
        if dims[0] % ggml_type.block_size != 0 {
            return Err(bad(format!(
                "row of {} is not a multiple of the {} block size {}",
                dims[0], ggml_type.name, ggml_type.block_size
            )));
        }
        let n_bytes = (n_elements / ggml_type.block_size)
            .checked_mul(ggml_type.type_size)
            .ok_or_else(|| GgufError::Overflow {
                what: format!("the byte size of tensor {name}"),
            })?;
        Ok(GgufTensorInfo {
            name,
            dims,
            ggml_type,
            offset,
            n_bytes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::writer::GgufWriter;

    fn parse_all(bytes: &[u8]) -> Result<GgufHeader> {
        parse(bytes, ParseOptions::KEEP_ALL)
    }

    fn code(bytes: &[u8]) -> &'static str {
        parse_all(bytes).unwrap_err().code()
    }

    /// Magic, version, counts: the fixed start of a file.
    fn start(version: u32, tensors: u64, kvs: u64) -> Vec<u8> {
        let mut bytes = MAGIC.to_vec();
        bytes.extend(version.to_le_bytes());
        bytes.extend(tensors.to_le_bytes());
        bytes.extend(kvs.to_le_bytes());
        bytes
    }

    fn put_str(bytes: &mut Vec<u8>, s: &[u8]) {
        bytes.extend((s.len() as u64).to_le_bytes());
        bytes.extend(s);
    }

    #[test]
    fn reads_metadata_and_sizes_tensors_by_block() {
        let bytes = GgufWriter::default()
            .string("general.architecture", "llama")
            .u32("llama.block_count", 2)
            .str_array("tokenizer.ggml.tokens", &["a", "b", "c"])
            // 64×4 Q4_0: 8 blocks of 18 bytes.
            .tensor("blk.0.attn_q.weight", &[64, 4], 2, 144)
            .tensor("output_norm.weight", &[64], 0, 256)
            .build();
        let gguf = parse_all(&bytes).unwrap();
        assert_eq!(gguf.architecture(), Some("llama"));
        assert_eq!(gguf.req_usize("llama.block_count").unwrap(), 2);
        assert_eq!(
            gguf.opt_str_array("tokenizer.ggml.tokens").unwrap(),
            Some(vec!["a", "b", "c"])
        );
        assert_eq!(gguf.tensors[0].n_bytes, 144);
        assert_eq!(gguf.tensors[1].n_bytes, 256);
        assert_eq!(gguf.tensor_bytes(), 400);
        assert_eq!(gguf.parameters(), 64 * 4 + 64);
        assert_eq!(gguf.data_offset % 32, 0);
        assert_eq!(gguf.bytes_by_type()["Q4_0"], (1, 144));
    }

    #[test]
    fn every_truncation_is_an_error_not_a_panic() {
        let bytes = GgufWriter::default()
            .string("general.architecture", "llama")
            .str_array("tokenizer.ggml.tokens", &["a", "b"])
            .tensor("w", &[32, 2], 8, 68)
            .build();
        let full = parse_all(&bytes).unwrap();
        // Past the last tensor's bytes only padding follows, which a file may omit.
        let needed = (full.data_offset + full.tensor_bytes()) as usize;
        for cut in 0..needed {
            let err = parse_all(&bytes[..cut]).expect_err("a truncated file must not parse");
            assert!(
                ["truncated", "tensor_out_of_bounds"].contains(&err.code()),
                "cut at {cut}: {err}"
            );
        }
        assert!(parse_all(&bytes[..needed]).is_ok());
    }

    #[test]
    fn absurd_counts_and_lengths_fail_before_allocating() {
        let mut bytes = start(3, 0, 1);
        bytes.extend(u64::MAX.to_le_bytes()); // key length
        let err = parse_all(&bytes).unwrap_err();
        assert!(err.to_string().contains("past the end"), "{err}");
        assert_eq!(err.code(), "truncated");

        assert_eq!(code(&start(3, u64::MAX, u64::MAX)), "implausible_size");
        // Plausible counts that the file is far too short to hold.
        assert_eq!(code(&start(3, 1000, 1000)), "truncated");

        // An array claiming more items than bytes left.
        let mut array = start(3, 0, 1);
        put_str(&mut array, b"k");
        array.extend(9u32.to_le_bytes());
        array.extend(10u32.to_le_bytes());
        array.extend((u64::MAX / 2).to_le_bytes());
        assert_eq!(code(&array), "truncated");

        // A string longer than any real one, in a file that does hold it.
        let mut long = start(3, 0, 1);
        put_str(&mut long, b"k");
        long.extend(8u32.to_le_bytes());
        put_str(&mut long, &vec![b'x'; (MAX_STRING_BYTES + 1) as usize]);
        assert_eq!(code(&long), "implausible_size");
    }

    #[test]
    fn magic_and_version_are_checked() {
        let mut wrong = start(3, 0, 0);
        wrong[..4].copy_from_slice(b"GGML");
        let err = parse_all(&wrong).unwrap_err();
        assert_eq!(err.code(), "bad_magic");
        assert!(err.to_string().contains("magic"));
        let err = parse_all(&start(1, 0, 0)).unwrap_err();
        assert_eq!(err.code(), "unsupported_version");
        assert!(err.to_string().contains("version 1"));
        // A big-endian file reads as a huge version.
        assert_eq!(code(&start(3u32.swap_bytes(), 0, 0)), "unsupported_version");
        assert_eq!(code(b"GG"), "truncated");
        assert_eq!(code(b""), "truncated");
        assert!(parse_all(&start(2, 0, 0)).is_ok());
    }

    #[test]
    fn unknown_types_and_partial_blocks_are_rejected() {
        let unknown = GgufWriter::default().tensor("w", &[32], 99, 32).build();
        let err = parse_all(&unknown).unwrap_err();
        assert_eq!(err.code(), "unknown_ggml_type");
        assert!(err.to_string().contains("unknown ggml type 99"));
        let partial = GgufWriter::default().tensor("w", &[33], 2, 32).build();
        let err = parse_all(&partial).unwrap_err();
        assert_eq!(err.code(), "bad_tensor");
        assert!(err.to_string().contains("block size"));

        let mut value_type = start(3, 0, 1);
        put_str(&mut value_type, b"k");
        value_type.extend(13u32.to_le_bytes());
        value_type.push(0);
        assert_eq!(code(&value_type), "unknown_value_type");
    }

    #[test]
    fn tensor_infos_are_checked() {
        let dims0 = GgufWriter::default().tensor("w", &[], 0, 4).build();
        assert_eq!(code(&dims0), "bad_tensor");
        let dims5 = GgufWriter::default().tensor("w", &[1; 5], 0, 4).build();
        assert_eq!(code(&dims5), "bad_tensor");
        let zero = GgufWriter::default().tensor("w", &[4, 0], 0, 4).build();
        assert_eq!(code(&zero), "bad_tensor");
        let huge = GgufWriter::default()
            .tensor("w", &[1 << 32, 1 << 32], 0, 4)
            .build();
        assert_eq!(code(&huge), "overflow");
        let bytes_overflow = GgufWriter::default().tensor("w", &[1 << 62], 0, 4).build();
        assert_eq!(code(&bytes_overflow), "overflow");
        let twice = GgufWriter::default()
            .tensor("w", &[4], 0, 16)
            .tensor("w", &[4], 0, 16)
            .build();
        assert_eq!(code(&twice), "duplicate_tensor");
        let out = GgufWriter::default().tensor("w", &[1024], 0, 16).build();
        let err = parse_all(&out).unwrap_err();
        assert_eq!(err.code(), "tensor_out_of_bounds");
        assert!(err.to_string().contains("truncated"));

        // An offset that is not a multiple of the alignment: patch the writer's 0 to 8.
        let mut misaligned = GgufWriter::default().tensor("w", &[4], 0, 16).build();
        let at = 24 + 8 + 1 + 4 + 8 + 4;
        misaligned[at..at + 8].copy_from_slice(&8u64.to_le_bytes());
        assert_eq!(code(&misaligned), "misaligned_tensor");
    }

    #[test]
    fn keys_are_checked() {
        let twice = GgufWriter::default().u32("k", 1).u32("k", 2).build();
        assert_eq!(code(&twice), "duplicate_key");
        let zero = GgufWriter::default().u32("general.alignment", 0).build();
        assert_eq!(code(&zero), "bad_alignment");
        let three = GgufWriter::default().u32("general.alignment", 3).build();
        assert_eq!(code(&three), "bad_alignment");

        let mut bad_key = start(3, 0, 1);
        put_str(&mut bad_key, b"\xff\xfe");
        bad_key.extend(0u32.to_le_bytes());
        bad_key.push(1);
        assert_eq!(code(&bad_key), "bad_utf8");

        let mut deep = GgufValue::U8(1);
        for _ in 0..=MAX_ARRAY_DEPTH {
            deep = GgufValue::Array {
                len: 1,
                values: vec![deep],
            };
        }
        let deep = GgufWriter::default().value("k", &deep).build();
        assert_eq!(code(&deep), "nested_too_deep");
    }

    #[test]
    fn values_are_decoded_leniently_and_trailing_nuls_dropped() {
        let mut bytes = start(3, 0, 2);
        put_str(&mut bytes, b"name\0");
        bytes.extend(8u32.to_le_bytes());
        put_str(&mut bytes, b"ok\0\0");
        put_str(&mut bytes, b"token");
        bytes.extend(8u32.to_le_bytes());
        put_str(&mut bytes, b"\xe2\x96");
        let h = parse_all(&bytes).unwrap();
        assert_eq!(h.req_str("name").unwrap(), "ok");
        assert_eq!(h.req_str("token").unwrap(), "\u{fffd}");
    }

    #[test]
    fn a_summary_keeps_long_arrays_as_lengths() {
        let tokens: Vec<String> = (0..5000).map(|i| format!("t{i}")).collect();
        let refs: Vec<&str> = tokens.iter().map(String::as_str).collect();
        let scores = GgufValue::Array {
            len: 5000,
            values: vec![GgufValue::F32(0.0); 5000],
        };
        let bytes = GgufWriter::default()
            .str_array("tokenizer.ggml.tokens", &refs)
            .value("tokenizer.ggml.scores", &scores)
            .u32("after", 7)
            .build();
        let all = parse_all(&bytes).unwrap();
        assert_eq!(
            all.opt_str_array("tokenizer.ggml.tokens")
                .unwrap()
                .unwrap()
                .len(),
            5000
        );
        let summary = parse(&bytes, ParseOptions::SUMMARY).unwrap();
        let tokens = summary.get("tokenizer.ggml.tokens").unwrap();
        assert_eq!(tokens.array_len(), Some(5000));
        assert!(tokens.items().is_empty());
        assert_eq!(
            summary.get("tokenizer.ggml.scores").unwrap().array_len(),
            Some(5000)
        );
        assert_eq!(summary.req_u64("after").unwrap(), 7);
        let err = summary.opt_str_array("tokenizer.ggml.tokens").unwrap_err();
        assert_eq!(err.code(), "value_too_large");
    }

    #[test]
    fn typed_accessors_name_the_key() {
        let bytes = GgufWriter::default()
            .string("s", "x")
            .value("neg", &GgufValue::I32(-1))
            .u64("big", u64::from(u32::MAX) + 1)
            .f32("f", 0.5)
            .build();
        let h = parse_all(&bytes).unwrap();
        let err = h.req_str("missing").unwrap_err();
        assert_eq!(err.code(), "missing_key");
        assert!(err.to_string().contains("metadata key missing is missing"));
        assert_eq!(h.req_u64("s").unwrap_err().code(), "wrong_type");
        assert_eq!(h.opt_u64("neg").unwrap_err().code(), "wrong_type");
        assert_eq!(h.opt_u32("big").unwrap_err().code(), "value_too_large");
        assert_eq!(h.req_f64("f").unwrap(), 0.5);
        assert_eq!(h.req_f64("big").unwrap(), 4_294_967_296.0);
        assert_eq!(h.opt_bool("f").unwrap_err().code(), "wrong_type");
        assert_eq!(h.opt_str_array("s").unwrap_err().code(), "wrong_type");
    }

    #[test]
    fn files_are_read_through_the_same_checks() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.gguf");
        // 8 f32s fill their 32 bytes exactly: no padding after the data.
        let bytes = GgufWriter::default().tensor("w", &[8], 0, 32).build();
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(
            read_file(&path, ParseOptions::KEEP_ALL)
                .unwrap()
                .tensors
                .len(),
            1
        );
        std::fs::write(&path, &bytes[..bytes.len() - 1]).unwrap();
        let err = read_file(&path, ParseOptions::KEEP_ALL).unwrap_err();
        assert_eq!(err.code(), "tensor_out_of_bounds");
        let err = read_file(&dir.path().join("absent.gguf"), ParseOptions::KEEP_ALL).unwrap_err();
        assert_eq!(err.code(), "io");
        assert!(!err.is_malformed());
    }
}
