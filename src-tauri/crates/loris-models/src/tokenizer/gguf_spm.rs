//! SentencePiece (`tokenizer.ggml.model = llama`: Llama 2, Mistral v0.1, Gemma) from
//! `tokenizer.ggml.{tokens,scores,token_type}`.
//!
//! SentencePiece BPE merges the adjacent pair whose merged piece has the highest score. That is
//! BPE with one merge `(left, right)` for every way of splitting a vocabulary piece into two
//! vocabulary pieces, ranked by the merged piece's score: the same construction transformers
//! uses to convert a SentencePiece model to tokenizer.json.

use std::collections::HashMap;

use tokenizers::decoders::DecoderWrapper;
use tokenizers::decoders::byte_fallback::ByteFallback;
use tokenizers::decoders::fuse::Fuse;
use tokenizers::decoders::sequence::Sequence as DecoderSequence;
use tokenizers::decoders::strip::Strip;
use tokenizers::models::bpe::{BPE, Merges, Vocab};
use tokenizers::normalizers::NormalizerWrapper;
use tokenizers::normalizers::prepend::Prepend;
use tokenizers::normalizers::replace::Replace;
use tokenizers::normalizers::utils::Sequence as NormalizerSequence;

use super::{add_gguf_tokens, bos_eos_processor, gguf_tokens, token_type};
use crate::error::{ModelError, Result};
use crate::gguf::GgufFile;

/// SentencePiece's visible space.
const SPACE: &str = "\u{2581}";

pub(super) fn build(gguf: &GgufFile) -> Result<tokenizers::Tokenizer> {
    let tokens = gguf_tokens(gguf)?;
    let scores = gguf
        .opt_f32_array("tokenizer.ggml.scores")?
        .ok_or_else(|| {
            ModelError::tokenizer("a llama GGUF tokenizer needs tokenizer.ggml.scores")
        })?;
    if scores.len() != tokens.len() {
        return Err(ModelError::tokenizer(format!(
            "tokenizer.ggml.scores has {} entries for {} tokens",
            scores.len(),
            tokens.len()
        )));
    }
    let types = gguf.opt_u64_array("tokenizer.ggml.token_type")?;
    let merges = merges_from_scores(&tokens, &scores, types.as_deref());
    let vocab: Vocab = tokens
        .iter()
        .enumerate()
        .map(|(i, t)| (t.to_string(), i as u32))
        .collect();
    let mut builder = BPE::builder()
        .vocab_and_merges(vocab, merges)
        .byte_fallback(true)
        .fuse_unk(true);
    if let Some(unk) = gguf.opt_u32("tokenizer.ggml.unknown_token_id")?
        && let Some(text) = tokens.get(unk as usize)
    {
        builder = builder.unk_token(text.to_string());
    }
    let bpe = builder.build().map_err(ModelError::tokenizer)?;

    // Llama 2 prefixes a space ("dummy prefix"); Gemma does not.
    let add_space_prefix = gguf
        .opt_bool("tokenizer.ggml.add_space_prefix")?
        .unwrap_or(true);
    let replace = Replace::new(" ", SPACE).map_err(ModelError::tokenizer)?;
    let normalizer: NormalizerWrapper = if add_space_prefix {
        NormalizerSequence::new(vec![Prepend::new(SPACE.to_owned()).into(), replace.into()]).into()
    } else {
        replace.into()
    };
    let mut decoders: Vec<DecoderWrapper> = vec![
        Replace::new(SPACE, " ")
            .map_err(ModelError::tokenizer)?
            .into(),
        ByteFallback::new().into(),
        Fuse::new().into(),
    ];
    if add_space_prefix {
        decoders.push(Strip::new(' ', 1, 0).into());
    }

    let mut tokenizer = tokenizers::Tokenizer::new(bpe);
    tokenizer
        .with_normalizer(Some(normalizer))
        .map_err(ModelError::tokenizer)?;
    tokenizer.with_decoder(Some(DecoderSequence::new(decoders)));
    if let Some(template) = bos_eos_processor(gguf, &tokens)? {
        tokenizer.with_post_processor(Some(template));
    }
    add_gguf_tokens(&mut tokenizer, gguf, &tokens)?;
    Ok(tokenizer)
}

/// Every split of a normal piece into two vocabulary pieces, best merged score first; ties keep
/// vocabulary order (left piece id, then right piece id).
fn merges_from_scores(tokens: &[&str], scores: &[f32], types: Option<&[u64]>) -> Merges {
    let ids: HashMap<&str, usize> = tokens.iter().enumerate().map(|(i, t)| (*t, i)).collect();
    let is_normal = |i: usize| {
        types.is_none_or(|t| {
            !matches!(
                t.get(i),
                Some(&token_type::CONTROL) | Some(&token_type::USER_DEFINED) | Some(6)
            )
        })
    };
    let mut merges: Vec<(f32, usize, usize, usize)> = Vec::new();
    for (id, piece) in tokens.iter().enumerate() {
        if !is_normal(id) {
            continue;
        }
        let mut local = Vec::new();
        for (split, _) in piece.char_indices().skip(1) {
            let (l, r) = piece.split_at(split);
            if let (Some(&li), Some(&ri)) = (ids.get(l), ids.get(r)) {
                local.push((scores[id], li, ri, id));
            }
        }
        local.sort_by_key(|&(_, l, r, _)| (l, r));
        merges.extend(local);
    }
    merges.sort_by(|a, b| b.0.total_cmp(&a.0));
    merges
        .into_iter()
        .map(|(_, l, r, _)| (tokens[l].to_owned(), tokens[r].to_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_follow_the_merged_piece_score() {
        let tokens = ["a", "b", "c", "ab", "bc", "abc"];
        let scores = [0.0, 0.0, 0.0, -2.0, -1.0, -3.0];
        let merges = merges_from_scores(&tokens, &scores, None);
        let pairs: Vec<_> = merges.iter().map(|(l, r)| format!("{l}+{r}")).collect();
        assert_eq!(pairs, ["b+c", "a+b", "a+bc", "ab+c"]);
    }
}
