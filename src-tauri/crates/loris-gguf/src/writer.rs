//! A minimal GGUF writer: enough to build test files and fuzzing seeds in memory. Tensor data
//! is zeros; only the header matters to the reader.

use crate::reader::MAGIC;
use crate::value::{GgufValue, ValueType};

/// Builds a GGUF byte image: metadata, tensor infos at 32-byte aligned offsets, zeroed data.
#[derive(Debug, Clone)]
pub struct GgufWriter {
    version: u32,
    kvs: Vec<u8>,
    kv_count: u64,
    tensors: Vec<u8>,
    tensor_count: u64,
    data_len: u64,
}

impl Default for GgufWriter {
    fn default() -> Self {
        GgufWriter {
            version: 3,
            kvs: Vec::new(),
            kv_count: 0,
            tensors: Vec::new(),
            tensor_count: 0,
            data_len: 0,
        }
    }
}

fn put_str(buf: &mut Vec<u8>, s: &str) {
    buf.extend((s.len() as u64).to_le_bytes());
    buf.extend(s.as_bytes());
}

fn put_value(buf: &mut Vec<u8>, value: &GgufValue) {
    match value {
        GgufValue::U8(v) => buf.extend(v.to_le_bytes()),
        GgufValue::I8(v) => buf.extend(v.to_le_bytes()),
        GgufValue::U16(v) => buf.extend(v.to_le_bytes()),
        GgufValue::I16(v) => buf.extend(v.to_le_bytes()),
        GgufValue::U32(v) => buf.extend(v.to_le_bytes()),
        GgufValue::I32(v) => buf.extend(v.to_le_bytes()),
        GgufValue::F32(v) => buf.extend(v.to_le_bytes()),
        GgufValue::Bool(v) => buf.push(u8::from(*v)),
        GgufValue::String(s) => put_str(buf, s),
        GgufValue::U64(v) => buf.extend(v.to_le_bytes()),
        GgufValue::I64(v) => buf.extend(v.to_le_bytes()),
        GgufValue::F64(v) => buf.extend(v.to_le_bytes()),
        GgufValue::Array { values, .. } => {
            // The item type of an empty array does not matter to a reader; u8 is as good as any.
            let item_type = values.first().map_or(ValueType::U8, GgufValue::value_type);
            buf.extend(item_type.id().to_le_bytes());
            buf.extend((values.len() as u64).to_le_bytes());
            for item in values {
                put_value(buf, item);
            }
        }
    }
}

impl GgufWriter {
    /// The version field (3 unless set); other numbers make files the reader refuses.
    pub fn version(mut self, version: u32) -> Self {
        self.version = version;
        self
    }

    pub fn value(mut self, key: &str, value: &GgufValue) -> Self {
        put_str(&mut self.kvs, key);
        self.kvs.extend(value.value_type().id().to_le_bytes());
        put_value(&mut self.kvs, value);
        self.kv_count += 1;
        self
    }

    pub fn u32(self, key: &str, v: u32) -> Self {
        self.value(key, &GgufValue::U32(v))
    }

    pub fn u64(self, key: &str, v: u64) -> Self {
        self.value(key, &GgufValue::U64(v))
    }

    pub fn f32(self, key: &str, v: f32) -> Self {
        self.value(key, &GgufValue::F32(v))
    }

    pub fn string(self, key: &str, v: &str) -> Self {
        self.value(key, &GgufValue::String(v.to_owned()))
    }

    pub fn str_array(self, key: &str, items: &[&str]) -> Self {
        let values: Vec<GgufValue> = items
            .iter()
            .map(|s| GgufValue::String((*s).to_owned()))
            .collect();
        self.value(
            key,
            &GgufValue::Array {
                len: values.len() as u64,
                values,
            },
        )
    }

    /// A tensor info whose data takes `n_bytes`, placed after the previous tensor's data at the
    /// next 32-byte boundary.
    pub fn tensor(mut self, name: &str, dims: &[u64], type_id: u32, n_bytes: u64) -> Self {
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

    /// The file's bytes: header, padding to 32, zeroed tensor data.
    pub fn build(self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend(MAGIC);
        out.extend(self.version.to_le_bytes());
        out.extend(self.tensor_count.to_le_bytes());
        out.extend(self.kv_count.to_le_bytes());
        out.extend(self.kvs);
        out.extend(self.tensors);
        while out.len() % 32 != 0 {
            out.push(0);
        }
        let data_len = usize::try_from(self.data_len).unwrap_or(usize::MAX);
        out.resize(out.len().saturating_add(data_len), 0);
        out
    }
}
