//! Causal attention with a KV cache, optionally limited to a sliding window.
//!
//! A query at position p of a sliding-window layer attends to keys p - window + 1 ..= p (as in
//! transformers and llama.cpp). Such a layer keeps the last `window - 1` keys, which is all the
//! next query can see, plus up to [`REWIND_SLACK`] older ones so that the cache can be rewound
//! a little (a chat turn that resends the conversation diverges from the cache near its end);
//! it is trimmed in batches, not at every step. The mask is built from absolute positions, so
//! extra or trimmed keys never change the result.

use candle_core::{DType, Device, Tensor};

use crate::error::Result;

/// Keys a sliding-window layer keeps beyond its window, for rewinds.
pub const REWIND_SLACK: usize = 256;

#[derive(Debug, Clone, Default)]
pub struct KvCache {
    k: Option<Tensor>,
    v: Option<Tensor>,
    /// Absolute position after the last cached key: the cache holds `end - len() .. end`.
    end: usize,
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
        self.end = 0;
    }

    /// Rewinds the cache so that it ends at position `positions`, as if only the first
    /// `positions` tokens had been run, for a layer with this attention `window`. Returns
    /// `false` (and leaves the cache unusable until cleared) when the keys the next query would
    /// need are gone: a sliding-window layer that already dropped them, or a rewind forward.
    pub fn rewind(&mut self, positions: usize, window: Option<usize>) -> Result<bool> {
        if positions > self.end {
            return Ok(false);
        }
        let start = self.end - self.len();
        // The oldest key a query at `positions` can see.
        let needed_from = match window {
            Some(w) => positions.saturating_sub(w.saturating_sub(1)),
            None => 0,
        };
        if start > needed_from {
            return Ok(false);
        }
        let keep = positions - start;
        if let (Some(k), Some(v)) = (&self.k, &self.v) {
            if keep == 0 {
                self.k = None;
                self.v = None;
            } else {
                self.k = Some(k.narrow(2, 0, keep)?);
                self.v = Some(v.narrow(2, 0, keep)?);
            }
        }
        self.end = positions;
        Ok(true)
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

/// How query-key products become attention logits: multiplied by `factor`, then, for Gemma 2,
/// soft-capped to `cap * tanh(x / cap)` before the mask (as transformers and llama.cpp do).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scale {
    pub factor: f64,
    pub softcap: Option<f64>,
}

impl From<f64> for Scale {
    fn from(factor: f64) -> Self {
        Scale {
            factor,
            softcap: None,
        }
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
    scale: impl Into<Scale>,
) -> Result<Tensor> {
    let scale = scale.into();
    let (b, heads, seq, d) = q.dims4()?;
    let kv_heads = k.dim(1)?;
    let (k, v) = cache.append(k, v)?;
    cache.end = offset + seq;
    let kv_len = k.dim(2)?;
    let first_key_pos = offset + seq - kv_len;

    let k = repeat_kv(&k, heads / kv_heads)?;
    let v = repeat_kv(&v, heads / kv_heads)?;
    let mut scores = (q.contiguous()?.matmul(&k.t()?.contiguous()?)? * scale.factor)?;
    if let Some(cap) = scale.softcap {
        scores = ((scores / cap)?.tanh()? * cap)?;
    }
    if let Some(mask) = mask(seq, kv_len, offset, first_key_pos, window, q.device())? {
        scores = scores.broadcast_add(&mask)?;
    }
    let probs = candle_nn::ops::softmax_last_dim(&scores)?;
    let out = probs.matmul(&v.contiguous()?)?;
    if let Some(w) = window {
        let needed = w.saturating_sub(1);
        if cache.len() > needed + 2 * REWIND_SLACK {
            cache.trim(needed + REWIND_SLACK)?;
        }
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

    /// Runs positions `from..to` of `q`/`k`/`v` one at a time through `cache`.
    fn steps(
        cache: &mut KvCache,
        qkv: &[Tensor; 3],
        from: usize,
        to: usize,
        w: Option<usize>,
    ) -> Vec<Tensor> {
        (from..to)
            .map(|i| {
                let [q, k, v] = qkv.each_ref().map(|t| t.narrow(2, i, 1).unwrap());
                attend(cache, &q, &k, &v, i, w, 0.5).unwrap()
            })
            .collect()
    }

    fn max_abs_diff(a: &Tensor, b: &Tensor) -> f32 {
        (a - b)
            .unwrap()
            .abs()
            .unwrap()
            .max_all()
            .unwrap()
            .to_scalar::<f32>()
            .unwrap()
    }

    #[test]
    fn rewound_cache_continues_like_a_fresh_one() {
        let dev = Device::Cpu;
        let qkv = [
            Tensor::randn(0f32, 1.0, (1, 2, 8, 4), &dev).unwrap(),
            Tensor::randn(0f32, 1.0, (1, 1, 8, 4), &dev).unwrap(),
            Tensor::randn(0f32, 1.0, (1, 1, 8, 4), &dev).unwrap(),
        ];
        for window in [None, Some(6)] {
            let mut fresh = KvCache::default();
            let want = steps(&mut fresh, &qkv, 0, 8, window);
            // Run 7 positions, rewind to 5, then run 5..8 again.
            let mut reused = KvCache::default();
            steps(&mut reused, &qkv, 0, 7, window);
            assert!(reused.rewind(5, window).unwrap(), "{window:?}");
            let got = steps(&mut reused, &qkv, 5, 8, window);
            for (g, w) in got.iter().zip(&want[5..]) {
                assert!(max_abs_diff(g, w) < 1e-6, "{window:?}");
            }
        }
    }

    #[test]
    fn rewind_refuses_when_the_window_dropped_needed_keys() {
        let dev = Device::Cpu;
        let n = 3 + 2 * REWIND_SLACK;
        let qkv = [
            Tensor::randn(0f32, 1.0, (1, 1, n, 4), &dev).unwrap(),
            Tensor::randn(0f32, 1.0, (1, 1, n, 4), &dev).unwrap(),
            Tensor::randn(0f32, 1.0, (1, 1, n, 4), &dev).unwrap(),
        ];
        let mut cache = KvCache::default();
        steps(&mut cache, &qkv, 0, n, Some(3));
        // Trimmed to the window plus the slack: position 2 would need keys 0 and 1, long gone;
        // a rewind within the slack still works.
        assert_eq!(cache.len(), 2 + REWIND_SLACK);
        assert!(!cache.rewind(2, Some(3)).unwrap());
        assert!(cache.rewind(n - 100, Some(3)).unwrap());
        let mut cache = KvCache::default();
        steps(&mut cache, &qkv, 0, 4, None);
        assert!(!cache.rewind(5, None).unwrap());
        assert!(cache.rewind(0, None).unwrap());
        assert!(cache.is_empty());
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
            assert!(c2.len() <= 2 + 2 * REWIND_SLACK);
        }
    }
}
