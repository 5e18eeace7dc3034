//! GPT-2-style byte-level BPE from `tokenizer.ggml.{tokens,merges}` (`tokenizer.ggml.model =
//! gpt2`). The pre-tokenizer is not stored in the file, only named by `tokenizer.ggml.pre`, so
//! each supported name maps to the pre-tokenizer its tokenizer.json has; an unknown name is an
//! error, because a near-miss pre-tokenizer silently changes token boundaries.

use tokenizers::decoders::byte_level::ByteLevel as ByteLevelDecoder;
use tokenizers::models::bpe::{BPE, Merges, Vocab};
use tokenizers::normalizers::unicode::NFC;
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::digits::Digits;
use tokenizers::pre_tokenizers::sequence::Sequence;
use tokenizers::pre_tokenizers::split::{Split, SplitPattern};
use tokenizers::processors::PostProcessorWrapper;
use tokenizers::processors::sequence::Sequence as ProcessorSequence;
use tokenizers::{PreTokenizerWrapper, SplitDelimiterBehavior};

use super::{add_gguf_tokens, bos_eos_processor, gguf_tokens};
use crate::error::{ModelError, Result};
use crate::gguf::GgufFile;

/// Llama 3's split regex (also Smaug, Falcon 3).
const LLAMA3_REGEX: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
/// Qwen 2/2.5/3's: Llama 3's with single digits.
const QWEN2_REGEX: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
/// Mistral's Tekken (Nemo).
const TEKKEN_REGEX: &str = r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+";

pub(super) fn build(gguf: &GgufFile) -> Result<tokenizers::Tokenizer> {
    let tokens = gguf_tokens(gguf)?;
    let merges = gguf
        .opt_str_array("tokenizer.ggml.merges")?
        .ok_or_else(|| {
            ModelError::tokenizer("a gpt2 GGUF tokenizer needs tokenizer.ggml.merges")
        })?;
    let merges: Merges = merges
        .iter()
        .map(|m| {
            m.split_once(' ')
                .map(|(a, b)| (a.to_owned(), b.to_owned()))
                .ok_or_else(|| ModelError::tokenizer(format!("malformed merge {m:?}")))
        })
        .collect::<Result<_>>()?;
    let vocab: Vocab = tokens
        .iter()
        .enumerate()
        .map(|(i, t)| (t.to_string(), i as u32))
        .collect();
    let bpe = BPE::builder()
        .vocab_and_merges(vocab, merges)
        .build()
        .map_err(ModelError::tokenizer)?;

    let pre = gguf.opt_str("tokenizer.ggml.pre")?.unwrap_or("gpt2");
    let (normalize_nfc, pre_tokenizer, byte_level_regex) = pre_tokenizer(pre)?;
    let mut tokenizer = tokenizers::Tokenizer::new(bpe);
    if normalize_nfc {
        tokenizer
            .with_normalizer(Some(NFC))
            .map_err(ModelError::tokenizer)?;
    }
    tokenizer.with_pre_tokenizer(Some(pre_tokenizer));
    tokenizer.with_decoder(Some(ByteLevelDecoder::new(false, false, byte_level_regex)));
    // The byte-level post-processor only adjusts offsets; it keeps offsets right for callers
    // that use them.
    let byte_level: PostProcessorWrapper = ByteLevel::new(false, false, byte_level_regex).into();
    let processor: PostProcessorWrapper = match bos_eos_processor(gguf, &tokens)? {
        Some(template) => ProcessorSequence::new(vec![byte_level, template.into()]).into(),
        None => byte_level,
    };
    tokenizer.with_post_processor(Some(processor));
    add_gguf_tokens(&mut tokenizer, gguf, &tokens)?;
    Ok(tokenizer)
}

/// (NFC normalizer?, pre-tokenizer, whether ByteLevel applies the GPT-2 regex itself).
fn pre_tokenizer(pre: &str) -> Result<(bool, PreTokenizerWrapper, bool)> {
    let split_then_bytes = |regex: &str| -> Result<PreTokenizerWrapper> {
        let split = Split::new(
            SplitPattern::Regex(regex.to_owned()),
            SplitDelimiterBehavior::Isolated,
            false,
        )
        .map_err(ModelError::tokenizer)?;
        Ok(Sequence::new(vec![
            split.into(),
            ByteLevel::new(false, false, false).into(),
        ])
        .into())
    };
    Ok(match pre {
        "gpt2" | "gpt-2" | "phi-2" => (false, ByteLevel::new(false, false, true).into(), true),
        // SmolLM, StarCoder: single digits first, then GPT-2's byte-level regex.
        "smollm" | "starcoder" | "refact" | "codeshell" => (
            false,
            Sequence::new(vec![
                Digits::new(true).into(),
                ByteLevel::new(false, false, true).into(),
            ])
            .into(),
            true,
        ),
        "llama-bpe" | "llama3" | "smaug-bpe" | "falcon3" => {
            (false, split_then_bytes(LLAMA3_REGEX)?, false)
        }
        "qwen2" | "deepseek-r1-qwen" => (true, split_then_bytes(QWEN2_REGEX)?, false),
        "tekken" => (false, split_then_bytes(TEKKEN_REGEX)?, false),
        other => {
            return Err(ModelError::tokenizer(format!(
                "GGUF pre-tokenizer '{other}' is not supported; pass the model's tokenizer.json"
            )));
        }
    })
}
