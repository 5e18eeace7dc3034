//! SplitMix64: tiny, fast, and the same sequence on every platform, which is what a
//! reproducible preview needs (cryptographic quality is not).

#[derive(Debug, Clone)]
pub struct Rng {
    state: u64,
}

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng { state: seed }
    }

    /// A stream for one column: the seed mixed with a hash of the column's name, so adding or
    /// reordering other columns leaves this column's values unchanged.
    pub fn for_column(seed: u64, column: &str) -> Self {
        // FNV-1a over the name.
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in column.as_bytes() {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        let mut rng = Rng::new(seed ^ hash);
        // One step so that nearby seeds do not start from nearby states.
        rng.next_u64();
        rng
    }

    /// A stream for one cell: the column's stream for this row alone, so that any row can be
    /// generated again on its own (a resumed run regenerates only the batches it lacks).
    pub fn for_cell(seed: u64, column: &str, row: u64) -> Self {
        let mut mix = Rng::new(row);
        Rng::for_column(seed ^ mix.next_u64(), column)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1), from the top 53 bits.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in [0, n); n = 0 gives 0.
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        // Lemire's multiply-high; the tiny bias is irrelevant for sampling data.
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform integer in [low, high] (inclusive).
    pub fn range_i64(&mut self, low: i64, high: i64) -> i64 {
        if high <= low {
            return low;
        }
        let span = (high as i128 - low as i128 + 1) as u128;
        let offset = if span > u128::from(u64::MAX) {
            u128::from(self.next_u64())
        } else {
            u128::from(self.below(span as u64))
        };
        (low as i128 + offset as i128) as i64
    }

    /// A standard normal draw (Box-Muller).
    pub fn normal(&mut self) -> f64 {
        // 1 - u keeps the logarithm's argument in (0, 1].
        let u1 = 1.0 - self.next_f64();
        let u2 = self.next_f64();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// Picks an index with probability proportional to `weights` (all finite, non-negative,
    /// summing to more than zero: checked when the params are read).
    pub fn weighted(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut target = self.next_f64() * total;
        for (i, w) in weights.iter().enumerate() {
            if target < *w {
                return i;
            }
            target -= w;
        }
        weights.len().saturating_sub(1)
    }

    pub fn bytes16(&mut self) -> [u8; 16] {
        let mut out = [0u8; 16];
        out[..8].copy_from_slice(&self.next_u64().to_le_bytes());
        out[8..].copy_from_slice(&self.next_u64().to_le_bytes());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence() {
        let a: Vec<u64> = (0..5)
            .scan(Rng::new(7), |r, _| Some(r.next_u64()))
            .collect();
        let b: Vec<u64> = (0..5)
            .scan(Rng::new(7), |r, _| Some(r.next_u64()))
            .collect();
        let c: Vec<u64> = (0..5)
            .scan(Rng::new(8), |r, _| Some(r.next_u64()))
            .collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn ranges_stay_in_bounds() {
        let mut rng = Rng::new(1);
        for _ in 0..1000 {
            let f = rng.next_f64();
            assert!((0.0..1.0).contains(&f));
            assert!(rng.below(3) < 3);
            let v = rng.range_i64(-2, 2);
            assert!((-2..=2).contains(&v));
        }
        // The widest range must not overflow.
        let _ = rng.range_i64(i64::MIN, i64::MAX);
    }

    #[test]
    fn weights_are_respected() {
        let mut rng = Rng::new(3);
        let mut counts = [0usize; 2];
        for _ in 0..10_000 {
            counts[rng.weighted(&[1.0, 3.0])] += 1;
        }
        assert!(counts[1] > counts[0] * 2, "{counts:?}");
    }
}
