//! Helpers for the end-to-end tests: a tiny byte-level tokenizer written to a temp folder (one
//! token per byte, so lengths are easy to reason about), fixture tokenizers, dataset files.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use loris_datasets::{PrepareOptions, PreviewRow, preview};
use loris_models::TextAssets;
use serde_json::{Value, json};

/// A ChatML template (system/user/assistant/tool), as Qwen 2.5 renders it without tools.
pub const CHATML: &str = "{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\n' + m['content'] + '<|im_end|>' + '\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

pub const IM_START: u32 = 256;
pub const IM_END: u32 = 257;
pub const ENDOFTEXT: u32 = 258;

/// GPT-2's byte-to-character table, which byte-level BPE vocabularies are written in.
fn bytes_to_unicode() -> Vec<char> {
    let mut bs: Vec<u32> = (u32::from('!')..=u32::from('~'))
        .chain(0xA1..=0xAC)
        .chain(0xAE..=0xFF)
        .collect();
    let mut cs = bs.clone();
    let mut n = 0;
    for b in 0..256u32 {
        if !bs.contains(&b) {
            bs.push(b);
            cs.push(256 + n);
            n += 1;
        }
    }
    let mut table = vec![' '; 256];
    for (b, c) in bs.iter().zip(cs) {
        table[*b as usize] = char::from_u32(c).unwrap();
    }
    table
}

/// Writes a byte-level tokenizer (id = byte value; `<|im_start|>` 256, `<|im_end|>` 257,
/// `<|endoftext|>` 258) and a tokenizer_config.json with `template` into `dir`.
pub fn write_byte_tokenizer(dir: &Path, template: Option<&str>) {
    let table = bytes_to_unicode();
    let vocab: serde_json::Map<String, Value> =
        (0..256).map(|b| (table[b].to_string(), json!(b))).collect();
    let added = |id: u32, content: &str| {
        json!({"id": id, "content": content, "single_word": false, "lstrip": false,
               "rstrip": false, "normalized": false, "special": true})
    };
    let tokenizer = json!({
        "version": "1.0",
        "truncation": null,
        "padding": null,
        "added_tokens": [added(IM_START, "<|im_start|>"), added(IM_END, "<|im_end|>"), added(ENDOFTEXT, "<|endoftext|>")],
        "normalizer": null,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": true},
        "post_processor": null,
        "decoder": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": true},
        "model": {"type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": null,
                  "end_of_word_suffix": null, "fuse_unk": false, "byte_fallback": false,
                  "vocab": vocab, "merges": []}
    });
    std::fs::write(dir.join("tokenizer.json"), tokenizer.to_string()).unwrap();
    let mut config = json!({"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"});
    if let Some(t) = template {
        config["chat_template"] = json!(t);
    }
    std::fs::write(dir.join("tokenizer_config.json"), config.to_string()).unwrap();
}

/// Byte-level assets with the ChatML template (or none).
pub fn byte_assets(template: Option<&str>) -> TextAssets {
    let dir = tempfile::tempdir().unwrap();
    write_byte_tokenizer(dir.path(), template);
    TextAssets::from_hf_dir(dir.path(), None).unwrap()
}

/// The assets of a fetched fixture tokenizer.
pub fn fixture_assets(dir: &Path) -> TextAssets {
    TextAssets::from_hf_dir(dir, None).unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
}

/// Writes `rows` as JSON Lines to `dir/name`.
pub fn write_jsonl(dir: &Path, name: &str, rows: &[Value]) -> PathBuf {
    let path = dir.join(name);
    let text: String = rows.iter().map(|r| format!("{r}\n")).collect();
    std::fs::write(&path, text).unwrap();
    path
}

pub fn write_text(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// The trained spans of each previewed row, decoded.
pub fn trained_spans(
    path: &Path,
    assets: &TextAssets,
    options: &PrepareOptions,
    rows: usize,
) -> Vec<Vec<String>> {
    let preview: Vec<PreviewRow> = preview(path, assets, options, rows).unwrap();
    preview
        .iter()
        .map(|row| row.trained_spans(assets).unwrap())
        .collect()
}

pub fn chat(turns: &[(&str, &str)]) -> Value {
    let messages: Vec<Value> = turns
        .iter()
        .map(|(role, content)| json!({"role": role, "content": content}))
        .collect();
    json!({ "messages": messages })
}
