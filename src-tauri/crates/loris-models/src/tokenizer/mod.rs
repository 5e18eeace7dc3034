//! Tokenizers: a `tokenizers::Tokenizer` plus the special tokens the rest of Loris needs, loaded
//! from a tokenizer.json or built from GGUF metadata.

mod gguf_bpe;
mod gguf_spm;

use std::path::{Path, PathBuf};

use tokenizers::AddedToken;

use crate::error::{ModelError, Result};
use crate::gguf::GgufFile;

/// Where a tokenizer came from, for the loaded model's metadata.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TokenizerSource {
    File {
        path: PathBuf,
    },
    /// Built from `tokenizer.ggml.*` with this `tokenizer.ggml.model`.
    Gguf {
        model: String,
    },
}

/// Token ids with each token's byte span `(start, end)` in the encoded text.
pub type IdsWithOffsets = (Vec<u32>, Vec<(usize, usize)>);

#[derive(Debug, Clone)]
pub struct Tokenizer {
    inner: tokenizers::Tokenizer,
    source: TokenizerSource,
}

impl Tokenizer {
    /// Loads a tokenizer.json.
    pub fn from_file(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|e| ModelError::io("read", path, e))?;
        let inner = tokenizers::Tokenizer::from_bytes(&bytes).map_err(|e| {
            ModelError::tokenizer(format!(
                "{} is not a valid tokenizer.json: {e}",
                path.display()
            ))
        })?;
        Ok(Tokenizer {
            inner,
            source: TokenizerSource::File {
                path: path.to_owned(),
            },
        })
    }

    /// Builds the tokenizer a GGUF file carries in `tokenizer.ggml.*`: GPT-2-style byte-level BPE
    /// (`gpt2`) or SentencePiece (`llama`), as llama.cpp does.
    pub fn from_gguf(gguf: &GgufFile) -> Result<Self> {
        let model = gguf
            .opt_str("tokenizer.ggml.model")?
            .ok_or_else(|| ModelError::tokenizer("the GGUF file has no tokenizer.ggml.model"))?
            .to_owned();
        let inner = match model.as_str() {
            "gpt2" => gguf_bpe::build(gguf)?,
            "llama" => gguf_spm::build(gguf)?,
            other => {
                return Err(ModelError::tokenizer(format!(
                    "GGUF tokenizer model '{other}' is not supported; pass a tokenizer.json"
                )));
            }
        };
        Ok(Tokenizer {
            inner,
            source: TokenizerSource::Gguf { model },
        })
    }

    pub fn from_inner(inner: tokenizers::Tokenizer, source: TokenizerSource) -> Self {
        Tokenizer { inner, source }
    }

    pub fn source(&self) -> &TokenizerSource {
        &self.source
    }

    pub fn inner(&self) -> &tokenizers::Tokenizer {
        &self.inner
    }

    /// Encodes `text`; with `add_special_tokens` the tokenizer's post-processor adds what it
    /// is configured to (a BOS for Llama 3 and Gemma, nothing for Qwen).
    pub fn encode(&self, text: &str, add_special_tokens: bool) -> Result<Vec<u32>> {
        self.inner
            .encode(text, add_special_tokens)
            .map(|e| e.get_ids().to_vec())
            .map_err(ModelError::tokenizer)
    }

    /// Encodes a prompt without ever producing two BOS tokens: text that already starts with the
    /// BOS token (a chat template that emits `bos_token`) is encoded without special tokens.
    pub fn encode_prompt(&self, text: &str, bos_token: Option<&str>) -> Result<Vec<u32>> {
        let starts_with_bos = bos_token.is_some_and(|bos| !bos.is_empty() && text.starts_with(bos));
        self.encode(text, !starts_with_bos)
    }

    /// Like [`Tokenizer::encode`], with each token's byte span `(start, end)` in `text`, so that
    /// a span of the text (an assistant turn of a rendered chat) can be mapped to its tokens.
    /// Tokens the post-processor adds (a BOS) have the empty span `(0, 0)`.
    pub fn encode_with_offsets(
        &self,
        text: &str,
        add_special_tokens: bool,
    ) -> Result<IdsWithOffsets> {
        let encoding = self
            .inner
            .encode(text, add_special_tokens)
            .map_err(ModelError::tokenizer)?;
        Ok((encoding.get_ids().to_vec(), encoding.get_offsets().to_vec()))
    }

    /// [`Tokenizer::encode_prompt`] with byte offsets, as [`Tokenizer::encode_with_offsets`].
    pub fn encode_prompt_with_offsets(
        &self,
        text: &str,
        bos_token: Option<&str>,
    ) -> Result<IdsWithOffsets> {
        let starts_with_bos = bos_token.is_some_and(|bos| !bos.is_empty() && text.starts_with(bos));
        self.encode_with_offsets(text, !starts_with_bos)
    }

    pub fn decode(&self, ids: &[u32], skip_special_tokens: bool) -> Result<String> {
        self.inner
            .decode(ids, skip_special_tokens)
            .map_err(ModelError::tokenizer)
    }

    pub fn token_to_id(&self, token: &str) -> Option<u32> {
        self.inner.token_to_id(token)
    }

    pub fn id_to_token(&self, id: u32) -> Option<String> {
        self.inner.id_to_token(id)
    }

    /// Vocabulary size including added tokens.
    pub fn vocab_size(&self) -> usize {
        self.inner.get_vocab_size(true)
    }

    /// Whether `id` is an added token marked special (control tokens, EOS, BOS...).
    pub fn is_special(&self, id: u32) -> bool {
        self.inner
            .get_added_tokens_decoder()
            .get(&id)
            .is_some_and(|t| t.special)
    }
}

/// GGUF `tokenizer.ggml.token_type` values (llama.cpp's `llama_token_type`).
pub(crate) mod token_type {
    pub const CONTROL: u64 = 3;
    pub const USER_DEFINED: u64 = 4;
}

/// Control tokens become special added tokens (never split, skipped when decoding with
/// `skip_special_tokens`); user-defined tokens become added tokens matched on the raw text, as
/// llama.cpp's tokenizer partitions both out before running the model.
pub(crate) fn added_tokens_from_types(
    tokens: &[&str],
    types: Option<&[u64]>,
) -> (Vec<AddedToken>, Vec<AddedToken>) {
    let mut special = Vec::new();
    let mut user = Vec::new();
    if let Some(types) = types {
        for (token, ty) in tokens.iter().zip(types) {
            match *ty {
                token_type::CONTROL => special.push(AddedToken::from(token.to_string(), true)),
                token_type::USER_DEFINED => {
                    user.push(AddedToken::from(token.to_string(), false).normalized(false))
                }
                _ => {}
            }
        }
    }
    (special, user)
}

/// BOS (and EOS) added by the post-processor when the GGUF asks for it.
pub(crate) fn bos_eos_processor(
    gguf: &GgufFile,
    tokens: &[&str],
) -> Result<Option<tokenizers::processors::template::TemplateProcessing>> {
    let add_bos = gguf
        .opt_bool("tokenizer.ggml.add_bos_token")?
        .unwrap_or(false);
    let add_eos = gguf
        .opt_bool("tokenizer.ggml.add_eos_token")?
        .unwrap_or(false);
    if !add_bos && !add_eos {
        return Ok(None);
    }
    let token = |key: &str| -> Result<(String, u32)> {
        let id = gguf
            .opt_u32(key)?
            .ok_or_else(|| ModelError::tokenizer(format!("{key} is required by add_*_token")))?;
        let text = tokens.get(id as usize).ok_or_else(|| {
            ModelError::tokenizer(format!("{key} {id} is outside the vocabulary"))
        })?;
        Ok((text.to_string(), id))
    };
    let mut single = Vec::new();
    let mut pair = Vec::new();
    let mut specials = Vec::new();
    let bos = if add_bos {
        Some(token("tokenizer.ggml.bos_token_id")?)
    } else {
        None
    };
    let eos = if add_eos {
        Some(token("tokenizer.ggml.eos_token_id")?)
    } else {
        None
    };
    for (seq, type_id) in [("$A", 0), ("$B", 1)] {
        if let Some((b, _)) = &bos {
            pair.push(format!("{b}:{type_id}"));
            if type_id == 0 {
                single.push(b.clone());
            }
        }
        pair.push(format!("{seq}:{type_id}"));
        if type_id == 0 {
            single.push("$A".to_owned());
        }
        if let Some((e, _)) = &eos {
            pair.push(format!("{e}:{type_id}"));
            if type_id == 0 {
                single.push(e.clone());
            }
        }
    }
    specials.extend(bos.clone());
    specials.extend(eos.clone());
    tokenizers::processors::template::TemplateProcessing::builder()
        .try_single(single)
        .and_then(|b| b.try_pair(pair))
        .map_err(ModelError::tokenizer)?
        .special_tokens(specials)
        .build()
        .map(Some)
        .map_err(ModelError::tokenizer)
}

/// Adds the GGUF's control and user-defined tokens to a freshly built tokenizer.
pub(crate) fn add_gguf_tokens(
    tokenizer: &mut tokenizers::Tokenizer,
    gguf: &GgufFile,
    tokens: &[&str],
) -> Result<()> {
    let types = gguf.opt_u64_array("tokenizer.ggml.token_type")?;
    if let Some(types) = &types
        && types.len() != tokens.len()
    {
        return Err(ModelError::tokenizer(format!(
            "tokenizer.ggml.token_type has {} entries for {} tokens",
            types.len(),
            tokens.len()
        )));
    }
    let (special, user) = added_tokens_from_types(tokens, types.as_deref());
    tokenizer
        .add_special_tokens(special)
        .map_err(ModelError::tokenizer)?;
    tokenizer.add_tokens(user).map_err(ModelError::tokenizer)?;
    Ok(())
}

/// The `tokenizer.ggml.tokens` array, required by both builders.
pub(crate) fn gguf_tokens(gguf: &GgufFile) -> Result<Vec<&str>> {
    let tokens = gguf
        .opt_str_array("tokenizer.ggml.tokens")?
        .ok_or_else(|| ModelError::tokenizer("the GGUF file has no tokenizer.ggml.tokens"))?;
    if tokens.is_empty() {
        return Err(ModelError::tokenizer("tokenizer.ggml.tokens is empty"));
    }
    Ok(tokens)
}
