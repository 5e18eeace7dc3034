//! Tensor names and shapes as transformers' `save_pretrained` writes them, and their
//! deterministic values.

use super::{
    Arch, DType, HEAD_DIM, HIDDEN_SIZE, INTERMEDIATE_SIZE, NUM_HEADS, NUM_KV_HEADS, NUM_LAYERS,
};

/// One tensor of a tiny model's state dict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorSpec {
    /// Hugging Face name, e.g. `model.layers.0.self_attn.q_proj.weight`.
    pub name: String,
    /// Shape, PyTorch order (`[out_features, in_features]` for a linear weight).
    pub shape: Vec<usize>,
}

impl TensorSpec {
    fn new(name: impl Into<String>, shape: &[usize]) -> Self {
        Self {
            name: name.into(),
            shape: shape.to_vec(),
        }
    }

    /// Number of elements.
    pub fn numel(&self) -> usize {
        self.shape.iter().product()
    }
}

/// The state dict of a tiny model of `arch`, in transformers' module order. With tied word
/// embeddings there is no `lm_head.weight`: transformers does not save the tied copy.
pub fn tensor_specs(arch: Arch, vocab_size: usize, tie_word_embeddings: bool) -> Vec<TensorSpec> {
    let (h, i, hd) = (HIDDEN_SIZE, INTERMEDIATE_SIZE, HEAD_DIM);
    let q_out = NUM_HEADS * hd;
    let kv_out = NUM_KV_HEADS * hd;
    let gemma = matches!(arch, Arch::Gemma2 | Arch::Gemma3);

    let mut specs = vec![TensorSpec::new(
        "model.embed_tokens.weight",
        &[vocab_size, h],
    )];
    for layer in 0..NUM_LAYERS {
        let p = format!("model.layers.{layer}");
        let mut push = |suffix: &str, shape: &[usize]| {
            specs.push(TensorSpec::new(format!("{p}.{suffix}"), shape));
        };
        push("input_layernorm.weight", &[h]);
        if arch == Arch::Phi3 {
            push("self_attn.qkv_proj.weight", &[q_out + 2 * kv_out, h]);
        } else {
            push("self_attn.q_proj.weight", &[q_out, h]);
            push("self_attn.k_proj.weight", &[kv_out, h]);
            push("self_attn.v_proj.weight", &[kv_out, h]);
        }
        if arch == Arch::Qwen2 {
            push("self_attn.q_proj.bias", &[q_out]);
            push("self_attn.k_proj.bias", &[kv_out]);
            push("self_attn.v_proj.bias", &[kv_out]);
        }
        if matches!(arch, Arch::Qwen3 | Arch::Gemma3) {
            push("self_attn.q_norm.weight", &[hd]);
            push("self_attn.k_norm.weight", &[hd]);
        }
        push("self_attn.o_proj.weight", &[h, q_out]);
        push("post_attention_layernorm.weight", &[h]);
        if gemma {
            push("pre_feedforward_layernorm.weight", &[h]);
            push("post_feedforward_layernorm.weight", &[h]);
        }
        if arch == Arch::Phi3 {
            push("mlp.gate_up_proj.weight", &[2 * i, h]);
        } else {
            push("mlp.gate_proj.weight", &[i, h]);
            push("mlp.up_proj.weight", &[i, h]);
        }
        push("mlp.down_proj.weight", &[h, i]);
    }
    specs.push(TensorSpec::new("model.norm.weight", &[h]));
    if !tie_word_embeddings {
        specs.push(TensorSpec::new("lm_head.weight", &[vocab_size, h]));
    }
    specs
}

/// SplitMix64: small, fast, and good enough for test weights.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Roughly standard normal: the sum of four 16-bit uniforms (Irwin-Hall), centred and scaled
    /// to unit variance; range about ±3.46.
    fn normalish(&mut self) -> f32 {
        let x = self.next_u64();
        let sum = (x & 0xFFFF) + ((x >> 16) & 0xFFFF) + ((x >> 32) & 0xFFFF) + (x >> 48);
        let u = sum as f32 / 65535.0; // in [0, 4], mean 2, variance 1/3
        (u - 2.0) * 3f32.sqrt()
    }
}

/// FNV-1a, to give every tensor its own stream independent of order and sharding.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01B3)
    })
}

/// Standard deviation of the random weights.
pub const INIT_STD: f32 = 0.02;

fn norm_value(arch: Arch) -> f32 {
    if matches!(arch, Arch::Gemma2 | Arch::Gemma3) {
        0.0
    } else {
        1.0
    }
}

fn is_norm(name: &str) -> bool {
    name.contains("norm")
}

fn rng_for(seed: u64, name: &str) -> SplitMix64 {
    SplitMix64(seed ^ fnv1a(name))
}

/// The values written for tensor `name` (row-major, `numel` of them), in f32 before any BF16
/// rounding: norm weights are ones, or zeros for Gemma (whose RMSNorm multiplies by `1 + w`);
/// every other tensor is normal-ish noise with standard deviation [`INIT_STD`], from a stream
/// seeded by `seed` and the tensor name.
pub fn tensor_values(arch: Arch, seed: u64, name: &str, numel: usize) -> Vec<f32> {
    if is_norm(name) {
        return vec![norm_value(arch); numel];
    }
    let mut rng = rng_for(seed, name);
    let mut values = Vec::with_capacity(numel);
    for _ in 0..numel {
        values.push(rng.normalish() * INIT_STD);
    }
    values
}

/// [`tensor_values`] encoded little-endian in `dtype`, in one pass.
pub(super) fn tensor_bytes(
    arch: Arch,
    seed: u64,
    name: &str,
    numel: usize,
    dtype: DType,
) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(numel * dtype.size_in_bytes());
    let mut rng = rng_for(seed, name);
    let norm = is_norm(name).then(|| norm_value(arch));
    match dtype {
        DType::F32 => {
            for _ in 0..numel {
                let v = norm.unwrap_or_else(|| rng.normalish() * INIT_STD);
                bytes.extend_from_slice(&v.to_le_bytes());
            }
        }
        DType::BF16 => {
            for _ in 0..numel {
                let v = norm.unwrap_or_else(|| rng.normalish() * INIT_STD);
                bytes.extend_from_slice(&half::bf16::from_f32(v).to_le_bytes());
            }
        }
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_deterministic_and_normal_ish() {
        let a = tensor_values(Arch::Llama, 7, "model.embed_tokens.weight", 10_000);
        let b = tensor_values(Arch::Llama, 7, "model.embed_tokens.weight", 10_000);
        let c = tensor_values(Arch::Llama, 8, "model.embed_tokens.weight", 10_000);
        let d = tensor_values(Arch::Llama, 7, "lm_head.weight", 10_000);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
        let mean = a.iter().sum::<f32>() / a.len() as f32;
        let var = a.iter().map(|x| (x - mean).powi(2)).sum::<f32>() / a.len() as f32;
        assert!(mean.abs() < 0.002, "mean {mean}");
        assert!((var.sqrt() - INIT_STD).abs() < 0.002, "std {}", var.sqrt());
        assert!(a.iter().all(|x| x.abs() <= 3.5 * INIT_STD));
    }

    #[test]
    fn bytes_encode_the_values() {
        for name in ["model.layers.0.mlp.up_proj.weight", "model.norm.weight"] {
            let values = tensor_values(Arch::Phi3, 3, name, 50);
            let f32_bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
            let bf16_bytes: Vec<u8> = values
                .iter()
                .flat_map(|v| half::bf16::from_f32(*v).to_le_bytes())
                .collect();
            assert_eq!(tensor_bytes(Arch::Phi3, 3, name, 50, DType::F32), f32_bytes);
            assert_eq!(
                tensor_bytes(Arch::Phi3, 3, name, 50, DType::BF16),
                bf16_bytes
            );
        }
    }

    #[test]
    fn norms_are_ones_or_gemma_zeros() {
        let name = "model.layers.0.input_layernorm.weight";
        assert_eq!(tensor_values(Arch::Qwen3, 0, name, 3), vec![1.0; 3]);
        assert_eq!(tensor_values(Arch::Gemma3, 0, name, 3), vec![0.0; 3]);
        let qn = "model.layers.1.self_attn.q_norm.weight";
        assert_eq!(tensor_values(Arch::Gemma3, 0, qn, 2), vec![0.0; 2]);
        assert_eq!(tensor_values(Arch::Qwen3, 0, qn, 2), vec![1.0; 2]);
    }

    #[test]
    fn layer_tensor_counts() {
        let count = |arch, tie| tensor_specs(arch, 100, tie).len();
        // embed + norm (+ lm_head) + per layer
        assert_eq!(count(Arch::Llama, false), 3 + 2 * 9);
        assert_eq!(count(Arch::Mistral, true), 2 + 2 * 9);
        assert_eq!(count(Arch::Qwen2, false), 3 + 2 * 12);
        assert_eq!(count(Arch::Qwen3, false), 3 + 2 * 11);
        assert_eq!(count(Arch::Gemma2, true), 2 + 2 * 11);
        assert_eq!(count(Arch::Gemma3, true), 2 + 2 * 13);
        assert_eq!(count(Arch::Phi3, false), 3 + 2 * 6);
    }
}
