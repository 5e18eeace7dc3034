//! Helpers shared by the training tests: tiny models, hand-made packed sequences.
#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;

use candle_core::{DType, Device};
use loris_datasets::PackedSequence;
use loris_testkit::tiny_models::{Arch, TinyModel, TinyModelSpec, write_tiny_model};
use loris_train::{LoraConfig, Method, ReferenceOps, TrainModel, load_base};

/// Writes a tiny model, or `None` (with a note) when the tokenizer fixtures are missing.
pub fn tiny(arch: Arch, dir: &Path) -> Option<TinyModel> {
    match write_tiny_model(&TinyModelSpec::new(arch), dir) {
        Ok(m) => Some(m),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("SKIPPED: {e}");
            None
        }
        Err(e) => panic!("{e}"),
    }
}

pub fn model(dir: &Path, method: &Method, dtype: DType, seed: u64) -> TrainModel {
    let base = load_base(dir, &Device::Cpu, dtype).unwrap();
    TrainModel::new(base, method, seed, Arc::new(ReferenceOps), dtype).unwrap()
}

pub fn lora(rank: usize) -> Method {
    Method::Lora(LoraConfig {
        rank,
        alpha: 2.0 * rank as f64,
        ..LoraConfig::default()
    })
}

/// One sample filling a sequence: every position trained on the next token.
pub fn sequence(tokens: &[u32]) -> PackedSequence {
    packed(&[tokens], tokens.len())
}

/// Samples packed into one sequence of `len` (padded with id 0), every token trained.
pub fn packed(samples: &[&[u32]], len: usize) -> PackedSequence {
    let mut s = PackedSequence {
        input_ids: Vec::new(),
        labels: Vec::new(),
        position_ids: Vec::new(),
        segment_ids: Vec::new(),
    };
    for (k, sample) in samples.iter().enumerate() {
        for (i, t) in sample.iter().enumerate() {
            s.input_ids.push(*t);
            s.labels
                .push(sample.get(i + 1).map_or(-100, |n| i64::from(*n)));
            s.position_ids.push(i as u32);
            s.segment_ids.push(k as u32);
        }
    }
    while s.input_ids.len() < len {
        s.input_ids.push(0);
        s.labels.push(-100);
        s.position_ids.push(0);
        s.segment_ids.push(u32::MAX);
    }
    s
}
