//! Model implementations, one file per architecture, behind one trait the generation loop
//! drives.

pub mod gemma2;
pub mod gemma3;
pub mod hf;
pub mod llama;
pub mod llama_hf;
pub mod phi3;

use candle_core::Tensor;

use crate::error::Result;

/// A decoder-only language model with its own KV cache.
pub trait CausalLm: Send {
    /// Runs `tokens` at positions `offset..offset + tokens.len()` (the cache must hold exactly
    /// `offset` positions) and returns the last position's logits, `[vocab]`, f32.
    fn forward(&mut self, tokens: &[u32], offset: usize) -> Result<Tensor>;

    /// Forgets the cache: the next call starts at offset 0.
    fn clear_cache(&mut self);

    /// Keeps the cache of the first `positions` tokens only, so that a request sharing a
    /// prefix with the previous one runs from there. Returns `false` when the model cannot
    /// (the caller then clears the cache); the default cannot.
    fn rewind_cache(&mut self, positions: usize) -> Result<bool> {
        let _ = positions;
        Ok(false)
    }

    /// Longest sequence the model was trained for.
    fn context_length(&self) -> usize;
}
