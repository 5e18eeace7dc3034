//! Learning-rate schedules with linear warmup, as transformers' `get_*_schedule_with_warmup`.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Schedule {
    Constant,
    #[default]
    Linear,
    Cosine,
}

/// Learning rate for update `step` (0-based) of `total`.
pub fn learning_rate(
    schedule: Schedule,
    peak: f64,
    step: usize,
    warmup: usize,
    total: usize,
) -> f64 {
    if step < warmup {
        return peak * (step + 1) as f64 / warmup as f64;
    }
    let decay_steps = total.saturating_sub(warmup).max(1) as f64;
    let progress = ((step - warmup) as f64 / decay_steps).min(1.0);
    match schedule {
        Schedule::Constant => peak,
        Schedule::Linear => peak * (1.0 - progress),
        Schedule::Cosine => peak * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warmup_then_decay() {
        assert!((learning_rate(Schedule::Linear, 1.0, 0, 4, 12) - 0.25).abs() < 1e-12);
        assert!((learning_rate(Schedule::Linear, 1.0, 3, 4, 12) - 1.0).abs() < 1e-12);
        assert!((learning_rate(Schedule::Linear, 1.0, 8, 4, 12) - 0.5).abs() < 1e-12);
        assert!((learning_rate(Schedule::Cosine, 1.0, 8, 4, 12) - 0.5).abs() < 1e-12);
        assert!((learning_rate(Schedule::Cosine, 1.0, 4, 4, 12) - 1.0).abs() < 1e-12);
        assert_eq!(learning_rate(Schedule::Constant, 2.0, 11, 0, 12), 2.0);
    }
}
