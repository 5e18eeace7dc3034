//! Parameter counts of a decoder from its shape: the part of every estimate that can be checked
//! exactly against published model sizes (Llama-3.2-1B has 1,235,814,400 parameters).

use serde::{Deserialize, Serialize};

use super::shape::{ArchLayout, ModelShape};
use super::training::TargetModule;

/// Parameters by where they live. Per-layer counts are the same for every layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ParamCounts {
    #[specta(type = specta_typescript::Number)]
    pub embedding: u64,
    /// Zero when the output projection is tied to the embedding.
    #[specta(type = specta_typescript::Number)]
    pub lm_head: u64,
    /// q, k, v and o weight matrices of one layer.
    #[specta(type = specta_typescript::Number)]
    pub attention_per_layer: u64,
    /// gate, up and down weight matrices of one layer.
    #[specta(type = specta_typescript::Number)]
    pub mlp_per_layer: u64,
    #[specta(type = specta_typescript::Number)]
    pub bias_per_layer: u64,
    /// RMSNorm weights of one layer, including per-head q/k norms.
    #[specta(type = specta_typescript::Number)]
    pub norm_per_layer: u64,
    #[specta(type = specta_typescript::Number)]
    pub final_norm: u64,
    #[specta(type = specta_typescript::Number)]
    pub vision: u64,
    #[specta(type = specta_typescript::Number)]
    pub num_layers: u64,
    /// Elements of the largest single weight matrix (QLoRA dequantizes one at a time).
    #[specta(type = specta_typescript::Number)]
    pub largest_matrix: u64,
}

impl ParamCounts {
    pub fn from_shape(shape: &ModelShape, layout: &ArchLayout) -> Self {
        let h = shape.hidden_size;
        let q = shape.q_dim();
        let kv = shape.kv_dim();
        let i = shape.intermediate_size;
        let attention = h * q + 2 * h * kv + q * h;
        let mlp = 3 * h * i;
        let mut bias = 0;
        if layout.qkv_bias {
            bias += q + 2 * kv;
        }
        if layout.o_bias {
            bias += h;
        }
        if layout.mlp_bias {
            bias += 2 * i + h;
        }
        let qk_norm = if layout.qk_norm {
            2 * shape.head_dim
        } else {
            0
        };
        let embedding = shape.vocab_size * h;
        let largest_matrix = if layout.fused_projections {
            [h * (q + 2 * kv), h * 2 * i, q * h, i * h]
        } else {
            [h * q, h * kv, h * i, i * h]
        }
        .into_iter()
        .max()
        .unwrap_or(0);
        ParamCounts {
            embedding,
            lm_head: if shape.tie_word_embeddings {
                0
            } else {
                embedding
            },
            attention_per_layer: attention,
            mlp_per_layer: mlp,
            bias_per_layer: bias,
            norm_per_layer: layout.norms_per_layer * h + qk_norm,
            final_norm: h,
            vision: layout.vision_parameters,
            num_layers: shape.num_layers,
            largest_matrix,
        }
    }

    /// The decoder's weight matrices: what QLoRA quantizes to NF4.
    pub fn decoder_linear(&self) -> u64 {
        self.num_layers * (self.attention_per_layer + self.mlp_per_layer)
    }

    /// Embeddings, lm_head, norms and biases: kept in bf16 by QLoRA.
    pub fn unquantized(&self) -> u64 {
        self.embedding
            + self.lm_head
            + self.num_layers * (self.bias_per_layer + self.norm_per_layer)
            + self.final_norm
    }

    /// Every language-model parameter (the vision tower is counted separately).
    pub fn text_total(&self) -> u64 {
        self.decoder_linear() + self.unquantized()
    }

    pub fn total(&self) -> u64 {
        self.text_total() + self.vision
    }
}

/// LoRA parameters (A: r×in, B: out×r per adapted module) and how many modules one layer has.
pub fn lora_parameters(
    shape: &ModelShape,
    layout: &ArchLayout,
    targets: &[TargetModule],
    rank: u64,
) -> (u64, u64) {
    let h = shape.hidden_size;
    let q = shape.q_dim();
    let kv = shape.kv_dim();
    let i = shape.intermediate_size;
    let has = |m: TargetModule| targets.contains(&m);
    // (in, out) of each adapted module of one layer.
    let mut modules: Vec<(u64, u64)> = Vec::new();
    if layout.fused_projections {
        // Phi-3 has one qkv_proj and one gate_up_proj: asking for any part adapts the whole.
        if has(TargetModule::Q) || has(TargetModule::K) || has(TargetModule::V) {
            modules.push((h, q + 2 * kv));
        }
        if has(TargetModule::Gate) || has(TargetModule::Up) {
            modules.push((h, 2 * i));
        }
    } else {
        for (m, dims) in [
            (TargetModule::Q, (h, q)),
            (TargetModule::K, (h, kv)),
            (TargetModule::V, (h, kv)),
            (TargetModule::Gate, (h, i)),
            (TargetModule::Up, (h, i)),
        ] {
            if has(m) {
                modules.push(dims);
            }
        }
    }
    if has(TargetModule::O) {
        modules.push((q, h));
    }
    if has(TargetModule::Down) {
        modules.push((i, h));
    }
    let per_layer: u64 = modules.iter().map(|(a, b)| rank * (a + b)).sum();
    (shape.num_layers * per_layer, modules.len() as u64)
}
