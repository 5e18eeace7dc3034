//! The numbers every estimate needs, whichever file (config.json or GGUF) they came from.

/// A decoder-only transformer, as far as memory is concerned.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelShape {
    /// `model_type` of config.json or `general.architecture` of a GGUF.
    pub model_type: String,
    pub hidden_size: u64,
    pub num_layers: u64,
    pub num_heads: u64,
    /// The largest KV head count of any layer (they are all equal except in a few GGUFs).
    pub num_kv_heads: u64,
    /// Query/key head dimension.
    pub head_dim: u64,
    /// Value head dimension (differs from `head_dim` in a few architectures).
    pub value_head_dim: u64,
    pub intermediate_size: u64,
    pub vocab_size: u64,
    pub tie_word_embeddings: bool,
    /// One entry per layer: `Some(w)` when the layer attends to the last `w` tokens only.
    pub layer_windows: Vec<Option<u64>>,
    /// One entry per layer: its KV head count.
    pub layer_kv_heads: Vec<u64>,
    pub max_position_embeddings: Option<u64>,
    /// `torch_dtype` (v4) / `dtype` (v5) of config.json, when given.
    pub dtype: Option<String>,
}

impl ModelShape {
    /// Query projection width: heads × head_dim (not always hidden_size: Qwen3, Gemma).
    pub fn q_dim(&self) -> u64 {
        self.num_heads * self.head_dim
    }

    /// Key (and, with equal head dims, value) projection width.
    pub fn kv_dim(&self) -> u64 {
        self.num_kv_heads * self.head_dim
    }

    pub fn sliding_layers(&self) -> u64 {
        self.layer_windows.iter().filter(|w| w.is_some()).count() as u64
    }

    pub fn sliding_window(&self) -> Option<u64> {
        self.layer_windows.iter().flatten().copied().max()
    }
}

/// How an architecture lays out its parameters beyond the shape (config.json only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ArchLayout {
    /// q, k and v projections have biases (Qwen2; Llama with `attention_bias`).
    pub qkv_bias: bool,
    /// The output projection has a bias (Llama with `attention_bias`).
    pub o_bias: bool,
    /// gate/up/down have biases (Llama with `mlp_bias`).
    pub mlp_bias: bool,
    /// RMSNorm weights per layer: 2 (Llama) or 4 (Gemma 2/3: pre and post norms).
    pub norms_per_layer: u64,
    /// Per-head RMSNorm on q and k (Qwen3, Gemma 3): 2 × head_dim per layer.
    pub qk_norm: bool,
    /// One `qkv_proj` and one `gate_up_proj` module (Phi-3), which LoRA adapts as one each.
    pub fused_projections: bool,
    /// Parameters of a vision tower and projector (Gemma 3 multimodal), kept frozen in bf16.
    pub vision_parameters: u64,
}
