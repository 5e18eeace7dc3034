//! Turning generated token ids into text deltas: incremental detokenization that never emits
//! half a UTF-8 character, stop strings that are never shown in part, and `<think>` reasoning
//! split from the answer.

use loris_models::Tokenizer;

use crate::error::{InferError, Result};

/// Decodes a growing token list into text increments. Decoding the tail in context (from a few
/// tokens back) keeps tokenizer decoders that depend on neighbours (SentencePiece's leading
/// space, byte fallback) correct; text ending in U+FFFD is an incomplete character and waits.
pub struct Detokenizer<'t> {
    tokenizer: &'t Tokenizer,
    ids: Vec<u32>,
    prefix_offset: usize,
    read_offset: usize,
}

impl<'t> Detokenizer<'t> {
    pub fn new(tokenizer: &'t Tokenizer) -> Self {
        Detokenizer {
            tokenizer,
            ids: Vec::new(),
            prefix_offset: 0,
            read_offset: 0,
        }
    }

    /// Adds a token; returns the new text it completes, if any.
    pub fn push(&mut self, id: u32) -> Result<String> {
        self.ids.push(id);
        let prefix = self.decode(self.prefix_offset, self.read_offset)?;
        let full = self.decode(self.prefix_offset, self.ids.len())?;
        if full.len() > prefix.len()
            && !full.ends_with('\u{FFFD}')
            && full.is_char_boundary(prefix.len())
        {
            let delta = full[prefix.len()..].to_owned();
            self.prefix_offset = self.read_offset;
            self.read_offset = self.ids.len();
            Ok(delta)
        } else {
            Ok(String::new())
        }
    }

    fn decode(&self, from: usize, to: usize) -> Result<String> {
        self.tokenizer
            .decode(&self.ids[from..to], true)
            .map_err(InferError::from)
    }
}

/// Holds back text that may be the start of a stop string.
pub struct StopMatcher {
    stops: Vec<String>,
    pending: String,
    /// The stop string that ended generation, once one has.
    matched: Option<String>,
}

impl StopMatcher {
    pub fn new(stops: &[String]) -> Self {
        StopMatcher {
            stops: stops.iter().filter(|s| !s.is_empty()).cloned().collect(),
            pending: String::new(),
            matched: None,
        }
    }

    /// Feeds text; returns what can be shown and whether a stop string was reached (the stop
    /// string and anything after it are dropped).
    pub fn push(&mut self, text: &str) -> (String, bool) {
        self.pending.push_str(text);
        // The earliest match wins; at equal positions, the longer string.
        if let Some((at, stop)) = self
            .stops
            .iter()
            .filter_map(|s| Some((self.pending.find(s.as_str())?, s)))
            .min_by_key(|(at, s)| (*at, std::cmp::Reverse(s.len())))
        {
            let out = self.pending[..at].to_owned();
            self.matched = Some(stop.clone());
            self.pending.clear();
            return (out, true);
        }
        let hold = self
            .stops
            .iter()
            .map(|s| longest_suffix_prefix(&self.pending, s))
            .max()
            .unwrap_or(0);
        let cut = self.pending.len() - hold;
        let out = self.pending[..cut].to_owned();
        self.pending.drain(..cut);
        (out, false)
    }

    /// The stop string that ended generation, if one did.
    pub fn matched(&self) -> Option<&str> {
        self.matched.as_deref()
    }

    /// Whatever was held back, at the end of generation.
    pub fn finish(&mut self) -> String {
        std::mem::take(&mut self.pending)
    }
}

/// Length of the longest suffix of `text` that is a proper prefix of `pattern`, on a char
/// boundary.
fn longest_suffix_prefix(text: &str, pattern: &str) -> usize {
    let max = pattern.len().saturating_sub(1).min(text.len());
    (1..=max)
        .rev()
        .find(|&n| {
            text.is_char_boundary(text.len() - n)
                && pattern.is_char_boundary(n)
                && text.ends_with(&pattern[..n])
        })
        .unwrap_or(0)
}

/// A piece of output, split into answer and reasoning.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Split {
    pub content: String,
    pub reasoning: String,
}

/// Routes text between `<think>` and `</think>` to `reasoning`.
pub struct ReasoningSplitter {
    enabled: bool,
    in_reasoning: bool,
    pending: String,
}

const OPEN: &str = "<think>";
const CLOSE: &str = "</think>";

impl ReasoningSplitter {
    /// `starts_inside`: the prompt already opened `<think>` (templates that force thinking).
    pub fn new(enabled: bool, starts_inside: bool) -> Self {
        ReasoningSplitter {
            enabled,
            in_reasoning: enabled && starts_inside,
            pending: String::new(),
        }
    }

    pub fn push(&mut self, text: &str) -> Split {
        let mut out = Split::default();
        if !self.enabled {
            out.content.push_str(text);
            return out;
        }
        self.pending.push_str(text);
        loop {
            let tag = if self.in_reasoning { CLOSE } else { OPEN };
            if let Some(at) = self.pending.find(tag) {
                let before: String = self.pending[..at].to_owned();
                self.emit(&mut out, &before);
                self.pending.drain(..at + tag.len());
                self.in_reasoning = !self.in_reasoning;
                continue;
            }
            let hold = longest_suffix_prefix(&self.pending, tag);
            let cut = self.pending.len() - hold;
            let ready: String = self.pending[..cut].to_owned();
            self.emit(&mut out, &ready);
            self.pending.drain(..cut);
            return out;
        }
    }

    pub fn finish(&mut self) -> Split {
        let mut out = Split::default();
        let rest = std::mem::take(&mut self.pending);
        self.emit(&mut out, &rest);
        out
    }

    fn emit(&self, out: &mut Split, text: &str) {
        if self.in_reasoning {
            out.reasoning.push_str(text)
        } else {
            out.content.push_str(text)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_strings_split_across_pushes_are_caught() {
        let mut m = StopMatcher::new(&["</end>".to_owned()]);
        assert_eq!(m.push("Hello </e"), ("Hello ".to_owned(), false));
        assert_eq!(m.push("nd> more"), (String::new(), true));
        let mut m = StopMatcher::new(&["STOP".to_owned()]);
        assert_eq!(m.push("ST"), (String::new(), false));
        assert_eq!(m.push("AY"), ("STAY".to_owned(), false));
        assert_eq!(m.push("é S"), ("é ".to_owned(), false));
        assert_eq!(m.finish(), "S");
    }

    #[test]
    fn reasoning_is_split_even_when_tags_are_cut() {
        let mut r = ReasoningSplitter::new(true, false);
        let mut all = Split::default();
        for piece in ["<th", "ink>Let me", " think.</thi", "nk>\n\nParis."] {
            let s = r.push(piece);
            all.content.push_str(&s.content);
            all.reasoning.push_str(&s.reasoning);
        }
        let s = r.finish();
        all.content.push_str(&s.content);
        assert_eq!(all.reasoning, "Let me think.");
        assert_eq!(all.content, "\n\nParis.");
        let mut r = ReasoningSplitter::new(true, true);
        assert_eq!(
            r.push("hmm</think>ok"),
            Split {
                content: "ok".into(),
                reasoning: "hmm".into()
            }
        );
    }
}
