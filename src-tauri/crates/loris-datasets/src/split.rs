//! The train/eval split: rows shuffled by a small seeded PRNG (SplitMix64), so the same seed
//! gives the same split on every machine and every run, without a `rand` dependency.

use crate::error::{DatasetError, Result};

/// SplitMix64 (Steele, Lea and Flood): tiny, fast, and good enough to shuffle rows.
#[derive(Debug, Clone)]
pub(crate) struct SplitMix64(u64);

impl SplitMix64 {
    pub(crate) fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (Lemire's multiply-shift; the bias is below 2^-32 for any row count).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }
}

/// `0..n` in a seeded random order (Fisher-Yates).
pub(crate) fn shuffled(n: usize, seed: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    let mut rng = SplitMix64::new(seed);
    for i in (1..n).rev() {
        let j = rng.below(i + 1);
        order.swap(i, j);
    }
    order
}

/// How many of `n` rows go to evaluation: `rows` when given, else `fraction` of them rounded
/// (at least one when the fraction is positive); always leaving at least one training row.
pub(crate) fn eval_count(n: usize, fraction: f64, rows: Option<usize>) -> Result<usize> {
    if !fraction.is_finite() || !(0.0..1.0).contains(&fraction) {
        return Err(DatasetError::InvalidOptions(format!(
            "the eval fraction must be at least 0 and below 1, not {fraction}"
        )));
    }
    let wanted = match rows {
        Some(rows) => rows,
        None if fraction > 0.0 => ((n as f64 * fraction).round() as usize).max(1),
        None => 0,
    };
    Ok(wanted.min(n.saturating_sub(1)))
}

/// Row indices for (train, eval).
pub(crate) fn split(n: usize, eval: usize, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let mut order = shuffled(n, seed);
    let train = order.split_off(eval.min(n));
    (train, order)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_matches_the_reference_sequence() {
        // Reference values of SplitMix64 seeded with 1234567 (from the Java/C reference code).
        let mut rng = SplitMix64::new(1234567);
        assert_eq!(rng.next_u64(), 6457827717110365317);
        assert_eq!(rng.next_u64(), 3203168211198807973);
    }

    #[test]
    fn shuffles_are_permutations_and_depend_on_the_seed() {
        let a = shuffled(100, 7);
        let mut sorted = a.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..100).collect::<Vec<_>>());
        assert_eq!(a, shuffled(100, 7));
        assert_ne!(a, shuffled(100, 8));
        assert!(shuffled(0, 1).is_empty());
    }

    #[test]
    fn eval_counts() {
        assert_eq!(eval_count(100, 0.1, None).unwrap(), 10);
        assert_eq!(eval_count(5, 0.01, None).unwrap(), 1);
        assert_eq!(eval_count(5, 0.0, None).unwrap(), 0);
        assert_eq!(eval_count(5, 0.0, Some(9)).unwrap(), 4);
        assert_eq!(eval_count(1, 0.5, None).unwrap(), 0);
        assert_eq!(
            eval_count(5, 1.0, None).unwrap_err().code(),
            "dataset_invalid_options"
        );
        assert!(eval_count(5, f64::NAN, None).is_err());
        let (train, eval) = split(10, 3, 1);
        assert_eq!((train.len(), eval.len()), (7, 3));
        assert!(eval.iter().all(|e| !train.contains(e)));
    }
}
