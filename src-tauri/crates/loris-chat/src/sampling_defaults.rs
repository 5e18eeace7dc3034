//! Sampling settings a model family is meant to run with, from the model cards' recommended
//! values. A new thread (or the "model defaults" button) starts from these rather than one
//! setting for every model: Qwen3 in thinking mode degrades into repetition when run greedily,
//! while Gemma 3 is tuned for temperature 1.0.

use serde::{Deserialize, Serialize};

use crate::types::ThreadSettings;

/// The model families with recommended settings of their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum SamplingFamily {
    /// Qwen3 in thinking mode (the default of the hybrid checkpoints).
    Qwen3Thinking,
    /// Qwen3 "Instruct" checkpoints without thinking, and Qwen2.5.
    QwenInstruct,
    Llama3,
    Gemma3,
    /// Anything else: a generic, moderately conservative setting.
    Generic,
}

impl SamplingFamily {
    /// The family of a loaded model, from its architecture (`model_type`) and its id or path.
    /// The name decides within an architecture: Qwen3's "Instruct-2507" checkpoints do not
    /// think, and a Llama architecture also runs SmolLM2 and other models that are not Llama 3.
    pub fn detect(architecture: &str, name: &str) -> Self {
        let arch = architecture.to_ascii_lowercase();
        let name = name.to_ascii_lowercase();
        let has = |needle: &str| name.contains(needle);
        if arch.starts_with("qwen3") || has("qwen3") {
            if has("instruct") || has("non-thinking") || has("nothink") {
                SamplingFamily::QwenInstruct
            } else {
                SamplingFamily::Qwen3Thinking
            }
        } else if arch.starts_with("qwen2") || has("qwen2.5") || has("qwen2_5") {
            SamplingFamily::QwenInstruct
        } else if arch.starts_with("gemma3") || has("gemma-3") || has("gemma3") {
            SamplingFamily::Gemma3
        } else if has("llama-3") || has("llama3") || has("llama_3") {
            SamplingFamily::Llama3
        } else {
            SamplingFamily::Generic
        }
    }

    /// Temperature, top-p, top-k and min-p of the family; the rest keeps `base`.
    pub fn apply(self, base: ThreadSettings) -> ThreadSettings {
        let (temperature, top_p, top_k, min_p) = match self {
            SamplingFamily::Qwen3Thinking => (0.6, 0.95, 20, 0.0),
            SamplingFamily::QwenInstruct => (0.7, 0.8, 20, 0.0),
            // Meta's generation_config.json sets temperature and top-p only: no top-k cut.
            SamplingFamily::Llama3 => (0.6, 0.9, 0, 0.0),
            SamplingFamily::Gemma3 => (1.0, 0.95, 64, 0.0),
            SamplingFamily::Generic => (0.7, 0.9, 40, 0.05),
        };
        ThreadSettings {
            temperature,
            top_p,
            top_k,
            min_p,
            ..base
        }
    }
}

/// The settings a new thread with this model starts from: the family's sampling, the other
/// fields at their defaults.
pub fn defaults_for(architecture: &str, name: &str) -> ThreadSettings {
    SamplingFamily::detect(architecture, name).apply(ThreadSettings::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sampling(s: &ThreadSettings) -> (f32, f32, usize, f32) {
        (s.temperature, s.top_p, s.top_k, s.min_p)
    }

    #[test]
    fn each_family_has_its_model_card_values() {
        assert_eq!(
            sampling(&defaults_for("qwen3", "Qwen3-0.6B")),
            (0.6, 0.95, 20, 0.0)
        );
        assert_eq!(
            sampling(&defaults_for("qwen3", "Qwen3-4B-Instruct-2507-Q4_K_M")),
            (0.7, 0.8, 20, 0.0)
        );
        assert_eq!(
            sampling(&defaults_for("qwen2", "Qwen2.5-1.5B-Instruct")),
            (0.7, 0.8, 20, 0.0)
        );
        assert_eq!(
            sampling(&defaults_for("llama", "Llama-3.2-1B-Instruct-Q8_0")),
            (0.6, 0.9, 0, 0.0)
        );
        assert_eq!(
            sampling(&defaults_for("gemma3", "gemma-3-270m-q4_k_m")),
            (1.0, 0.95, 64, 0.0)
        );
        assert_eq!(
            sampling(&defaults_for("gemma3_text", "anything")),
            (1.0, 0.95, 64, 0.0)
        );
    }

    #[test]
    fn other_models_get_the_generic_setting() {
        // SmolLM2 runs on the Llama architecture but is not Llama 3.
        let s = defaults_for("llama", "SmolLM2-135M-Instruct");
        assert_eq!(
            SamplingFamily::detect("llama", "SmolLM2-135M-Instruct"),
            SamplingFamily::Generic
        );
        assert_eq!(sampling(&s), (0.7, 0.9, 40, 0.05));
        assert_eq!(s.max_tokens, ThreadSettings::default().max_tokens);
        assert_eq!(s.system_prompt, None);
    }

    #[test]
    fn applying_a_family_keeps_the_other_fields() {
        let base = ThreadSettings {
            system_prompt: Some("Be brief.".into()),
            max_tokens: 77,
            seed: Some(3),
            ..ThreadSettings::default()
        };
        let s = SamplingFamily::Gemma3.apply(base);
        assert_eq!(s.system_prompt.as_deref(), Some("Be brief."));
        assert_eq!((s.max_tokens, s.seed), (77, Some(3)));
    }
}
