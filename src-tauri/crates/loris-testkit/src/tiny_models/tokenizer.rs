//! What a tiny model needs from its tokenizer: the vocabulary size and the special token ids.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::SystemTime;

use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

/// Vocabulary size and special token ids read from a Hugging Face tokenizer folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenizerInfo {
    /// Highest token id in `tokenizer.json` (model vocabulary and added tokens) plus one, so an
    /// embedding of this many rows covers every id the tokenizer can produce.
    pub vocab_size: usize,
    /// `bos_token` of tokenizer_config.json; when it has none (Qwen), `<|endoftext|>`, as the
    /// Qwen configs write it.
    pub bos_token_id: Option<u32>,
    /// `eos_token` of tokenizer_config.json.
    pub eos_token_id: Option<u32>,
    /// `pad_token` of tokenizer_config.json.
    pub pad_token_id: Option<u32>,
}

fn invalid(path: &Path, what: impl std::fmt::Display) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("{}: {what}", path.display()),
    )
}

fn read_json(path: &Path) -> io::Result<Value> {
    let bytes = std::fs::read(path)?;
    serde_json::from_slice(&bytes).map_err(|e| invalid(path, e))
}

/// The parts of tokenizer.json needed here; everything else (merges, normalizer, ...) is skipped
/// without being built, which keeps this fast on 30 MB files even in debug builds.
#[derive(Deserialize)]
struct TokenizerFile<'a> {
    #[serde(borrow)]
    model: ModelSection<'a>,
    #[serde(default, borrow)]
    added_tokens: Vec<AddedToken<'a>>,
}

#[derive(Deserialize)]
struct ModelSection<'a> {
    #[serde(default, borrow)]
    vocab: Option<Vocab<'a>>,
}

#[derive(Deserialize)]
struct AddedToken<'a> {
    id: u32,
    #[serde(borrow)]
    content: Cow<'a, str>,
}

/// `{"token": id}` (BPE, WordPiece, WordLevel) or `[["piece", score], ...]` (Unigram, the id is
/// the index).
struct Vocab<'a>(Vec<(Cow<'a, str>, u32)>);

impl<'de: 'a, 'a> Deserialize<'de> for Vocab<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct VocabVisitor<'a>(PhantomData<&'a ()>);

        impl<'de: 'a, 'a> Visitor<'de> for VocabVisitor<'a> {
            type Value = Vocab<'a>;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a map of token to id, or a list of [piece, score]")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0));
                while let Some((token, id)) = map.next_entry::<Cow<'a, str>, u32>()? {
                    entries.push((token, id));
                }
                Ok(Vocab(entries))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                let mut id: u32 = 0;
                while let Some((piece, _score)) = seq.next_element::<(Cow<'a, str>, f64)>()? {
                    entries.push((piece, id));
                    id = id
                        .checked_add(1)
                        .ok_or_else(|| serde::de::Error::custom("vocabulary too large"))?;
                }
                Ok(Vocab(entries))
            }
        }

        deserializer.deserialize_any(VocabVisitor(PhantomData))
    }
}

/// Identifies the two files as read: path, size and modification time of each.
type CacheKey = (PathBuf, [(u64, Option<SystemTime>); 2]);

fn cache() -> &'static Mutex<HashMap<CacheKey, TokenizerInfo>> {
    static CACHE: OnceLock<Mutex<HashMap<CacheKey, TokenizerInfo>>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

fn stamp(path: &Path) -> io::Result<(u64, Option<SystemTime>)> {
    let meta = std::fs::metadata(path)?;
    Ok((meta.len(), meta.modified().ok()))
}

/// Reads `tokenizer.json` and `tokenizer_config.json` in `dir`. Results are kept for the life of
/// the process (keyed by path, size and modification time), since a test binary writes many
/// tiny models from the same few tokenizers.
pub fn tokenizer_info(dir: &Path) -> io::Result<TokenizerInfo> {
    let key = (
        dir.to_path_buf(),
        [
            stamp(&dir.join("tokenizer.json"))?,
            stamp(&dir.join("tokenizer_config.json"))?,
        ],
    );
    let cached = cache()
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .get(&key)
        .cloned();
    if let Some(info) = cached {
        return Ok(info);
    }
    let info = read_tokenizer_info(dir)?;
    cache()
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .insert(key, info.clone());
    Ok(info)
}

fn read_tokenizer_info(dir: &Path) -> io::Result<TokenizerInfo> {
    let tok_path = dir.join("tokenizer.json");
    let tok_bytes = std::fs::read(&tok_path)?;
    let config = read_json(&dir.join("tokenizer_config.json"))?;
    let tokenizer: TokenizerFile<'_> =
        serde_json::from_slice(&tok_bytes).map_err(|e| invalid(&tok_path, e))?;
    let vocab = tokenizer
        .model
        .vocab
        .ok_or_else(|| invalid(&tok_path, "model.vocab is missing"))?;

    let mut ids: HashMap<&str, u32> = HashMap::with_capacity(vocab.0.len());
    for (token, id) in &vocab.0 {
        ids.insert(token, *id);
    }
    for token in &tokenizer.added_tokens {
        ids.insert(&token.content, token.id);
    }
    let max_id = vocab
        .0
        .iter()
        .map(|(_, id)| *id)
        .chain(tokenizer.added_tokens.iter().map(|t| t.id))
        .max()
        .ok_or_else(|| invalid(&tok_path, "empty vocabulary"))?;

    // tokenizer_config.json writes a special token as a string or as {"content": ...}.
    let special = |key: &str| -> Option<u32> {
        let value = &config[key];
        let content = value.as_str().or_else(|| value["content"].as_str())?;
        ids.get(content).copied()
    };
    let bos_token_id = special("bos_token").or_else(|| ids.get("<|endoftext|>").copied());
    Ok(TokenizerInfo {
        vocab_size: max_id as usize + 1,
        bos_token_id,
        eos_token_id: special("eos_token"),
        pad_token_id: special("pad_token"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture_or_skip;
    use crate::fixtures;

    #[test]
    fn fixture_tokenizers_give_the_real_ids() {
        // (name, vocab_size, bos, eos, pad)
        let expected = [
            (
                "qwen3",
                151_669,
                Some(151_643),
                Some(151_645),
                Some(151_643),
            ),
            (
                "qwen2_5",
                151_665,
                Some(151_643),
                Some(151_645),
                Some(151_643),
            ),
            ("llama3_2", 128_256, Some(128_000), Some(128_009), None),
            ("gemma3", 262_145, Some(2), Some(106), Some(0)),
            ("mistral_nemo", 131_072, Some(1), Some(2), None),
        ];
        for (name, vocab, bos, eos, pad) in expected {
            let dir = fixture_or_skip!(fixtures::tokenizer_dir(name));
            let info = tokenizer_info(&dir).unwrap();
            assert_eq!(
                info,
                TokenizerInfo {
                    vocab_size: vocab,
                    bos_token_id: bos,
                    eos_token_id: eos,
                    pad_token_id: pad
                },
                "{name}"
            );
        }
    }

    #[test]
    fn unigram_vocab_and_object_special_tokens() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("tokenizer.json"),
            r#"{"model": {"type": "Unigram", "vocab": [["<pad>", 0.0], ["<s>", 0.0], ["a", -1.0]]},
                "added_tokens": [{"id": 7, "content": "<extra>"}]}"#,
        )
        .unwrap();
        std::fs::write(
            dir.path().join("tokenizer_config.json"),
            r#"{"bos_token": {"content": "<s>"}, "eos_token": "<extra>", "pad_token": null}"#,
        )
        .unwrap();
        let info = tokenizer_info(dir.path()).unwrap();
        assert_eq!(info.vocab_size, 8);
        assert_eq!(info.bos_token_id, Some(1));
        assert_eq!(info.eos_token_id, Some(7));
        assert_eq!(info.pad_token_id, None);
    }

    #[test]
    fn missing_files_are_io_errors() {
        let dir = tempfile::tempdir().unwrap();
        let err = tokenizer_info(dir.path()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        std::fs::write(dir.path().join("tokenizer.json"), "not json").unwrap();
        std::fs::write(dir.path().join("tokenizer_config.json"), "{}").unwrap();
        let err = tokenizer_info(dir.path()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    }
}
