//! Seed datasets for recipes: load the source, take the selected rows, then put them in the
//! configured order. Selecting first means a partition names the same rows whatever the
//! sampling strategy, so parallel workers with disjoint partitions never share a row.

mod config;
mod shuffle;

use std::ops::Range;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::Row;
use crate::document::{read_document_text, split_into_chunks};
use crate::error::{Result, TabularError};
use crate::read::read_rows;
use crate::write::schema::column_union;

pub use config::{SamplingStrategy, SeedConfig, SeedSource, SelectionStrategy};

/// The column unstructured sources put each chunk in.
pub const CHUNK_TEXT_COLUMN: &str = "chunk_text";

/// Seed rows ready for generation. Never empty, so [`SeedTable::row`] always has a row to give.
#[derive(Debug, Clone, PartialEq)]
pub struct SeedTable {
    /// Column names in order of first appearance in the source file.
    pub columns: Vec<String>,
    rows: Vec<Row>,
}

impl SeedTable {
    /// A table from rows already in memory; `None` when there are no rows.
    pub fn from_rows(columns: Vec<String>, rows: Vec<Row>) -> Option<SeedTable> {
        (!rows.is_empty()).then_some(SeedTable { columns, rows })
    }

    /// Row `i`, wrapping around: generation may ask for more records than the seed has.
    pub fn row(&self, i: usize) -> &Row {
        &self.rows[i % self.rows.len()]
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Always false; present because a table with a length should say whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn rows(&self) -> &[Row] {
        &self.rows
    }
}

/// Loads the seed `config` describes. A relative source path is taken from `base_dir`. `seed`
/// fixes the order of a `shuffle` sampling strategy; `ordered` ignores it.
pub fn load_seed(config: &SeedConfig, base_dir: &Path, seed: u64) -> Result<SeedTable> {
    let path = resolve(base_dir, config.source.path());
    let (columns, mut rows) = match &config.source {
        SeedSource::Local { .. } => {
            let rows = read_rows(&path)?;
            (column_union(&rows), rows)
        }
        SeedSource::Unstructured {
            chunk_size,
            chunk_overlap,
            ..
        } => {
            let text = read_document_text(&path)?;
            let rows = split_into_chunks(&text, *chunk_size, *chunk_overlap)
                .into_iter()
                .map(|chunk| {
                    let mut row = Row::new();
                    row.insert(CHUNK_TEXT_COLUMN.to_owned(), Value::String(chunk));
                    row
                })
                .collect::<Vec<_>>();
            if rows.is_empty() {
                return Err(TabularError::empty_seed(&path, "the document has no text"));
            }
            (vec![CHUNK_TEXT_COLUMN.to_owned()], rows)
        }
    };
    if rows.is_empty() {
        return Err(TabularError::empty_seed(&path, "the seed file has no rows"));
    }

    let total = rows.len();
    let range = selected_range(total, config.selection_strategy);
    if range.is_empty() {
        return Err(TabularError::empty_seed(
            &path,
            format!(
                "the selection {} takes no rows from the {total} rows of the seed",
                describe(config.selection_strategy)
            ),
        ));
    }
    rows.truncate(range.end);
    rows.drain(..range.start);

    if config.sampling_strategy == SamplingStrategy::Shuffle {
        shuffle::shuffle(&mut rows, seed);
    }
    Ok(SeedTable { columns, rows })
}

fn resolve(base_dir: &Path, path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_owned()
    } else {
        base_dir.join(path)
    }
}

/// The rows a selection takes from `len` rows. An index range past the end is cut at the end;
/// partition `i` of `k` is `[i*len/k, (i+1)*len/k)`, so block sizes differ by at most one.
fn selected_range(len: usize, selection: Option<SelectionStrategy>) -> Range<usize> {
    let to_index = |v: u64| usize::try_from(v).unwrap_or(usize::MAX).min(len);
    match selection {
        None => 0..len,
        Some(SelectionStrategy::IndexRange { start, end }) => {
            let start = to_index(start);
            let end = end.map_or(len, |end| to_index(end.saturating_add(1)));
            start..end.max(start)
        }
        Some(SelectionStrategy::PartitionBlock {
            index,
            num_partitions,
        }) => {
            let bound = |i: u64| {
                let at = u128::from(i) * len as u128 / u128::from(num_partitions.max(1));
                usize::try_from(at).unwrap_or(len).min(len)
            };
            let start = bound(index);
            start..bound(index.saturating_add(1)).max(start)
        }
    }
}

fn describe(selection: Option<SelectionStrategy>) -> String {
    match selection {
        None => "of all rows".to_owned(),
        Some(SelectionStrategy::IndexRange { start, end: None }) => format!("from row {start}"),
        Some(SelectionStrategy::IndexRange {
            start,
            end: Some(end),
        }) => format!("of rows {start}..={end}"),
        Some(SelectionStrategy::PartitionBlock {
            index,
            num_partitions,
        }) => format!("of partition {index} of {num_partitions}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn partition(index: u64, num_partitions: u64) -> Option<SelectionStrategy> {
        Some(SelectionStrategy::PartitionBlock {
            index,
            num_partitions,
        })
    }

    #[test]
    fn index_ranges_are_inclusive_and_cut_at_the_end() {
        let range = |start, end| Some(SelectionStrategy::IndexRange { start, end });
        assert_eq!(selected_range(10, range(2, Some(4))), 2..5);
        assert_eq!(selected_range(10, range(0, Some(0))), 0..1);
        assert_eq!(selected_range(10, range(8, Some(99))), 8..10);
        assert_eq!(selected_range(10, range(3, None)), 3..10);
        assert!(selected_range(10, range(10, Some(12))).is_empty());
        assert_eq!(selected_range(10, range(0, Some(u64::MAX))), 0..10);
        assert_eq!(selected_range(10, None), 0..10);
    }

    #[test]
    fn partitions_cover_every_row_once_with_near_equal_sizes() {
        for len in [0usize, 1, 7, 10, 101] {
            for k in [1u64, 2, 3, 4, 7] {
                let blocks: Vec<Range<usize>> = (0..k)
                    .map(|i| selected_range(len, partition(i, k)))
                    .collect();
                assert_eq!(blocks.first().map(|b| b.start), Some(0));
                assert_eq!(blocks.last().map(|b| b.end), Some(len));
                for pair in blocks.windows(2) {
                    assert_eq!(pair[0].end, pair[1].start);
                }
                let sizes: Vec<usize> = blocks.iter().map(|b| b.len()).collect();
                let (min, max) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
                assert!(max - min <= 1, "len {len}, k {k}: {sizes:?}");
            }
        }
        assert_eq!(selected_range(10, partition(1, 4)), 2..5);
    }

    #[test]
    fn a_table_cycles_through_its_rows() {
        let rows: Vec<Row> = (0..3)
            .map(|i| {
                let mut row = Row::new();
                row.insert("i".into(), Value::from(i));
                row
            })
            .collect();
        let table = SeedTable::from_rows(vec!["i".into()], rows).unwrap();
        assert_eq!(table.len(), 3);
        assert!(!table.is_empty());
        assert_eq!(table.row(4)["i"], 1);
        assert_eq!(table.row(usize::MAX)["i"], Value::from(usize::MAX % 3));
        assert!(SeedTable::from_rows(vec![], vec![]).is_none());
    }
}
