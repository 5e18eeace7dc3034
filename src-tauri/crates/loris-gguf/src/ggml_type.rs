//! ggml's tensor types: how many weights one block holds and how many bytes it takes.

/// A ggml tensor type: how many weights one block holds and how many bytes it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GgmlType {
    pub id: u32,
    pub name: &'static str,
    pub block_size: u64,
    pub type_size: u64,
}

impl GgmlType {
    /// Bits per weight including the block's scales: `type_size * 8 / block_size`.
    pub fn bits_per_weight(&self) -> f64 {
        (self.type_size * 8) as f64 / self.block_size as f64
    }

    pub fn from_id(id: u32) -> Option<GgmlType> {
        GGML_TYPES.iter().copied().find(|t| t.id == id)
    }

    /// Case-insensitive lookup by ggml name (`q4_k`, `Q8_0`, `bf16`).
    pub fn from_name(name: &str) -> Option<GgmlType> {
        GGML_TYPES
            .iter()
            .copied()
            .find(|t| t.name.eq_ignore_ascii_case(name))
    }
}

const fn ty(id: u32, name: &'static str, block_size: u64, type_size: u64) -> GgmlType {
    GgmlType {
        id,
        name,
        block_size,
        type_size,
    }
}

/// ggml's type table (ggml.c `type_traits`): block size in weights, block size in bytes.
/// Ids 4, 5 and 31-33, 36-38 were removed from ggml and never appear in current files.
pub const GGML_TYPES: [GgmlType; 32] = [
    ty(0, "F32", 1, 4),
    ty(1, "F16", 1, 2),
    ty(2, "Q4_0", 32, 18),
    ty(3, "Q4_1", 32, 20),
    ty(6, "Q5_0", 32, 22),
    ty(7, "Q5_1", 32, 24),
    ty(8, "Q8_0", 32, 34),
    ty(9, "Q8_1", 32, 36),
    ty(10, "Q2_K", 256, 84),
    ty(11, "Q3_K", 256, 110),
    ty(12, "Q4_K", 256, 144),
    ty(13, "Q5_K", 256, 176),
    ty(14, "Q6_K", 256, 210),
    ty(15, "Q8_K", 256, 292),
    ty(16, "IQ2_XXS", 256, 66),
    ty(17, "IQ2_XS", 256, 74),
    ty(18, "IQ3_XXS", 256, 98),
    ty(19, "IQ1_S", 256, 50),
    ty(20, "IQ4_NL", 32, 18),
    ty(21, "IQ3_S", 256, 110),
    ty(22, "IQ2_S", 256, 82),
    ty(23, "IQ4_XS", 256, 136),
    ty(24, "I8", 1, 1),
    ty(25, "I16", 1, 2),
    ty(26, "I32", 1, 4),
    ty(27, "I64", 1, 8),
    ty(28, "F64", 1, 8),
    ty(29, "IQ1_M", 256, 56),
    ty(30, "BF16", 1, 2),
    ty(34, "TQ1_0", 256, 54),
    ty(35, "TQ2_0", 256, 66),
    ty(39, "MXFP4", 32, 17),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_sizes_give_the_documented_bits_per_weight() {
        let bpw = |n: &str| GgmlType::from_name(n).unwrap().bits_per_weight();
        assert_eq!(bpw("Q4_0"), 4.5);
        assert_eq!(bpw("Q4_1"), 5.0);
        assert_eq!(bpw("Q4_K"), 4.5);
        assert_eq!(bpw("Q5_K"), 5.5);
        assert_eq!(bpw("Q6_K"), 6.5625);
        assert_eq!(bpw("Q8_0"), 8.5);
        assert_eq!(bpw("F16"), 16.0);
        assert_eq!(bpw("bf16"), 16.0);
    }

    #[test]
    fn ids_are_unique_and_blocks_are_never_empty() {
        for (i, t) in GGML_TYPES.iter().enumerate() {
            assert!(t.block_size > 0 && t.type_size > 0, "{}", t.name);
            assert_eq!(GgmlType::from_id(t.id), Some(*t));
            assert!(GGML_TYPES[i + 1..].iter().all(|u| u.id != t.id));
        }
        assert_eq!(GgmlType::from_id(4), None);
    }
}
