//! Samples into fixed-length training sequences.
//!
//! With packing, short samples share a sequence: greedy first-fit (each sample, in order, goes
//! into the first sequence with room, found in O(log n) with a max-tree over the remaining
//! room), every sequence exactly `seq_len` long with the tail padded. `segment_ids` tell the
//! trainer which sample each position belongs to, so it masks attention across samples, and
//! `position_ids` restart at 0 per sample.
//!
//! Without packing, each sample is its own sequence, padded to `seq_len` as well, so every
//! sequence has the same shape; [`trim_batch_padding`] cuts a batch down to its longest sample
//! when a trainer prefers less padding.
//!
//! Labels are already shifted: `labels[i]` is the target predicted at position `i`, i.e.
//! `input_ids[i + 1]` when that token is trainable and in the same sample, else
//! [`IGNORE_INDEX`]. A sample's last position and all padding are [`IGNORE_INDEX`].

use serde::{Deserialize, Serialize};

use crate::encode::TokenizedSample;

/// The label of a position that is not trained (PyTorch's `ignore_index`).
pub const IGNORE_INDEX: i64 = -100;

/// The segment id of padding.
pub const PAD_SEGMENT: u32 = u32::MAX;

/// One training sequence; all four vectors have the same length.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PackedSequence {
    pub input_ids: Vec<u32>,
    /// Shifted targets: `labels[i]` is the id to predict at position `i`, or [`IGNORE_INDEX`].
    pub labels: Vec<i64>,
    /// Position within the sample, from 0; 0 for padding.
    pub position_ids: Vec<u32>,
    /// The sample's index within this sequence; [`PAD_SEGMENT`] for padding.
    pub segment_ids: Vec<u32>,
}

impl PackedSequence {
    pub fn len(&self) -> usize {
        self.input_ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.input_ids.is_empty()
    }

    /// Positions with a target.
    pub fn trained_tokens(&self) -> usize {
        self.labels.iter().filter(|l| **l != IGNORE_INDEX).count()
    }

    /// Positions holding sample tokens, not padding.
    pub fn real_tokens(&self) -> usize {
        self.segment_ids
            .iter()
            .filter(|s| **s != PAD_SEGMENT)
            .count()
    }

    /// Length without the trailing padding.
    pub fn unpadded_len(&self) -> usize {
        self.segment_ids
            .iter()
            .rposition(|s| *s != PAD_SEGMENT)
            .map_or(0, |i| i + 1)
    }

    /// Number of samples in the sequence.
    pub fn segments(&self) -> usize {
        self.segment_ids
            .iter()
            .filter(|s| **s != PAD_SEGMENT)
            .max()
            .map_or(0, |m| *m as usize + 1)
    }

    fn with_capacity(n: usize) -> Self {
        PackedSequence {
            input_ids: Vec::with_capacity(n),
            labels: Vec::with_capacity(n),
            position_ids: Vec::with_capacity(n),
            segment_ids: Vec::with_capacity(n),
        }
    }

    fn push_sample(&mut self, sample: &TokenizedSample, segment: u32) {
        let n = sample.input_ids.len();
        for j in 0..n {
            self.input_ids.push(sample.input_ids[j]);
            let label = match (sample.input_ids.get(j + 1), sample.trainable.get(j + 1)) {
                (Some(next), Some(true)) => i64::from(*next),
                _ => IGNORE_INDEX,
            };
            self.labels.push(label);
            self.position_ids.push(j as u32);
            self.segment_ids.push(segment);
        }
    }

    fn pad_to(&mut self, len: usize, pad_id: u32) {
        while self.input_ids.len() < len {
            self.input_ids.push(pad_id);
            self.labels.push(IGNORE_INDEX);
            self.position_ids.push(0);
            self.segment_ids.push(PAD_SEGMENT);
        }
    }
}

/// Packs `samples` (each at most `seq_len` tokens: longer ones are cut, which `prepare` never
/// lets happen) into sequences of exactly `seq_len` tokens, greedy first-fit in the given order.
pub fn pack(samples: &[TokenizedSample], seq_len: usize, pad_id: u32) -> Vec<PackedSequence> {
    let mut bins: Vec<Vec<usize>> = Vec::new();
    let mut room = MaxTree::new(samples.len(), seq_len);
    for (i, sample) in samples.iter().enumerate() {
        let need = sample.len().clamp(1, seq_len.max(1));
        let Some(bin) = room.leftmost_at_least(need) else {
            continue;
        };
        if bin == bins.len() {
            bins.push(Vec::new());
        }
        bins[bin].push(i);
        room.set(bin, room.get(bin) - need);
    }
    bins.iter()
        .map(|members| {
            let mut seq = PackedSequence::with_capacity(seq_len);
            for (segment, &i) in members.iter().enumerate() {
                seq.push_sample(&cut(&samples[i], seq_len), segment as u32);
            }
            seq.pad_to(seq_len, pad_id);
            seq
        })
        .collect()
}

/// One sample per sequence, each padded to `seq_len`.
pub fn one_per_sequence(
    samples: &[TokenizedSample],
    seq_len: usize,
    pad_id: u32,
) -> Vec<PackedSequence> {
    samples
        .iter()
        .map(|sample| {
            let mut seq = PackedSequence::with_capacity(seq_len);
            seq.push_sample(&cut(sample, seq_len), 0);
            seq.pad_to(seq_len, pad_id);
            seq
        })
        .collect()
}

/// Cuts the common trailing padding of a batch, leaving every sequence as long as the batch's
/// longest sample.
pub fn trim_batch_padding(batch: &mut [PackedSequence]) {
    let keep = batch
        .iter()
        .map(PackedSequence::unpadded_len)
        .max()
        .unwrap_or(0);
    for seq in batch {
        seq.input_ids.truncate(keep);
        seq.labels.truncate(keep);
        seq.position_ids.truncate(keep);
        seq.segment_ids.truncate(keep);
    }
}

fn cut(sample: &TokenizedSample, seq_len: usize) -> std::borrow::Cow<'_, TokenizedSample> {
    if sample.len() <= seq_len {
        std::borrow::Cow::Borrowed(sample)
    } else {
        std::borrow::Cow::Owned(TokenizedSample {
            input_ids: sample.input_ids[..seq_len].to_vec(),
            trainable: sample.trainable[..seq_len].to_vec(),
        })
    }
}

/// The room left in each sequence, in a max segment tree, so that first-fit finds the leftmost
/// sequence with enough room in O(log n). Sequences not yet opened have the full room, so the
/// search opens a new one exactly when no open one fits.
struct MaxTree {
    leaves: usize,
    tree: Vec<usize>,
}

impl MaxTree {
    fn new(n: usize, capacity: usize) -> Self {
        let leaves = n.max(1).next_power_of_two();
        MaxTree {
            leaves,
            tree: vec![capacity; 2 * leaves],
        }
    }

    fn get(&self, leaf: usize) -> usize {
        self.tree[self.leaves + leaf]
    }

    fn set(&mut self, leaf: usize, value: usize) {
        let mut node = self.leaves + leaf;
        self.tree[node] = value;
        while node > 1 {
            node /= 2;
            self.tree[node] = self.tree[2 * node].max(self.tree[2 * node + 1]);
        }
    }

    fn leftmost_at_least(&self, need: usize) -> Option<usize> {
        if self.tree[1] < need {
            return None;
        }
        let mut node = 1;
        while node < self.leaves {
            node = if self.tree[2 * node] >= need {
                2 * node
            } else {
                2 * node + 1
            };
        }
        Some(node - self.leaves)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(ids: &[u32], trainable: &[bool]) -> TokenizedSample {
        TokenizedSample {
            input_ids: ids.to_vec(),
            trainable: trainable.to_vec(),
        }
    }

    #[test]
    fn first_fit_fills_earlier_sequences_first() {
        let samples = [
            sample(&[1; 6], &[true; 6]),
            sample(&[2; 5], &[true; 5]),
            sample(&[3; 4], &[true; 4]),
            sample(&[4; 2], &[true; 2]),
        ];
        let seqs = pack(&samples, 10, 0);
        // 6 -> seq 0 (room 4); 5 -> seq 1 (room 5); 4 -> seq 0 (room 0); 2 -> seq 1.
        assert_eq!(seqs.len(), 2);
        assert_eq!(seqs[0].input_ids, [1, 1, 1, 1, 1, 1, 3, 3, 3, 3]);
        assert_eq!(seqs[1].input_ids, [2, 2, 2, 2, 2, 4, 4, 0, 0, 0]);
        assert_eq!(
            seqs[1].segment_ids,
            [0, 0, 0, 0, 0, 1, 1, PAD_SEGMENT, PAD_SEGMENT, PAD_SEGMENT]
        );
        assert_eq!(seqs[1].position_ids, [0, 1, 2, 3, 4, 0, 1, 0, 0, 0]);
        assert_eq!(seqs[1].segments(), 2);
        assert_eq!(seqs[1].unpadded_len(), 7);
    }

    #[test]
    fn labels_are_shifted_and_stop_at_boundaries() {
        let samples = [
            sample(&[10, 11, 12, 13], &[false, false, true, true]),
            sample(&[20, 21, 22], &[false, true, false]),
        ];
        let seq = &pack(&samples, 9, 99)[0];
        assert_eq!(seq.input_ids, [10, 11, 12, 13, 20, 21, 22, 99, 99]);
        assert_eq!(seq.labels, [-100, 12, 13, -100, 21, -100, -100, -100, -100]);
        assert_eq!(seq.trained_tokens(), 3);
        assert_eq!(seq.real_tokens(), 7);
    }

    #[test]
    fn without_packing_each_sample_is_padded_alone_and_batches_trim() {
        let samples = [sample(&[1, 2, 3], &[true; 3]), sample(&[4, 5], &[true; 2])];
        let mut seqs = one_per_sequence(&samples, 8, 0);
        assert_eq!(seqs.len(), 2);
        assert!(seqs.iter().all(|s| s.len() == 8));
        assert_eq!(
            seqs[1].labels,
            [5, -100, -100, -100, -100, -100, -100, -100]
        );
        trim_batch_padding(&mut seqs);
        assert_eq!(seqs[0].input_ids, [1, 2, 3]);
        assert_eq!(seqs[1].input_ids, [4, 5, 0]);
        assert_eq!(seqs[1].segment_ids, [0, 0, PAD_SEGMENT]);
    }

    #[test]
    fn an_exact_fit_and_an_empty_input() {
        let seqs = pack(&[sample(&[1, 2, 3, 4], &[true; 4])], 4, 0);
        assert_eq!(seqs.len(), 1);
        assert_eq!(seqs[0].labels, [2, 3, 4, -100]);
        assert!(pack(&[], 4, 0).is_empty());
    }
}
