//! A model config's `inference_parameters`, as Data Designer writes them: numbers, or a
//! distribution (`uniform`, `manual`) sampled once per call so that a column gets varied text.

use serde_json::{Map, Value};

use crate::error::ValidationError;
use crate::samplers::Rng;

/// How many requests one model serves at once when the config does not say.
pub const DEFAULT_MAX_PARALLEL_REQUESTS: usize = 4;
/// The most a config may ask for: more would only queue inside the server.
pub const MAX_PARALLEL_REQUESTS: usize = 64;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct InferenceParams {
    pub temperature: Option<Number>,
    pub top_p: Option<Number>,
    pub max_tokens: Option<u32>,
    pub max_parallel_requests: Option<usize>,
    /// Seconds one request may take.
    pub timeout: Option<f64>,
    /// Extra fields sent with every request to an HTTP endpoint.
    pub extra_body: Map<String, Value>,
}

/// A fixed value or a distribution sampled per call.
#[derive(Debug, Clone, PartialEq)]
pub enum Number {
    Fixed(f64),
    Uniform {
        low: f64,
        high: f64,
    },
    Manual {
        values: Vec<f64>,
        weights: Option<Vec<f64>>,
    },
}

impl Number {
    pub fn sample(&self, rng: &mut Rng) -> f64 {
        match self {
            Number::Fixed(v) => *v,
            Number::Uniform { low, high } => low + rng.next_f64() * (high - low),
            Number::Manual { values, weights } => {
                let i = match weights {
                    Some(w) => rng.weighted(w),
                    None => rng.below(values.len() as u64) as usize,
                };
                values[i.min(values.len() - 1)]
            }
        }
    }
}

impl InferenceParams {
    /// Reads `inference_parameters`; `path` is its place in the document, for errors.
    pub fn parse(value: Option<&Value>, path: &str) -> Result<Self, Vec<ValidationError>> {
        let mut out = InferenceParams::default();
        let Some(value) = value else {
            return Ok(out);
        };
        let Some(obj) = value.as_object() else {
            return Err(vec![invalid(path, "expected an object")]);
        };
        let mut errors = Vec::new();
        for (key, v) in obj {
            let at = format!("{path}.{key}");
            match key.as_str() {
                "temperature" => match number(v, &at, 0.0, 2.0) {
                    Ok(n) => out.temperature = Some(n),
                    Err(e) => errors.push(e),
                },
                "top_p" => match number(v, &at, 0.0, 1.0) {
                    Ok(n) => out.top_p = Some(n),
                    Err(e) => errors.push(e),
                },
                "max_tokens" => match v.as_u64().filter(|n| (1..=1_000_000).contains(n)) {
                    Some(n) => out.max_tokens = Some(n as u32),
                    None => errors.push(invalid(&at, "expected a whole number from 1")),
                },
                "max_parallel_requests" => {
                    match v
                        .as_u64()
                        .filter(|n| (1..=MAX_PARALLEL_REQUESTS as u64).contains(n))
                    {
                        Some(n) => out.max_parallel_requests = Some(n as usize),
                        None => errors.push(invalid(
                            &at,
                            &format!("expected a whole number from 1 to {MAX_PARALLEL_REQUESTS}"),
                        )),
                    }
                }
                "timeout" => match v.as_f64().filter(|t| *t > 0.0 && t.is_finite()) {
                    Some(t) => out.timeout = Some(t),
                    None => errors.push(invalid(&at, "expected a positive number of seconds")),
                },
                "extra_body" => match v.as_object() {
                    Some(m) => out.extra_body = m.clone(),
                    None => errors.push(invalid(&at, "expected an object")),
                },
                // Other keys (e.g. `generation_type`) are kept in the document and not used.
                _ => {}
            }
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors)
        }
    }
}

fn invalid(path: &str, reason: &str) -> ValidationError {
    ValidationError::InvalidParams {
        path: path.to_string(),
        reason: reason.to_string(),
    }
}

fn number(value: &Value, path: &str, min: f64, max: f64) -> Result<Number, ValidationError> {
    let in_range = |x: f64| x.is_finite() && (min..=max).contains(&x);
    let range_reason = format!("expected a number from {min} to {max}, or a distribution");
    if let Some(x) = value.as_f64() {
        return if in_range(x) {
            Ok(Number::Fixed(x))
        } else {
            Err(invalid(path, &range_reason))
        };
    }
    let Some(obj) = value.as_object() else {
        return Err(invalid(path, &range_reason));
    };
    let kind = obj.get("distribution_type").and_then(Value::as_str);
    let params = obj.get("params").and_then(Value::as_object);
    let field = |name: &str| params.and_then(|p| p.get(name));
    match kind {
        Some("uniform") => {
            let low = field("low").and_then(Value::as_f64);
            let high = field("high").and_then(Value::as_f64);
            match (low, high) {
                (Some(low), Some(high)) if in_range(low) && in_range(high) && low <= high => {
                    Ok(Number::Uniform { low, high })
                }
                _ => Err(invalid(
                    &format!("{path}.params"),
                    &format!("a uniform distribution needs low <= high, both from {min} to {max}"),
                )),
            }
        }
        Some("manual") => {
            let values: Option<Vec<f64>> = field("values")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_f64).collect());
            let weights: Option<Vec<f64>> = field("weights")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_f64).collect());
            match values {
                Some(values)
                    if !values.is_empty()
                        && values.iter().all(|v| in_range(*v))
                        && weights.as_ref().is_none_or(|w| {
                            w.len() == values.len()
                                && w.iter().all(|x| *x >= 0.0 && x.is_finite())
                                && w.iter().sum::<f64>() > 0.0
                        }) =>
                {
                    Ok(Number::Manual { values, weights })
                }
                _ => Err(invalid(
                    &format!("{path}.params"),
                    "a manual distribution needs values in range and, if given, one weight per value",
                )),
            }
        }
        _ => Err(invalid(path, &range_reason)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_and_distributions() {
        let p = InferenceParams::parse(
            Some(&json!({"temperature": {"distribution_type": "uniform",
                                         "params": {"low": 0.5, "high": 0.9}},
                         "top_p": 0.95, "max_tokens": 256, "max_parallel_requests": 2,
                         "generation_type": "chat-completion"})),
            "m",
        )
        .unwrap();
        assert_eq!(p.top_p, Some(Number::Fixed(0.95)));
        assert_eq!(p.max_tokens, Some(256));
        assert_eq!(p.max_parallel_requests, Some(2));
        let mut rng = Rng::new(3);
        let t = p.temperature.unwrap().sample(&mut rng);
        assert!((0.5..=0.9).contains(&t));
    }

    #[test]
    fn bad_values_name_their_path() {
        let errors = InferenceParams::parse(
            Some(&json!({"temperature": 7, "max_parallel_requests": 0,
                         "top_p": {"distribution_type": "manual", "params": {"values": []}}})),
            "recipe.model_configs[0].inference_parameters",
        )
        .unwrap_err();
        let paths: Vec<&str> = errors.iter().map(|e| e.path()).collect();
        assert!(paths.contains(&"recipe.model_configs[0].inference_parameters.temperature"));
        assert!(
            paths.contains(&"recipe.model_configs[0].inference_parameters.max_parallel_requests")
        );
        assert!(paths.contains(&"recipe.model_configs[0].inference_parameters.top_p.params"));
    }
}
