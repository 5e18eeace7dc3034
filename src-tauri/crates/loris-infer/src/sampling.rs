//! Choosing the next token from logits: penalties, then temperature, top-k, top-p and min-p,
//! then a draw from a seeded generator (same seed and inputs, same tokens). Temperature 0 is
//! greedy.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SamplingParams {
    /// 0 picks the most likely token.
    pub temperature: f32,
    /// Keep the smallest set of tokens whose probability reaches `top_p` (1 = off).
    pub top_p: f32,
    /// Keep the `top_k` most likely tokens (0 = off).
    pub top_k: usize,
    /// Drop tokens less likely than `min_p` times the most likely one (0 = off).
    pub min_p: f32,
    /// transformers-style: divides positive logits / multiplies negative ones of tokens seen
    /// in the last `penalty_last_n` tokens (1 = off).
    pub repetition_penalty: f32,
    /// OpenAI-style: subtracted once from the logit of every token seen.
    pub presence_penalty: f32,
    /// OpenAI-style: subtracted per occurrence.
    pub frequency_penalty: f32,
    /// How many recent tokens (prompt included) the penalties look at; 0 = all.
    pub penalty_last_n: usize,
    /// `None` draws a seed.
    pub seed: Option<u64>,
}

impl Default for SamplingParams {
    fn default() -> Self {
        SamplingParams {
            temperature: 0.8,
            top_p: 0.95,
            top_k: 40,
            min_p: 0.05,
            repetition_penalty: 1.0,
            presence_penalty: 0.0,
            frequency_penalty: 0.0,
            penalty_last_n: 64,
            seed: None,
        }
    }
}

impl SamplingParams {
    pub fn greedy() -> Self {
        SamplingParams {
            temperature: 0.0,
            ..Default::default()
        }
    }
}

pub struct Sampler {
    params: SamplingParams,
    rng: SplitMix64,
}

impl Sampler {
    pub fn new(params: SamplingParams) -> Self {
        let seed = params.seed.unwrap_or_else(random_seed);
        Sampler {
            params,
            rng: SplitMix64(seed),
        }
    }

    /// The next token given the logits and the tokens so far (prompt and generated).
    pub fn sample(&mut self, logits: &mut [f32], history: &[u32]) -> u32 {
        self.apply_penalties(logits, history);
        let p = &self.params;
        if p.temperature <= 0.0 {
            return argmax(logits);
        }
        let mut cands: Vec<(u32, f32)> = logits
            .iter()
            .enumerate()
            .filter(|(_, l)| l.is_finite())
            .map(|(i, &l)| (i as u32, l / p.temperature))
            .collect();
        if cands.is_empty() {
            return argmax(logits);
        }
        // Most likely first; ties by id so the order (and the draw) is deterministic.
        cands.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        if p.top_k > 0 && p.top_k < cands.len() {
            cands.truncate(p.top_k);
        }
        let max = cands[0].1;
        let mut probs: Vec<f32> = cands.iter().map(|(_, l)| (l - max).exp()).collect();
        let total: f32 = probs.iter().sum();
        probs.iter_mut().for_each(|x| *x /= total);
        if p.top_p < 1.0 {
            let mut acc = 0.0;
            let mut keep = probs.len();
            for (i, q) in probs.iter().enumerate() {
                acc += q;
                if acc >= p.top_p {
                    keep = i + 1;
                    break;
                }
            }
            probs.truncate(keep);
        }
        if p.min_p > 0.0 {
            let floor = probs[0] * p.min_p;
            let keep = probs.iter().take_while(|&&q| q >= floor).count().max(1);
            probs.truncate(keep);
        }
        let total: f32 = probs.iter().sum();
        let mut r = self.rng.next_f32() * total;
        for (i, q) in probs.iter().enumerate() {
            if r < *q {
                return cands[i].0;
            }
            r -= q;
        }
        cands[probs.len() - 1].0
    }

    fn apply_penalties(&self, logits: &mut [f32], history: &[u32]) {
        let p = &self.params;
        if p.repetition_penalty == 1.0 && p.presence_penalty == 0.0 && p.frequency_penalty == 0.0 {
            return;
        }
        let window = if p.penalty_last_n == 0 {
            history
        } else {
            &history[history.len().saturating_sub(p.penalty_last_n)..]
        };
        let mut counts: std::collections::HashMap<u32, u32> = std::collections::HashMap::new();
        for &t in window {
            *counts.entry(t).or_default() += 1;
        }
        for (&token, &count) in &counts {
            let Some(l) = logits.get_mut(token as usize) else {
                continue;
            };
            if p.repetition_penalty != 1.0 {
                *l = if *l > 0.0 {
                    *l / p.repetition_penalty
                } else {
                    *l * p.repetition_penalty
                };
            }
            *l -= p.presence_penalty + p.frequency_penalty * count as f32;
        }
    }
}

/// Index of the largest logit, the lowest index on ties.
pub fn argmax(logits: &[f32]) -> u32 {
    let mut best = 0;
    for (i, l) in logits.iter().enumerate() {
        if *l > logits[best] {
            best = i;
        }
    }
    best as u32
}

fn random_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    // RandomState is seeded from the OS per process and per instance.
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0),
    );
    h.finish()
}

/// A small, fixed pseudo-random generator, so a seed means the same tokens in every release
/// (a dependency's generator may change its stream between versions).
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn next_f32(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logits() -> Vec<f32> {
        (0..50).map(|i| ((i * 7919) % 13) as f32 * 0.3).collect()
    }

    #[test]
    fn greedy_picks_the_max_and_seeds_repeat() {
        let mut l = vec![0.1, 2.0, 2.0, -1.0];
        assert_eq!(
            Sampler::new(SamplingParams::greedy()).sample(&mut l, &[]),
            1
        );
        let params = SamplingParams {
            temperature: 1.0,
            top_k: 0,
            top_p: 1.0,
            min_p: 0.0,
            seed: Some(7),
            ..Default::default()
        };
        let draw = |params: &SamplingParams| {
            let mut s = Sampler::new(params.clone());
            (0..20)
                .map(|_| s.sample(&mut logits(), &[]))
                .collect::<Vec<_>>()
        };
        assert_eq!(draw(&params), draw(&params));
        let other = SamplingParams {
            seed: Some(8),
            ..params.clone()
        };
        assert_ne!(draw(&params), draw(&other));
    }

    #[test]
    fn filters_restrict_the_candidates() {
        let params = SamplingParams {
            temperature: 1.0,
            top_k: 1,
            top_p: 1.0,
            min_p: 0.0,
            seed: Some(1),
            ..Default::default()
        };
        let mut s = Sampler::new(params);
        let l = logits();
        let best = argmax(&l);
        for _ in 0..10 {
            assert_eq!(s.sample(&mut l.clone(), &[]), best);
        }
        // min_p 1.0 keeps only tokens as likely as the best.
        let params = SamplingParams {
            temperature: 1.0,
            top_k: 0,
            top_p: 1.0,
            min_p: 1.0,
            seed: Some(2),
            ..Default::default()
        };
        let mut s = Sampler::new(params);
        for _ in 0..10 {
            let t = s.sample(&mut l.clone(), &[]);
            assert_eq!(l[t as usize], l[best as usize]);
        }
    }

    #[test]
    fn penalties_push_seen_tokens_down() {
        let params = SamplingParams {
            temperature: 0.0,
            presence_penalty: 5.0,
            ..Default::default()
        };
        let mut s = Sampler::new(params);
        let mut l = vec![1.0, 3.0, 2.0];
        assert_eq!(s.sample(&mut l, &[1]), 2);
        let params = SamplingParams {
            temperature: 0.0,
            repetition_penalty: 2.0,
            ..Default::default()
        };
        let mut l = vec![1.0, 3.0, 2.0];
        assert_eq!(Sampler::new(params).sample(&mut l, &[1]), 2);
    }
}
