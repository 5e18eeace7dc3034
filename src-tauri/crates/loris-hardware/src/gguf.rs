//! A small, bounds-checked reader for GGUF headers: metadata key/values and tensor infos, never
//! the tensor data. The estimator needs the architecture numbers and each tensor's type and
//! shape; the engine (candle) is not needed for that, and a hostile or truncated file must give
//! an error, not a panic or a multi-gigabyte allocation.
//!
//! Layout (little-endian, GGUF v2/v3): magic `GGUF`, u32 version, u64 tensor count, u64 KV
//! count, the KVs (string key, u32 value type, value), the tensor infos (string name, u32 n_dims,
//! u64 dims, u32 ggml type, u64 offset), padding to `general.alignment` (default 32), the data.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use crate::error::{HardwareError, Result};

const MAGIC: &[u8; 4] = b"GGUF";
const DEFAULT_ALIGNMENT: u64 = 32;
/// ggml tensors have at most 4 dimensions (GGML_MAX_DIMS).
const MAX_DIMS: u32 = 4;
/// Far above any real file (tens of thousands of tensors, a few hundred keys), low enough that a
/// corrupt count fails before it allocates.
const MAX_TENSORS: u64 = 1 << 20;
const MAX_KVS: u64 = 1 << 20;
/// Longest string kept: chat templates are tens of KB; a name or key longer than this is damage.
const MAX_STRING_BYTES: u64 = 16 << 20;
/// Arrays longer than this (token lists, merges) keep their length only: the estimator needs
/// counts, and a 262k-entry vocabulary need not become 262k Strings.
const MAX_KEPT_ARRAY_ITEMS: u64 = 4096;
/// Arrays of arrays are legal; deeper nesting than this is damage (and would recurse).
const MAX_ARRAY_DEPTH: u32 = 4;

/// A ggml tensor type: how many weights one block holds and how many bytes it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GgmlType {
    pub id: u32,
    pub name: &'static str,
    pub block_size: u64,
    pub type_size: u64,
}

impl GgmlType {
    /// Bits per weight including the block's scales: `type_size * 8 / block_size`.
    pub fn bits_per_weight(&self) -> f64 {
        (self.type_size * 8) as f64 / self.block_size as f64
    }

    pub fn from_id(id: u32) -> Option<GgmlType> {
        GGML_TYPES.iter().copied().find(|t| t.id == id)
    }

    /// Case-insensitive lookup by ggml name (`q4_k`, `Q8_0`, `bf16`).
    pub fn from_name(name: &str) -> Option<GgmlType> {
        GGML_TYPES
            .iter()
            .copied()
            .find(|t| t.name.eq_ignore_ascii_case(name))
    }
}

const fn ty(id: u32, name: &'static str, block_size: u64, type_size: u64) -> GgmlType {
    GgmlType {
        id,
        name,
        block_size,
        type_size,
    }
}

/// ggml's type table (ggml.c `type_traits`): block size in weights, block size in bytes.
/// Ids 4, 5 and 31-33, 36-38 were removed from ggml and never appear in current files.
pub const GGML_TYPES: [GgmlType; 32] = [
    ty(0, "F32", 1, 4),
    ty(1, "F16", 1, 2),
    ty(2, "Q4_0", 32, 18),
    ty(3, "Q4_1", 32, 20),
    ty(6, "Q5_0", 32, 22),
    ty(7, "Q5_1", 32, 24),
    ty(8, "Q8_0", 32, 34),
    ty(9, "Q8_1", 32, 36),
    ty(10, "Q2_K", 256, 84),
    ty(11, "Q3_K", 256, 110),
    ty(12, "Q4_K", 256, 144),
    ty(13, "Q5_K", 256, 176),
    ty(14, "Q6_K", 256, 210),
    ty(15, "Q8_K", 256, 292),
    ty(16, "IQ2_XXS", 256, 66),
    ty(17, "IQ2_XS", 256, 74),
    ty(18, "IQ3_XXS", 256, 98),
    ty(19, "IQ1_S", 256, 50),
    ty(20, "IQ4_NL", 32, 18),
    ty(21, "IQ3_S", 256, 110),
    ty(22, "IQ2_S", 256, 82),
    ty(23, "IQ4_XS", 256, 136),
    ty(24, "I8", 1, 1),
    ty(25, "I16", 1, 2),
    ty(26, "I32", 1, 4),
    ty(27, "I64", 1, 8),
    ty(28, "F64", 1, 8),
    ty(29, "IQ1_M", 256, 56),
    ty(30, "BF16", 1, 2),
    ty(34, "TQ1_0", 256, 54),
    ty(35, "TQ2_0", 256, 66),
    ty(39, "MXFP4", 32, 17),
];

/// One metadata value.
#[derive(Debug, Clone, PartialEq)]
pub enum GgufValue {
    U8(u8),
    I8(i8),
    U16(u16),
    I16(i16),
    U32(u32),
    I32(i32),
    F32(f32),
    Bool(bool),
    String(String),
    U64(u64),
    I64(i64),
    F64(f64),
    /// `values` is empty when the array had more than [`MAX_KEPT_ARRAY_ITEMS`] items.
    Array {
        len: u64,
        values: Vec<GgufValue>,
    },
}

impl GgufValue {
    /// Any non-negative integer, whatever width the writer chose.
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            GgufValue::U8(v) => Some(u64::from(v)),
            GgufValue::U16(v) => Some(u64::from(v)),
            GgufValue::U32(v) => Some(u64::from(v)),
            GgufValue::U64(v) => Some(v),
            GgufValue::I8(v) => u64::try_from(v).ok(),
            GgufValue::I16(v) => u64::try_from(v).ok(),
            GgufValue::I32(v) => u64::try_from(v).ok(),
            GgufValue::I64(v) => u64::try_from(v).ok(),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            GgufValue::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            GgufValue::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// Items of a kept array (empty for scalars and for long arrays).
    pub fn items(&self) -> &[GgufValue] {
        match self {
            GgufValue::Array { values, .. } => values,
            _ => &[],
        }
    }

    pub fn array_len(&self) -> Option<u64> {
        match self {
            GgufValue::Array { len, .. } => Some(*len),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct GgufTensorInfo {
    pub name: String,
    /// ggml order: `dims[0]` is the innermost (row) dimension.
    pub dims: Vec<u64>,
    pub ggml_type: GgmlType,
    /// Offset from the start of the data section.
    pub offset: u64,
    /// Bytes of this tensor's data: blocks × block bytes.
    pub n_bytes: u64,
}

impl GgufTensorInfo {
    pub fn n_elements(&self) -> u64 {
        self.dims.iter().product()
    }
}

#[derive(Debug, Clone)]
pub struct GgufFile {
    pub path: PathBuf,
    pub version: u32,
    pub metadata: BTreeMap<String, GgufValue>,
    pub tensors: Vec<GgufTensorInfo>,
    pub alignment: u64,
    /// Where the tensor data starts (after the header, padded to `alignment`).
    pub data_offset: u64,
    pub file_size: u64,
}

impl GgufFile {
    pub fn get(&self, key: &str) -> Option<&GgufValue> {
        self.metadata.get(key)
    }

    /// `general.architecture`, the prefix of the model's own keys (`llama`, `gemma3`, ...).
    pub fn architecture(&self) -> Option<&str> {
        self.get("general.architecture").and_then(GgufValue::as_str)
    }

    /// Sum of every tensor's data bytes: what the weights take once loaded as stored.
    pub fn tensor_bytes(&self) -> u64 {
        self.tensors.iter().map(|t| t.n_bytes).sum()
    }

    /// Tensor count and bytes per ggml type name, for the report.
    pub fn bytes_by_type(&self) -> BTreeMap<&'static str, (u64, u64)> {
        let mut out: BTreeMap<&'static str, (u64, u64)> = BTreeMap::new();
        for t in &self.tensors {
            let entry = out.entry(t.ggml_type.name).or_default();
            entry.0 += 1;
            entry.1 += t.n_bytes;
        }
        out
    }
}

/// Reads the header, metadata and tensor infos of a GGUF file.
pub fn read_gguf(path: &Path) -> Result<GgufFile> {
    let file = File::open(path).map_err(|e| HardwareError::io("cannot open", path, e))?;
    let file_size = file
        .metadata()
        .map_err(|e| HardwareError::io("cannot stat", path, e))?
        .len();
    parse_gguf(BufReader::new(file), file_size, path)
}

/// Parses from any reader; `file_size` bounds every count and length read.
pub fn parse_gguf<R: Read>(reader: R, file_size: u64, path: &Path) -> Result<GgufFile> {
    let mut r = Cursor {
        inner: reader,
        pos: 0,
        size: file_size,
        path,
    };
    let mut magic = [0u8; 4];
    r.read_exact(&mut magic)?;
    if &magic != MAGIC {
        return Err(r.invalid("the file does not start with the GGUF magic"));
    }
    let version = r.u32()?;
    if !(2..=3).contains(&version) {
        return Err(r.invalid(format!(
            "GGUF version {version} is not supported (2 and 3 are; a huge number means a big-endian file)"
        )));
    }
    let tensor_count = r.u64()?;
    let kv_count = r.u64()?;
    if tensor_count > MAX_TENSORS {
        return Err(r.invalid(format!("tensor count {tensor_count} is not plausible")));
    }
    if kv_count > MAX_KVS {
        return Err(r.invalid(format!("metadata count {kv_count} is not plausible")));
    }

    let mut metadata = BTreeMap::new();
    for _ in 0..kv_count {
        let key = r.string()?;
        let value_type = r.u32()?;
        let value = r.value(value_type, 0)?;
        metadata.insert(key, value);
    }

    let alignment = match metadata.get("general.alignment") {
        None => DEFAULT_ALIGNMENT,
        Some(v) => match v.as_u64() {
            Some(a) if a > 0 && a.is_power_of_two() => a,
            _ => return Err(r.invalid(format!("general.alignment {v:?} is not a power of two"))),
        },
    };

    let mut tensors = Vec::with_capacity(usize::try_from(tensor_count).unwrap_or(0).min(65_536));
    for _ in 0..tensor_count {
        tensors.push(r.tensor_info()?);
    }

    let data_offset = r.pos.div_ceil(alignment) * alignment;
    let data_bytes = file_size.saturating_sub(data_offset);
    for t in &tensors {
        if t.offset % alignment != 0 {
            return Err(r.invalid(format!("tensor {} is not aligned to {alignment}", t.name)));
        }
        let end = t.offset.checked_add(t.n_bytes);
        if end.is_none_or(|end| end > data_bytes) {
            return Err(r.invalid(format!(
                "tensor {} ends past the end of the file (truncated download?)",
                t.name
            )));
        }
    }

    Ok(GgufFile {
        path: path.to_path_buf(),
        version,
        metadata,
        tensors,
        alignment,
        data_offset,
        file_size,
    })
}

/// A reader that knows how much of the file is left, so no length can run past it.
struct Cursor<'p, R> {
    inner: R,
    pos: u64,
    size: u64,
    path: &'p Path,
}

impl<R: Read> Cursor<'_, R> {
    fn invalid(&self, reason: impl Into<String>) -> HardwareError {
        HardwareError::InvalidGguf {
            path: self.path.to_path_buf(),
            reason: reason.into(),
        }
    }

    fn remaining(&self) -> u64 {
        self.size.saturating_sub(self.pos)
    }

    /// Fails before reading when `n` bytes are not left in the file.
    fn ensure(&self, n: u64, what: &str) -> Result<()> {
        if n > self.remaining() {
            return Err(self.invalid(format!(
                "{what} of {n} bytes at offset {} runs past the end of the file",
                self.pos
            )));
        }
        Ok(())
    }

    fn read_exact(&mut self, buf: &mut [u8]) -> Result<()> {
        let n = buf.len() as u64;
        self.ensure(n, "a field")?;
        self.inner
            .read_exact(buf)
            .map_err(|e| HardwareError::io("cannot read", self.path, e))?;
        self.pos += n;
        Ok(())
    }

    fn skip(&mut self, n: u64) -> Result<()> {
        self.ensure(n, "a value")?;
        let copied = std::io::copy(&mut (&mut self.inner).take(n), &mut std::io::sink())
            .map_err(|e| HardwareError::io("cannot read", self.path, e))?;
        if copied != n {
            return Err(self.invalid("the file ended early"));
        }
        self.pos += n;
        Ok(())
    }

    fn bytes<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut buf = [0u8; N];
        self.read_exact(&mut buf)?;
        Ok(buf)
    }

    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.bytes()?))
    }

    fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(self.bytes()?))
    }

    fn string(&mut self) -> Result<String> {
        let len = self.u64()?;
        self.ensure(len, "a string")?;
        if len > MAX_STRING_BYTES {
            return Err(self.invalid(format!("a string of {len} bytes is not plausible")));
        }
        let mut buf = vec![0u8; usize::try_from(len).map_err(|_| self.invalid("string too long"))?];
        self.read_exact(&mut buf)?;
        // Tokens of byte-level vocabularies are not always valid UTF-8; keep what can be shown.
        Ok(String::from_utf8(buf)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
    }

    fn skip_string(&mut self) -> Result<()> {
        let len = self.u64()?;
        self.skip(len)
    }

    fn value(&mut self, value_type: u32, depth: u32) -> Result<GgufValue> {
        Ok(match value_type {
            0 => GgufValue::U8(u8::from_le_bytes(self.bytes()?)),
            1 => GgufValue::I8(i8::from_le_bytes(self.bytes()?)),
            2 => GgufValue::U16(u16::from_le_bytes(self.bytes()?)),
            3 => GgufValue::I16(i16::from_le_bytes(self.bytes()?)),
            4 => GgufValue::U32(self.u32()?),
            5 => GgufValue::I32(i32::from_le_bytes(self.bytes()?)),
            6 => GgufValue::F32(f32::from_le_bytes(self.bytes()?)),
            7 => GgufValue::Bool(u8::from_le_bytes(self.bytes()?) != 0),
            8 => GgufValue::String(self.string()?),
            9 => self.array(depth)?,
            10 => GgufValue::U64(self.u64()?),
            11 => GgufValue::I64(i64::from_le_bytes(self.bytes()?)),
            12 => GgufValue::F64(f64::from_le_bytes(self.bytes()?)),
            other => return Err(self.invalid(format!("unknown metadata value type {other}"))),
        })
    }

    fn array(&mut self, depth: u32) -> Result<GgufValue> {
        if depth >= MAX_ARRAY_DEPTH {
            return Err(self.invalid("metadata arrays nested too deeply"));
        }
        let item_type = self.u32()?;
        let len = self.u64()?;
        // Every item takes at least one byte: a count beyond the file's end is damage.
        self.ensure(len, "an array")?;
        if len > MAX_KEPT_ARRAY_ITEMS {
            for _ in 0..len {
                match fixed_size(item_type) {
                    Some(n) => self.skip(n)?,
                    None if item_type == 8 => self.skip_string()?,
                    None => {
                        self.value(item_type, depth + 1)?;
                    }
                }
            }
            return Ok(GgufValue::Array {
                len,
                values: Vec::new(),
            });
        }
        let mut values = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
        for _ in 0..len {
            values.push(self.value(item_type, depth + 1)?);
        }
        Ok(GgufValue::Array { len, values })
    }

    fn tensor_info(&mut self) -> Result<GgufTensorInfo> {
        let name = self.string()?;
        let n_dims = self.u32()?;
        if n_dims == 0 || n_dims > MAX_DIMS {
            return Err(self.invalid(format!("tensor {name} has {n_dims} dimensions")));
        }
        let mut dims = Vec::with_capacity(n_dims as usize);
        for _ in 0..n_dims {
            let d = self.u64()?;
            if d == 0 {
                return Err(self.invalid(format!("tensor {name} has a zero dimension")));
            }
            dims.push(d);
        }
        let type_id = self.u32()?;
        let ggml_type = GgmlType::from_id(type_id).ok_or_else(|| {
            self.invalid(format!("tensor {name} has unknown ggml type {type_id}"))
        })?;
        let offset = self.u64()?;
        let n_elements = dims
            .iter()
            .try_fold(1u64, |acc, &d| acc.checked_mul(d))
            .ok_or_else(|| {
                self.invalid(format!(
                    "tensor {name} has more elements than fit in 64 bits"
                ))
            })?;
        // ggml quantizes along rows: the row length must be whole blocks.
        if dims[0] % ggml_type.block_size != 0 {
            return Err(self.invalid(format!(
                "tensor {name}: row of {} is not a multiple of the {} block size {}",
                dims[0], ggml_type.name, ggml_type.block_size
            )));
        }
        let n_bytes = (n_elements / ggml_type.block_size)
            .checked_mul(ggml_type.type_size)
            .ok_or_else(|| self.invalid(format!("tensor {name} is too large")))?;
        Ok(GgufTensorInfo {
            name,
            dims,
            ggml_type,
            offset,
            n_bytes,
        })
    }
}

/// Byte size of a scalar metadata type, `None` for strings and arrays.
fn fixed_size(value_type: u32) -> Option<u64> {
    match value_type {
        0 | 1 | 7 => Some(1),
        2 | 3 => Some(2),
        4..=6 => Some(4),
        10..=12 => Some(8),
        _ => None,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Builds a GGUF byte image in memory: enough of a writer to test the reader's edges.
    #[derive(Default)]
    pub(crate) struct Writer {
        kvs: Vec<u8>,
        kv_count: u64,
        tensors: Vec<u8>,
        tensor_count: u64,
        data_len: u64,
    }

    fn put_str(buf: &mut Vec<u8>, s: &str) {
        buf.extend((s.len() as u64).to_le_bytes());
        buf.extend(s.as_bytes());
    }

    impl Writer {
        pub(crate) fn u32(mut self, key: &str, v: u32) -> Self {
            put_str(&mut self.kvs, key);
            self.kvs.extend(4u32.to_le_bytes());
            self.kvs.extend(v.to_le_bytes());
            self.kv_count += 1;
            self
        }

        pub(crate) fn string(mut self, key: &str, v: &str) -> Self {
            put_str(&mut self.kvs, key);
            self.kvs.extend(8u32.to_le_bytes());
            put_str(&mut self.kvs, v);
            self.kv_count += 1;
            self
        }

        pub(crate) fn str_array(mut self, key: &str, items: &[&str]) -> Self {
            put_str(&mut self.kvs, key);
            self.kvs.extend(9u32.to_le_bytes());
            self.kvs.extend(8u32.to_le_bytes());
            self.kvs.extend((items.len() as u64).to_le_bytes());
            for item in items {
                put_str(&mut self.kvs, item);
            }
            self.kv_count += 1;
            self
        }

        pub(crate) fn tensor(
            mut self,
            name: &str,
            dims: &[u64],
            type_id: u32,
            n_bytes: u64,
        ) -> Self {
            put_str(&mut self.tensors, name);
            self.tensors.extend((dims.len() as u32).to_le_bytes());
            for d in dims {
                self.tensors.extend(d.to_le_bytes());
            }
            self.tensors.extend(type_id.to_le_bytes());
            self.tensors.extend(self.data_len.to_le_bytes());
            self.data_len += n_bytes.div_ceil(32) * 32;
            self.tensor_count += 1;
            self
        }

        pub(crate) fn build(self) -> Vec<u8> {
            let mut out = Vec::new();
            out.extend(MAGIC);
            out.extend(3u32.to_le_bytes());
            out.extend(self.tensor_count.to_le_bytes());
            out.extend(self.kv_count.to_le_bytes());
            out.extend(self.kvs);
            out.extend(self.tensors);
            while out.len() % 32 != 0 {
                out.push(0);
            }
            out.resize(out.len() + self.data_len as usize, 0);
            out
        }
    }

    fn parse(bytes: &[u8]) -> Result<GgufFile> {
        parse_gguf(bytes, bytes.len() as u64, Path::new("test.gguf"))
    }

    #[test]
    fn block_sizes_give_the_documented_bits_per_weight() {
        let bpw = |n: &str| GgmlType::from_name(n).unwrap().bits_per_weight();
        assert_eq!(bpw("Q4_0"), 4.5);
        assert_eq!(bpw("Q4_1"), 5.0);
        assert_eq!(bpw("Q4_K"), 4.5);
        assert_eq!(bpw("Q5_K"), 5.5);
        assert_eq!(bpw("Q6_K"), 6.5625);
        assert_eq!(bpw("Q8_0"), 8.5);
        assert_eq!(bpw("F16"), 16.0);
        assert_eq!(bpw("bf16"), 16.0);
    }

    #[test]
    fn reads_metadata_and_sizes_tensors_by_block() {
        let bytes = Writer::default()
            .string("general.architecture", "llama")
            .u32("llama.block_count", 2)
            .str_array("tokenizer.ggml.tokens", &["a", "b", "c"])
            // 64×4 Q4_0: 8 blocks of 18 bytes.
            .tensor("blk.0.attn_q.weight", &[64, 4], 2, 144)
            .tensor("output_norm.weight", &[64], 0, 256)
            .build();
        let gguf = parse(&bytes).unwrap();
        assert_eq!(gguf.architecture(), Some("llama"));
        assert_eq!(
            gguf.get("llama.block_count").and_then(GgufValue::as_u64),
            Some(2)
        );
        assert_eq!(
            gguf.get("tokenizer.ggml.tokens")
                .and_then(GgufValue::array_len),
            Some(3)
        );
        assert_eq!(gguf.tensors[0].n_bytes, 144);
        assert_eq!(gguf.tensors[1].n_bytes, 256);
        assert_eq!(gguf.tensor_bytes(), 400);
        assert_eq!(gguf.data_offset % 32, 0);
    }

    #[test]
    fn every_truncation_is_an_error_not_a_panic() {
        let bytes = Writer::default()
            .string("general.architecture", "llama")
            .str_array("tokenizer.ggml.tokens", &["a", "b"])
            .tensor("w", &[32, 2], 8, 68)
            .build();
        let full = parse(&bytes).unwrap();
        // Past the last tensor's bytes only padding follows, which a file may omit.
        let needed = (full.data_offset + full.tensor_bytes()) as usize;
        for cut in 0..needed {
            let err = parse(&bytes[..cut]).expect_err("a truncated file must not parse");
            assert_eq!(err.code(), "invalid_gguf", "cut at {cut}: {err}");
        }
        assert!(parse(&bytes[..needed]).is_ok());
    }

    #[test]
    fn absurd_counts_and_lengths_fail_before_allocating() {
        let mut bytes = Vec::new();
        bytes.extend(MAGIC);
        bytes.extend(3u32.to_le_bytes());
        bytes.extend(0u64.to_le_bytes());
        bytes.extend(1u64.to_le_bytes());
        bytes.extend(u64::MAX.to_le_bytes()); // key length
        let err = parse(&bytes).unwrap_err();
        assert!(err.to_string().contains("past the end"), "{err}");

        let mut wrong = bytes.clone();
        wrong[..4].copy_from_slice(b"GGML");
        assert!(parse(&wrong).unwrap_err().to_string().contains("magic"));
        let mut v1 = bytes;
        v1[4..8].copy_from_slice(&1u32.to_le_bytes());
        assert!(parse(&v1).unwrap_err().to_string().contains("version 1"));
    }

    #[test]
    fn unknown_types_and_partial_blocks_are_rejected() {
        let unknown = Writer::default().tensor("w", &[32], 99, 32).build();
        assert!(
            parse(&unknown)
                .unwrap_err()
                .to_string()
                .contains("unknown ggml type 99")
        );
        let partial = Writer::default().tensor("w", &[33], 2, 32).build();
        assert!(
            parse(&partial)
                .unwrap_err()
                .to_string()
                .contains("block size")
        );
    }
}
