//! Examples to token ids with a trainable flag per token.
//!
//! - chats are rendered with the model's chat template and tokenized once; with
//!   `responses_only` the assistant turns (see [`crate::spans`]) are trainable, everything else
//!   (system, user, tool turns, role headers) is context only;
//! - Alpaca rows become a user + assistant chat when the model has a chat template, else the
//!   classic Alpaca prompt (below) with the response and an EOS trainable;
//! - raw text is tokenized as the tokenizer is configured (a BOS for Llama), an EOS is appended,
//!   and every token is trainable.
//!
//! With Qwen 3's template the last assistant turn renders with an empty `<think>\n\n</think>\n\n`
//! block in front of the answer; that block is part of what the model generates for the turn,
//! so it is trained, as TRL and Unsloth train it. Earlier turns render without it.

use loris_models::{ChatRequest, ModelError, TextAssets};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::error::{DatasetError, Result, RowRef};
use crate::format::Example;
use crate::spans::assistant_spans;

/// One example's tokens. `trainable[i]` says whether `input_ids[i]` is a training target (it
/// is predicted from the tokens before it); the two vectors have the same length.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenizedSample {
    pub input_ids: Vec<u32>,
    pub trainable: Vec<bool>,
}

impl TokenizedSample {
    pub fn len(&self) -> usize {
        self.input_ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.input_ids.is_empty()
    }

    /// Tokens that are training targets: trainable and not the first (nothing predicts it).
    pub fn trained_tokens(&self) -> usize {
        self.trainable.iter().skip(1).filter(|t| **t).count()
    }
}

/// Why an example yields no sample. Such rows are skipped and reported, not errors: they are
/// harmless, just useless for training.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Unusable {
    EmptyText,
    NoAssistantTurn,
}

/// The classic Alpaca prompts (Stanford Alpaca), for models without a chat template.
const ALPACA_WITH_INPUT: &str = "Below is an instruction that describes a task, paired with an \
     input that provides further context. Write a response that appropriately completes the \
     request.\n\n### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:\n";
const ALPACA_NO_INPUT: &str = "Below is an instruction that describes a task. Write a response \
     that appropriately completes the request.\n\n### Instruction:\n{instruction}\n\n### \
     Response:\n";

/// Tokenizes one example.
pub(crate) fn encode_example(
    example: &Example,
    assets: &TextAssets,
    responses_only: bool,
    at: RowRef,
) -> Result<Result<TokenizedSample, Unusable>> {
    match example {
        Example::Chat { messages, tools } => {
            encode_chat(messages, tools.clone(), assets, responses_only, at)
        }
        Example::Alpaca {
            system,
            instruction,
            input,
            output,
        } => {
            if assets.chat_template.is_some() {
                let mut user = instruction.trim_end().to_owned();
                if !input.trim().is_empty() {
                    user.push_str("\n\n");
                    user.push_str(input.trim());
                }
                let mut messages = Vec::new();
                if let Some(system) = system {
                    messages.push(json!({"role": "system", "content": system}));
                }
                messages.push(json!({"role": "user", "content": user}));
                messages.push(json!({"role": "assistant", "content": output}));
                encode_chat(&messages, None, assets, responses_only, at)
            } else {
                encode_alpaca_plain(instruction, input, output, assets, responses_only, at)
            }
        }
        Example::Text(text) => encode_text(text, assets, at),
    }
}

/// The id appended after raw text and plain Alpaca responses: the tokenizer's EOS token, else
/// the first end-of-generation id.
pub(crate) fn eos_id(assets: &TextAssets) -> Option<u32> {
    assets
        .special
        .eos_token
        .as_deref()
        .and_then(|t| assets.tokenizer.token_to_id(t))
        .or_else(|| assets.eos_token_ids.first().copied())
}

/// The text of every end-of-generation token (`<|im_end|>`, `<|eot_id|>`, `</s>`...).
fn end_of_turn_texts(assets: &TextAssets) -> Vec<String> {
    let mut texts: Vec<String> = assets
        .eos_token_ids
        .iter()
        .filter_map(|id| assets.tokenizer.id_to_token(*id))
        .chain(assets.special.eos_token.clone())
        .filter(|t| !t.is_empty())
        .collect();
    texts.sort();
    texts.dedup();
    texts
}

fn template_error(at: RowRef, err: ModelError) -> DatasetError {
    match err {
        ModelError::NoChatTemplate => DatasetError::NoChatTemplate,
        // The message without the model error's own "chat template error:" prefix.
        ModelError::Template(reason) | ModelError::TemplateSyntax(reason) => {
            DatasetError::Template { at, reason }
        }
        other => DatasetError::Template {
            at,
            reason: other.to_string(),
        },
    }
}

fn tokenizer_error(at: RowRef, err: ModelError) -> DatasetError {
    DatasetError::Tokenizer {
        at,
        reason: err.to_string(),
    }
}

fn encode_chat(
    messages: &[Value],
    tools: Option<Vec<Value>>,
    assets: &TextAssets,
    responses_only: bool,
    at: RowRef,
) -> Result<Result<TokenizedSample, Unusable>> {
    let has_assistant = messages.iter().any(|m| m["role"] == "assistant");
    if responses_only && !has_assistant {
        return Ok(Err(Unusable::NoAssistantTurn));
    }
    let render = |messages: &[Value], add_generation_prompt: bool| {
        assets.render_chat(&ChatRequest {
            messages: messages.to_vec(),
            tools: tools.clone(),
            add_generation_prompt,
            ..Default::default()
        })
    };
    let full = render(messages, false).map_err(|e| template_error(at, e))?;
    let (input_ids, offsets) = assets
        .tokenizer
        .encode_prompt_with_offsets(&full, assets.special.bos_token.as_deref())
        .map_err(|e| tokenizer_error(at, e))?;
    if !responses_only {
        let trainable = vec![true; input_ids.len()];
        return Ok(Ok(TokenizedSample {
            input_ids,
            trainable,
        }));
    }
    let spans = assistant_spans(
        messages,
        &full,
        |m, prompt| render(m, prompt).map_err(|e| e.to_string()),
        &end_of_turn_texts(assets),
    )
    .map_err(|e| DatasetError::MaskSpan {
        at,
        message: e.message,
        reason: e.reason,
    })?;
    let trainable = offsets
        .iter()
        .map(|&(start, end)| {
            // A token is trained when its text overlaps an assistant span; tokens the
            // post-processor adds (empty offsets) never are.
            start < end && spans.iter().any(|s| start < s.end && end > s.start)
        })
        .collect();
    Ok(Ok(TokenizedSample {
        input_ids,
        trainable,
    }))
}

fn encode_alpaca_plain(
    instruction: &str,
    input: &str,
    output: &str,
    assets: &TextAssets,
    responses_only: bool,
    at: RowRef,
) -> Result<Result<TokenizedSample, Unusable>> {
    let prompt = if input.trim().is_empty() {
        ALPACA_NO_INPUT.replace("{instruction}", instruction.trim())
    } else {
        ALPACA_WITH_INPUT
            .replace("{instruction}", instruction.trim())
            .replace("{input}", input.trim())
    };
    let response_start = prompt.len();
    let full = format!("{prompt}{output}");
    let (mut input_ids, offsets) = assets
        .tokenizer
        .encode_prompt_with_offsets(&full, assets.special.bos_token.as_deref())
        .map_err(|e| tokenizer_error(at, e))?;
    let mut trainable: Vec<bool> = offsets
        .iter()
        .map(|&(start, end)| !responses_only || (start < end && end > response_start))
        .collect();
    if let Some(eos) = eos_id(assets) {
        input_ids.push(eos);
        trainable.push(true);
    }
    Ok(Ok(TokenizedSample {
        input_ids,
        trainable,
    }))
}

fn encode_text(
    text: &str,
    assets: &TextAssets,
    at: RowRef,
) -> Result<Result<TokenizedSample, Unusable>> {
    if text.trim().is_empty() {
        return Ok(Err(Unusable::EmptyText));
    }
    let mut input_ids = assets
        .encode_text(text)
        .map_err(|e| tokenizer_error(at, e))?;
    input_ids.extend(eos_id(assets));
    let trainable = vec![true; input_ids.len()];
    Ok(Ok(TokenizedSample {
        input_ids,
        trainable,
    }))
}
