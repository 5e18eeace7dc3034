//! Everything around a model's weights that turns text into token ids and back: the tokenizer,
//! the chat template, the special tokens and every end-of-generation id.
//!
//! A Hugging Face folder has them in tokenizer.json, tokenizer_config.json, chat_template.jinja
//! (transformers 5) and generation_config.json; a GGUF file in its metadata. A tokenizer.json
//! given explicitly (or lying beside the GGUF) overrides the GGUF's tokenizer, and the
//! tokenizer_config.json beside it supplies special tokens and template.

use std::path::Path;

use crate::chat_template::{ChatRequest, ChatTemplate, SpecialTokens};
use crate::config::ModelConfig;
use crate::error::{ModelError, Result};
use crate::generation_config::GenerationConfig;
use crate::gguf::GgufFile;
use crate::tokenizer::Tokenizer;
use crate::tokenizer_config::TokenizerConfig;

/// Special tokens that end a turn in the chat formats Loris supports. They count as
/// end-of-generation only when the tokenizer has them as special tokens, as llama.cpp does, so
/// that a model whose generation_config.json lists only `<eos>` still stops at its end-of-turn.
const END_OF_TURN_TOKENS: [&str; 7] = [
    "<|eot_id|>",
    "<|eom_id|>",
    "<|im_end|>",
    "<|end|>",
    "<end_of_turn>",
    "<|endoftext|>",
    "<|end_of_text|>",
];

#[derive(Debug, Clone)]
pub struct TextAssets {
    pub tokenizer: Tokenizer,
    pub chat_template: Option<ChatTemplate>,
    pub special: SpecialTokens,
    /// Sorted, without duplicates.
    pub eos_token_ids: Vec<u32>,
    pub generation: GenerationConfig,
}

impl TextAssets {
    /// From a Hugging Face model folder (or a folder holding just the tokenizer files).
    pub fn from_hf_dir(dir: &Path, config: Option<&ModelConfig>) -> Result<Self> {
        let tokenizer = Tokenizer::from_file(&dir.join("tokenizer.json"))?;
        let tok_config = read_tokenizer_config(dir)?;
        let generation =
            GenerationConfig::from_file_if_present(&dir.join("generation_config.json"))?;
        let special = special_from_config(tok_config.as_ref());
        let template = template_source(dir, tok_config.as_ref())?
            .map(|src| ChatTemplate::new(src, special.clone()))
            .transpose()?;
        let mut eos = generation.eos_token_ids.clone();
        if let Some(c) = config {
            eos.extend(&c.eos_token_ids);
        }
        Ok(Self::assemble(
            tokenizer, template, special, eos, generation,
        ))
    }

    /// From a GGUF's metadata, or with `tokenizer_json` overriding its tokenizer (the
    /// tokenizer_config.json and generation_config.json beside that file are read too).
    pub fn from_gguf(gguf: &GgufFile, tokenizer_json: Option<&Path>) -> Result<Self> {
        let mut eos: Vec<u32> = Vec::new();
        for key in [
            "tokenizer.ggml.eos_token_id",
            "tokenizer.ggml.eot_token_id",
            "tokenizer.ggml.eom_token_id",
        ] {
            eos.extend(gguf.opt_u32(key)?);
        }
        let gguf_template = gguf.opt_str("tokenizer.chat_template")?.map(str::to_owned);

        let Some(path) = tokenizer_json else {
            let tokenizer = Tokenizer::from_gguf(gguf)?;
            let token_text = |key: &str| -> Result<Option<String>> {
                Ok(gguf.opt_u32(key)?.and_then(|id| tokenizer.id_to_token(id)))
            };
            let special = SpecialTokens {
                bos_token: token_text("tokenizer.ggml.bos_token_id")?,
                eos_token: token_text("tokenizer.ggml.eos_token_id")?,
                pad_token: token_text("tokenizer.ggml.padding_token_id")?,
                unk_token: token_text("tokenizer.ggml.unknown_token_id")?,
            };
            let template = gguf_template
                .map(|src| ChatTemplate::new(src, special.clone()))
                .transpose()?;
            return Ok(Self::assemble(
                tokenizer,
                template,
                special,
                eos,
                GenerationConfig::default(),
            ));
        };

        let tokenizer = Tokenizer::from_file(path)?;
        let dir = path.parent().unwrap_or(Path::new("."));
        let tok_config = read_tokenizer_config(dir)?;
        let generation =
            GenerationConfig::from_file_if_present(&dir.join("generation_config.json"))?;
        let mut special = special_from_config(tok_config.as_ref());
        if tok_config.is_none() {
            // No tokenizer_config.json: the GGUF's ids, spelled by the override tokenizer.
            let token_text = |key: &str| -> Result<Option<String>> {
                Ok(gguf.opt_u32(key)?.and_then(|id| tokenizer.id_to_token(id)))
            };
            special.bos_token = token_text("tokenizer.ggml.bos_token_id")?;
            special.eos_token = token_text("tokenizer.ggml.eos_token_id")?;
        }
        let source = match template_source(dir, tok_config.as_ref())? {
            Some(src) => Some(src),
            None => gguf_template,
        };
        let template = source
            .map(|src| ChatTemplate::new(src, special.clone()))
            .transpose()?;
        eos.extend(&generation.eos_token_ids);
        Ok(Self::assemble(
            tokenizer, template, special, eos, generation,
        ))
    }

    fn assemble(
        tokenizer: Tokenizer,
        chat_template: Option<ChatTemplate>,
        special: SpecialTokens,
        mut eos: Vec<u32>,
        generation: GenerationConfig,
    ) -> Self {
        if let Some(id) = special
            .eos_token
            .as_deref()
            .and_then(|t| tokenizer.token_to_id(t))
        {
            eos.push(id);
        }
        for token in END_OF_TURN_TOKENS {
            if let Some(id) = tokenizer
                .token_to_id(token)
                .filter(|id| tokenizer.is_special(*id))
            {
                eos.push(id);
            }
        }
        eos.sort_unstable();
        eos.dedup();
        TextAssets {
            tokenizer,
            chat_template,
            special,
            eos_token_ids: eos,
            generation,
        }
    }

    /// Replaces the chat template with `source`, after checking it compiles and renders a
    /// simple conversation.
    pub fn set_chat_template(&mut self, source: &str) -> Result<()> {
        self.chat_template = Some(ChatTemplate::new_validated(source, self.special.clone())?);
        Ok(())
    }

    /// Renders `request` with the chat template.
    pub fn render_chat(&self, request: &ChatRequest) -> Result<String> {
        self.chat_template
            .as_ref()
            .ok_or(ModelError::NoChatTemplate)?
            .render(request)
    }

    /// Renders and tokenizes a chat, without a second BOS when the template prints one.
    pub fn encode_chat(&self, request: &ChatRequest) -> Result<(String, Vec<u32>)> {
        let text = self.render_chat(request)?;
        let ids = self
            .tokenizer
            .encode_prompt(&text, self.special.bos_token.as_deref())?;
        Ok((text, ids))
    }

    /// Tokenizes a plain-text prompt (special tokens added as the tokenizer is configured).
    pub fn encode_text(&self, text: &str) -> Result<Vec<u32>> {
        self.tokenizer
            .encode_prompt(text, self.special.bos_token.as_deref())
    }
}

fn read_tokenizer_config(dir: &Path) -> Result<Option<TokenizerConfig>> {
    let path = dir.join("tokenizer_config.json");
    if path.is_file() {
        TokenizerConfig::from_file(&path).map(Some)
    } else {
        Ok(None)
    }
}

fn special_from_config(config: Option<&TokenizerConfig>) -> SpecialTokens {
    config.map_or_else(SpecialTokens::default, |c| SpecialTokens {
        bos_token: c.bos_token.clone(),
        eos_token: c.eos_token.clone(),
        pad_token: c.pad_token.clone(),
        unk_token: c.unk_token.clone(),
    })
}

/// transformers 5 writes the template to chat_template.jinja; 4.x into tokenizer_config.json.
fn template_source(dir: &Path, config: Option<&TokenizerConfig>) -> Result<Option<String>> {
    let jinja = dir.join("chat_template.jinja");
    if jinja.is_file() {
        return std::fs::read_to_string(&jinja)
            .map(Some)
            .map_err(|e| ModelError::io("read", &jinja, e));
    }
    Ok(config
        .and_then(|c| c.chat_template(false))
        .map(str::to_owned))
}
