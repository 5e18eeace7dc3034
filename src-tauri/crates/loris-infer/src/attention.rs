//! Causal attention with a KV cache, optionally limited to a sliding window.
//!
//! A sliding-window layer keeps only the last `window - 1` keys after each step, which is all
//! the next query can see (a query at position p attends to keys p - window + 1 ..= p, as in
//! transformers and llama.cpp); the mask is built from absolute positions so that it stays
//! right when a multi-token step starts from a trimmed cache.

use candle_core::{DType, Device, Tensor};

use crate::error::Result;

#[derive(Debug, Clone, Default)]
pub struct KvCache {
    k: Option<Tensor>,
    v: Option<Tensor>,
}

impl KvCache {
    pub fn len(&self) -> usize {
        self.k.as_ref().and_then(|k| k.dim(2).ok()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn clear(&mut self) {
        self.k = None;
        self.v = None;
    }

    /// Appends `[b, kv_heads, seq, d]` keys and values; returns the whole cache.
    fn append(&mut self, k: &Tensor, v: &Tensor) -> Result<(Tensor, Tensor)> {
        let (k, v) = match (&self.k, &self.v) {
            (Some(ck), Some(cv)) => (Tensor::cat(&[ck, k], 2)?, Tensor::cat(&[cv, v], 2)?),
            _ => (k.clone(), v.clone()),
        };
        self.k = Some(k.clone());
        self.v = Some(v.clone());
        Ok((k, v))
    }

    /// Drops all but the last `keep` positions.
    fn trim(&mut self, keep: usize) -> Result<()> {
        let len = self.len();
        if len > keep
            && let (Some(k), Some(v)) = (&self.k, &self.v)
        {
            let (k, v) = (
                k.narrow(2, len - keep, keep)?.contiguous()?,
                v.narrow(2, len - keep, keep)?.contiguous()?,
            );
            self.k = Some(k);
            self.v = Some(v);
        }
        Ok(())
    }
}

/// Attention of `q` `[b, heads, seq, d]` over the cache plus `k`, `v` `[b, kv_heads, seq, d]`
/// (already rotated), for queries at positions `offset..offset + seq`. Returns `[b, seq,
/// heads * d]`.
pub fn attend(
    cache: &mut KvCache,
    q: &Tensor,
    k: &Tensor,
    v: &Tensor,
    offset: usize,
    window: Option<usize>,
    scale: f64,
) -> Result<Tensor> {
    let (b, heads, seq, d) = q.dims4()?;
    let kv_heads = k.dim(1)?;
    let (k, v) = cache.append(k, v)?;
    let kv_len = k.dim(2)?;
    let first_key_pos = offset + seq - kv_len;

    let k = repeat_kv(&k, heads / kv_heads)?;
    let v = repeat_kv(&v, heads / kv_heads)?;
    let mut scores = (q.contiguous()?.matmul(&k.t()?.contiguous()?)? * scale)?;
    if let Some(mask) = mask(seq, kv_len, offset, first_key_pos, window, q.device())? {
        scores = scores.broadcast_add(&mask)?;
    }
    let probs = candle_nn::ops::softmax_last_dim(&scores)?;
    let out = probs.matmul(&v.contiguous()?)?;
    if let Some(w) = window {
        cache.trim(w.saturating_sub(1))?;
    }
    Ok(out.transpose(1, 2)?.reshape((b, seq, heads * d))?)
}

/// `[seq, kv_len]` of 0 / -inf, or `None` when every query may see every key (a single-token
/// step inside the window).
fn mask(
    seq: usize,
    kv_len: usize,
    offset: usize,
    first_key_pos: usize,
    window: Option<usize>,
    device: &Device,
) -> Result<Option<Tensor>> {
    let visible =
        |q_pos: usize, k_pos: usize| k_pos <= q_pos && window.is_none_or(|w| q_pos - k_pos < w);
    let mut values = Vec::with_capacity(seq * kv_len);
    let mut any_hidden = false;
    for i in 0..seq {
        for j in 0..kv_len {
            let ok = visible(offset + i, first_key_pos + j);
            any_hidden |= !ok;
            values.push(if ok { 0f32 } else { f32::NEG_INFINITY });
        }
    }
    if !any_hidden {
        return Ok(None);
    }
    Ok(Some(
        Tensor::from_vec(values, (seq, kv_len), device)?.to_dtype(DType::F32)?,
    ))
}

/// Grouped-query attention: each key/value head serves `n_rep` query heads.
fn repeat_kv(x: &Tensor, n_rep: usize) -> Result<Tensor> {
    if n_rep == 1 {
        return Ok(x.clone());
    }
    let (b, kv_heads, seq, d) = x.dims4()?;
    Ok(x.unsqueeze(2)?
        .expand((b, kv_heads, n_rep, seq, d))?
        .reshape((b, kv_heads * n_rep, seq, d))?)
}

/// The last position of `[b, seq, hidden]`, as `[b, hidden]`: only its logits are needed.
pub fn last_position(x: &Tensor) -> Result<Tensor> {
    let seq = x.dim(1)?;
    Ok(x.narrow(1, seq - 1, 1)?.squeeze(1)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sliding_mask_hides_keys_outside_the_window() {
        let m = mask(3, 3, 0, 0, Some(2), &Device::Cpu).unwrap().unwrap();
        let m = m.to_vec2::<f32>().unwrap();
        assert_eq!(m[2][0], f32::NEG_INFINITY);
        assert_eq!(m[2][1], 0.0);
        assert_eq!(m[0][1], f32::NEG_INFINITY);
        assert!(mask(1, 4, 10, 7, Some(4), &Device::Cpu).unwrap().is_none());
    }

    #[test]
    fn windowed_cache_matches_full_attention_inside_the_window() {
        let dev = Device::Cpu;
        let q = Tensor::randn(0f32, 1.0, (1, 2, 5, 4), &dev).unwrap();
        let k = Tensor::randn(0f32, 1.0, (1, 1, 5, 4), &dev).unwrap();
        let v = Tensor::randn(0f32, 1.0, (1, 1, 5, 4), &dev).unwrap();
        // Window 3, prefill of 5 at once, vs token by token.
        let mut c1 = KvCache::default();
        let all = attend(&mut c1, &q, &k, &v, 0, Some(3), 0.5).unwrap();
        let mut c2 = KvCache::default();
        for i in 0..5 {
            let step = attend(
                &mut c2,
                &q.narrow(2, i, 1).unwrap(),
                &k.narrow(2, i, 1).unwrap(),
                &v.narrow(2, i, 1).unwrap(),
                i,
                Some(3),
                0.5,
            )
            .unwrap();
            let want = all.narrow(1, i, 1).unwrap();
            let diff = (step - want)
                .unwrap()
                .abs()
                .unwrap()
                .max_all()
                .unwrap()
                .to_scalar::<f32>()
                .unwrap();
            assert!(diff < 1e-5, "position {i}: {diff}");
            assert!(c2.len() <= 2);
        }
    }
}
