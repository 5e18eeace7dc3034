//! Every constant the estimator uses, in one place, each with where it comes from. docs/vram.md
//! repeats them with the formulas; change both together. They are first guesses from how the
//! PyTorch stacks (PEFT, bitsandbytes, Unsloth, llama.cpp) lay memory out, to be replaced by
//! fits against measured peaks of our own engine (see [`super::Calibration`]).

pub const GIB: u64 = 1 << 30;
pub const MIB: u64 = 1 << 20;

// ---- weights -----------------------------------------------------------------------------

/// bf16 weights: 2 bytes each. Base weights for LoRA and full fine-tuning, and the
/// unquantized parts (embeddings, lm_head, norms, biases) in QLoRA.
pub const BF16_BYTES: f64 = 2.0;

/// NF4 as QLoRA stores it: 4-bit codes plus per-64-weight scales. bitsandbytes with double
/// quantization lands at ~4.13 bits; 4.5 leaves room for its quant-state bookkeeping and matches
/// Q4_0/Q4_K, which our engine may use instead.
pub const NF4_BITS_PER_WEIGHT: f64 = 4.5;

/// Norm weights and biases kept in f32 when weights are converted to a ggml quant type
/// (llama.cpp keeps 1-D tensors in F32).
pub const GGML_SMALL_TENSOR_BYTES: f64 = 4.0;

// ---- LoRA, gradients, optimizer ------------------------------------------------------------

/// LoRA A/B matrices in f32: PEFT upcasts adapters of a bf16 model to f32
/// (`autocast_adapter_dtype=True`) so small updates are not lost to rounding.
pub const LORA_PARAM_BYTES: f64 = 4.0;

/// Gradient bytes per trainable parameter: f32 for f32 adapters.
pub const LORA_GRAD_BYTES: f64 = 4.0;

/// Full fine-tuning keeps bf16 weights and bf16 gradients (no f32 master copy).
pub const FULL_GRAD_BYTES: f64 = 2.0;

/// AdamW: two f32 moments (m, v) per trainable parameter.
pub const ADAMW_STATE_BYTES: f64 = 8.0;

/// 8-bit AdamW (bitsandbytes blockwise): two 1-byte moments plus one f32 absmax per 2048-value
/// block for each: 2 + 2·4/2048 bytes.
pub const ADAMW_8BIT_STATE_BYTES: f64 = 2.0 + 2.0 * 4.0 / 2048.0;

// ---- activations ---------------------------------------------------------------------------

/// Activations are saved in bf16.
pub const ACTIVATION_BYTES: f64 = 2.0;

/// Saved tensors per token in one decoder layer (without checkpointing), in elements, for a
/// SwiGLU block with flash/SDPA attention (no seq² scores):
/// `A_HIDDEN·h + A_Q·q + A_KV·kv + A_MLP·i + r·modules`, where q = heads·head_dim,
/// kv = kv_heads·head_dim. The hidden term counts the attention-norm input and output and the
/// MLP-norm input and output; q counts post-RoPE queries and the attention output; kv counts
/// keys and values; i counts gate, up and their SwiGLU product; each LoRA module adds its
/// rank-r `x·A` product.
pub const ACT_HIDDEN_PER_TOKEN: f64 = 4.0;
pub const ACT_Q_PER_TOKEN: f64 = 2.0;
pub const ACT_KV_PER_TOKEN: f64 = 2.0;
pub const ACT_MLP_PER_TOKEN: f64 = 3.0;

// ---- logits and loss ----------------------------------------------------------------------

/// Unchunked loss: bf16 logits (2) + their f32 upcast for the softmax (4) + the f32 gradient of
/// the logits (4), per token per vocabulary entry.
pub const LOGITS_BYTES_UNCHUNKED: f64 = 10.0;

/// Chunked (fused linear + cross-entropy) loss materializes logits for this many tokens at once.
pub const LOSS_CHUNK_TOKENS: u64 = 256;

/// Chunked loss: bf16 logits (2) + f32 working copy (4) per chunk token per vocabulary entry.
pub const LOGITS_BYTES_CHUNKED: f64 = 6.0;

// ---- runtime --------------------------------------------------------------------------------

/// CUDA context, cuBLAS workspaces and allocator slack while training.
pub const TRAINING_OVERHEAD_BYTES: u64 = GIB;

/// CUDA context, cuBLAS workspace and allocator slack while serving.
pub const INFERENCE_OVERHEAD_BYTES: u64 = 512 * MIB;

// ---- inference ------------------------------------------------------------------------------

/// Prompt tokens processed per forward pass (llama.cpp's default ubatch): the activation
/// buffers are sized for this many tokens.
pub const PREFILL_CHUNK_TOKENS: u64 = 512;

/// f32 working set per prefill token, in units: `2·h + 2·q + 2·kv + 2·i` (residual and normed
/// hidden state, queries and attention output, keys and values, gate and up).
pub const INFER_ACT_HIDDEN: f64 = 2.0;
pub const INFER_ACT_Q: f64 = 2.0;
pub const INFER_ACT_KV: f64 = 2.0;
pub const INFER_ACT_MLP: f64 = 2.0;
pub const INFER_ACT_BYTES: f64 = 4.0;

/// Attention scores without flash attention: f32, chunk × attended tokens × heads, one layer at
/// a time.
pub const ATTN_SCORE_BYTES: f64 = 4.0;

/// Logits of the last position of each sequence, f32.
pub const INFER_LOGIT_BYTES: f64 = 4.0;

// ---- verdict -----------------------------------------------------------------------------

/// At or below this share of the available memory an estimate "fits"; above it, up to 100%,
/// it is "tight" (the estimate's error and other processes can tip it over).
pub const FITS_MAX_SHARE: f64 = 0.90;

/// Suggestions halve batch, sequence or context down to these floors.
pub const MIN_SUGGESTED_SEQ: u64 = 256;
pub const MIN_SUGGESTED_CONTEXT: u64 = 512;
