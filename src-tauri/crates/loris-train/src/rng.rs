//! A small seeded generator (SplitMix64): LoRA initialization, dropout masks and data order
//! derive from the run's seed alone, so the same seed gives the same loss curve and a resumed
//! run continues it.

#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    /// A generator for one purpose, independent of the others drawn from the same seed.
    pub fn derive(seed: u64, parts: &[u64]) -> Self {
        let mut state = SplitMix64(seed);
        let mut mixed = state.next_u64();
        for p in parts {
            mixed = SplitMix64(mixed ^ p.wrapping_mul(0x9E37_79B9_7F4A_7C15)).next_u64();
        }
        state.0 = mixed;
        state
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn next_f32(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }

    /// Fisher-Yates shuffle.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = (self.next_u64() % (i as u64 + 1)) as usize;
            items.swap(i, j);
        }
    }
}

/// A stable 64-bit hash of a name (FNV-1a), to derive per-module streams.
pub fn name_hash(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}
