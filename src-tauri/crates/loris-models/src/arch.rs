//! The registry of architectures Loris runs, and how each is named in config.json and in GGUF
//! metadata. Anything not listed is a typed `unknown_architecture` error naming what was found.

use serde::Serialize;

use crate::error::{ModelError, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Architecture {
    /// Llama 2/3.x and models that reuse it unchanged (SmolLM2).
    Llama,
    Mistral,
    Qwen2,
    Qwen3,
    Gemma2,
    Gemma3,
    Phi3,
}

impl Architecture {
    pub const ALL: [Architecture; 7] = [
        Architecture::Llama,
        Architecture::Mistral,
        Architecture::Qwen2,
        Architecture::Qwen3,
        Architecture::Gemma2,
        Architecture::Gemma3,
        Architecture::Phi3,
    ];

    /// config.json `model_type`.
    pub fn model_type(self) -> &'static str {
        match self {
            Architecture::Llama => "llama",
            Architecture::Mistral => "mistral",
            Architecture::Qwen2 => "qwen2",
            Architecture::Qwen3 => "qwen3",
            Architecture::Gemma2 => "gemma2",
            Architecture::Gemma3 => "gemma3_text",
            Architecture::Phi3 => "phi3",
        }
    }

    /// config.json `architectures[0]` for the causal-LM head.
    pub fn hf_class(self) -> &'static str {
        match self {
            Architecture::Llama => "LlamaForCausalLM",
            Architecture::Mistral => "MistralForCausalLM",
            Architecture::Qwen2 => "Qwen2ForCausalLM",
            Architecture::Qwen3 => "Qwen3ForCausalLM",
            Architecture::Gemma2 => "Gemma2ForCausalLM",
            Architecture::Gemma3 => "Gemma3ForCausalLM",
            Architecture::Phi3 => "Phi3ForCausalLM",
        }
    }

    /// The architecture for a config.json: `model_type` decides, as in transformers'
    /// AutoConfig; `architectures` is only consulted when `model_type` is absent.
    pub fn from_hf(model_type: Option<&str>, architectures: &[String]) -> Result<Self> {
        if let Some(mt) = model_type {
            return match mt {
                "llama" => Ok(Architecture::Llama),
                "mistral" => Ok(Architecture::Mistral),
                "qwen2" => Ok(Architecture::Qwen2),
                "qwen3" => Ok(Architecture::Qwen3),
                "gemma2" => Ok(Architecture::Gemma2),
                // Text-only Gemma 3 (270M, 1B). The multimodal `gemma3` config nests the text
                // model under `text_config`, which this loader does not read.
                "gemma3_text" => Ok(Architecture::Gemma3),
                "phi3" => Ok(Architecture::Phi3),
                other => Err(unknown(other)),
            };
        }
        let class = architectures
            .first()
            .map(String::as_str)
            .unwrap_or("<none>");
        Architecture::ALL
            .into_iter()
            .find(|a| a.hf_class() == class)
            .ok_or_else(|| unknown(class))
    }

    /// The architecture for GGUF `general.architecture`. llama.cpp writes Mistral (v0.1-v0.3)
    /// models as `llama`, so a GGUF never says `mistral` for them.
    pub fn from_gguf(name: &str) -> Result<Self> {
        match name {
            "llama" => Ok(Architecture::Llama),
            "qwen2" => Ok(Architecture::Qwen2),
            "qwen3" => Ok(Architecture::Qwen3),
            "gemma2" => Ok(Architecture::Gemma2),
            "gemma3" => Ok(Architecture::Gemma3),
            "phi3" => Ok(Architecture::Phi3),
            other => Err(unknown(other)),
        }
    }
}

impl std::fmt::Display for Architecture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.model_type())
    }
}

fn unknown(name: &str) -> ModelError {
    let supported = Architecture::ALL
        .iter()
        .map(|a| a.model_type())
        .collect::<Vec<_>>()
        .join(", ");
    ModelError::UnknownArchitecture {
        name: name.to_owned(),
        supported,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_type_wins_and_unknowns_are_named() {
        assert_eq!(
            Architecture::from_hf(Some("qwen3"), &[]).unwrap(),
            Architecture::Qwen3
        );
        assert_eq!(
            Architecture::from_hf(None, &["Phi3ForCausalLM".into()]).unwrap(),
            Architecture::Phi3
        );
        let err = Architecture::from_hf(Some("mamba"), &[]).unwrap_err();
        assert_eq!(err.code(), "unknown_architecture");
        assert!(err.to_string().contains("mamba"));
        assert_eq!(
            Architecture::from_gguf("rwkv6").unwrap_err().code(),
            "unknown_architecture"
        );
        for a in Architecture::ALL {
            assert_eq!(Architecture::from_hf(Some(a.model_type()), &[]).unwrap(), a);
        }
    }
}
