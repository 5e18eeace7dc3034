//! A micro-batch on the device: token ids, shifted labels, and the per-sequence RoPE angles and
//! attention masks that keep packed samples from seeing each other.

use std::collections::HashMap;

use candle_core::{DType, Device, Tensor};
use loris_datasets::PackedSequence;

use crate::error::{Result, TrainError};
use crate::lora::DropoutSeed;
use crate::model::StepContext;
use crate::spec::ArchSpec;

pub struct Batch {
    /// `[batch, seq]` u32
    pub input_ids: Tensor,
    /// `[batch * seq]` i64, `-100` where nothing is trained.
    pub labels: Tensor,
    /// Labels that count (not `-100`).
    pub trained_tokens: usize,
    /// Every position, padding included.
    pub tokens: usize,
    positions: Vec<u32>,
    segments: Vec<u32>,
    batch: usize,
    seq: usize,
}

impl Batch {
    /// Sequences of one length (the dataset packs or pads them so).
    pub fn new(sequences: &[&PackedSequence], device: &Device) -> Result<Self> {
        let batch = sequences.len();
        let seq = sequences.first().map_or(0, |s| s.input_ids.len());
        if batch == 0 || seq == 0 {
            return Err(TrainError::InvalidConfig("an empty batch".into()));
        }
        let mut ids = Vec::with_capacity(batch * seq);
        let mut labels = Vec::with_capacity(batch * seq);
        let mut positions = Vec::with_capacity(batch * seq);
        let mut segments = Vec::with_capacity(batch * seq);
        for s in sequences {
            if s.input_ids.len() != seq
                || s.labels.len() != seq
                || s.position_ids.len() != seq
                || s.segment_ids.len() != seq
            {
                return Err(TrainError::InvalidConfig(format!(
                    "sequences of a batch differ in length ({} and {seq})",
                    s.input_ids.len()
                )));
            }
            ids.extend_from_slice(&s.input_ids);
            labels.extend_from_slice(&s.labels);
            positions.extend_from_slice(&s.position_ids);
            segments.extend_from_slice(&s.segment_ids);
        }
        let trained_tokens = labels.iter().filter(|l| **l >= 0).count();
        Ok(Batch {
            input_ids: Tensor::from_vec(ids, (batch, seq), device)?,
            labels: Tensor::from_vec(labels, batch * seq, device)?,
            trained_tokens,
            tokens: batch * seq,
            positions,
            segments,
            batch,
            seq,
        })
    }

    /// RoPE angles and masks for this batch's positions and segments.
    pub fn context(
        &self,
        spec: &ArchSpec,
        dtype: DType,
        dropout: DropoutSeed,
    ) -> Result<StepContext> {
        let device = self.input_ids.device();
        let (cos, sin) = self.angles(&spec.inv_freq, device)?;
        let local = match &spec.local_inv_freq {
            Some(f) => Some(self.angles(f, device)?),
            None => None,
        };
        let mut window_masks = HashMap::new();
        for w in spec.windows.iter().flatten() {
            if !window_masks.contains_key(w) {
                window_masks.insert(*w, self.mask(Some(*w), dtype, device)?);
            }
        }
        Ok(StepContext {
            cos,
            sin,
            local,
            full_mask: self.mask(None, dtype, device)?,
            window_masks,
            dropout,
        })
    }

    /// cos and sin `[batch, 1, seq, half]`.
    fn angles(&self, inv_freq: &[f32], device: &Device) -> Result<(Tensor, Tensor)> {
        let half = inv_freq.len();
        let mut angles = Vec::with_capacity(self.positions.len() * half);
        for p in &self.positions {
            angles.extend(
                inv_freq
                    .iter()
                    .map(|f| (f64::from(*p) * f64::from(*f)) as f32),
            );
        }
        let a = Tensor::from_vec(angles, (self.batch, 1, self.seq, half), device)?;
        Ok((a.cos()?, a.sin()?))
    }

    /// Additive mask `[batch, 1, seq, seq]`: a position sees earlier positions of its own
    /// sample (within `window` positions when sliding); padding sees only itself, so that no
    /// softmax row is empty.
    fn mask(&self, window: Option<usize>, dtype: DType, device: &Device) -> Result<Tensor> {
        let (b, t) = (self.batch, self.seq);
        let mut m = vec![f32::NEG_INFINITY; b * t * t];
        for s in 0..b {
            for i in 0..t {
                let si = self.segments[s * t + i];
                let pi = self.positions[s * t + i] as usize;
                let row = &mut m[(s * t + i) * t..(s * t + i + 1) * t];
                if si == u32::MAX {
                    row[i] = 0.0;
                    continue;
                }
                for (j, cell) in row.iter_mut().enumerate().take(i + 1) {
                    if self.segments[s * t + j] != si {
                        continue;
                    }
                    let pj = self.positions[s * t + j] as usize;
                    if window.is_some_and(|w| pi - pj >= w) {
                        continue;
                    }
                    *cell = 0.0;
                }
            }
        }
        Ok(Tensor::from_vec(m, (b, 1, t, t), device)?.to_dtype(dtype)?)
    }
}
