//! llama.cpp tensor names against Hugging Face names, and the Q/K row order llama.cpp's
//! converter uses for `llama` models: shared by the adapter merge here and the trainer, which
//! works in the Hugging Face convention.

use candle_core::Tensor;
use loris_models::Architecture;

use crate::error::Result;

/// The Hugging Face name of a llama.cpp tensor (`blk.0.attn_q.weight` →
/// `model.layers.0.self_attn.q_proj.weight`).
pub fn hf_name(gguf: &str, arch: Architecture) -> Option<String> {
    let gemma = matches!(arch, Architecture::Gemma2 | Architecture::Gemma3);
    match gguf {
        "token_embd.weight" => return Some("model.embed_tokens.weight".into()),
        "output.weight" => return Some("lm_head.weight".into()),
        "output_norm.weight" => return Some("model.norm.weight".into()),
        _ => {}
    }
    let rest = gguf.strip_prefix("blk.")?;
    let (layer, name) = rest.split_once('.')?;
    let (stem, suffix) = name.rsplit_once('.')?;
    let hf = match stem {
        "attn_q" => "self_attn.q_proj",
        "attn_k" => "self_attn.k_proj",
        "attn_v" => "self_attn.v_proj",
        "attn_qkv" => "self_attn.qkv_proj",
        "attn_output" => "self_attn.o_proj",
        "attn_q_norm" => "self_attn.q_norm",
        "attn_k_norm" => "self_attn.k_norm",
        "attn_norm" => "input_layernorm",
        "post_attention_norm" => "post_attention_layernorm",
        "ffn_norm" if gemma => "pre_feedforward_layernorm",
        "ffn_norm" => "post_attention_layernorm",
        "post_ffw_norm" => "post_feedforward_layernorm",
        "ffn_gate" => "mlp.gate_proj",
        "ffn_up" if arch == Architecture::Phi3 => "mlp.gate_up_proj",
        "ffn_up" => "mlp.up_proj",
        "ffn_down" => "mlp.down_proj",
        _ => return None,
    };
    Some(format!("model.layers.{layer}.{hf}.{suffix}"))
}

/// llama.cpp's converter permutes the Q and K rows of `llama` models for its interleaved RoPE.
pub fn permutes_qk(arch: Architecture) -> bool {
    matches!(arch, Architecture::Llama | Architecture::Mistral)
}

/// llama.cpp's `permute`: per head, rows `[first half; second half]` become interleaved pairs.
pub fn permute_rows(w: &Tensor, heads: usize) -> Result<Tensor> {
    let (rows, cols) = w.dims2()?;
    let half = rows / heads / 2;
    Ok(w.reshape((heads, 2, half, cols))?
        .transpose(1, 2)?
        .contiguous()?
        .reshape((rows, cols))?)
}

/// The inverse of [`permute_rows`].
pub fn unpermute_rows(w: &Tensor, heads: usize) -> Result<Tensor> {
    let (rows, cols) = w.dims2()?;
    let half = rows / heads / 2;
    Ok(w.reshape((heads, half, 2, cols))?
        .transpose(1, 2)?
        .contiguous()?
        .reshape((rows, cols))?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn permute_and_unpermute_are_inverse() {
        let w = Tensor::arange(0f32, 48.0, &Device::Cpu)
            .unwrap()
            .reshape((12, 4))
            .unwrap();
        let p = permute_rows(&w, 3).unwrap();
        let back = unpermute_rows(&p, 3).unwrap();
        assert_eq!(back.to_vec2::<f32>().unwrap(), w.to_vec2::<f32>().unwrap());
        // Within one head of 4 rows, llama.cpp interleaves the halves: 0, 2, 1, 3.
        let rows: Vec<f32> = p
            .to_vec2::<f32>()
            .unwrap()
            .iter()
            .take(4)
            .map(|r| r[0])
            .collect();
        assert_eq!(rows, vec![0.0, 8.0, 4.0, 12.0]);
    }

    #[test]
    fn gguf_names_map_to_hf_names() {
        assert_eq!(
            hf_name("blk.3.ffn_norm.weight", Architecture::Llama).as_deref(),
            Some("model.layers.3.post_attention_layernorm.weight")
        );
        assert_eq!(
            hf_name("blk.3.ffn_norm.weight", Architecture::Gemma3).as_deref(),
            Some("model.layers.3.pre_feedforward_layernorm.weight")
        );
        assert_eq!(
            hf_name("blk.0.attn_q.bias", Architecture::Qwen2).as_deref(),
            Some("model.layers.0.self_attn.q_proj.bias")
        );
        assert_eq!(hf_name("blk.0.unknown.weight", Architecture::Llama), None);
    }
}
