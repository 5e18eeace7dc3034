//! The `seed_config` object of a recipe, in the shape Data Designer and Unsloth Studio use:
//!
//! ```json
//! {"source": {"seed_type": "local", "path": "data/seed.jsonl"},
//!  "sampling_strategy": "ordered",
//!  "selection_strategy": {"start": 0, "end": 99}}
//! ```
//!
//! Parsed by hand rather than derived, so every error names the JSON field it is about
//! (`seed_config.selection_strategy.end`) and says what was wrong with the value.

use std::path::PathBuf;

use serde_json::{Map, Value};

use crate::document::{DEFAULT_CHUNK_OVERLAP, DEFAULT_CHUNK_SIZE, MAX_CHUNK_SIZE};
use crate::error::{Result, TabularError};
use crate::read::value_kind;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedConfig {
    pub source: SeedSource,
    pub sampling_strategy: SamplingStrategy,
    /// `None` takes every row.
    pub selection_strategy: Option<SelectionStrategy>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SeedSource {
    /// A CSV, JSON, JSONL or Parquet file of rows.
    Local { path: PathBuf },
    /// A text, Markdown or PDF document split into `chunk_text` rows. Sizes are already
    /// clamped: `chunk_size` to `1..=20000`, `chunk_overlap` below `chunk_size`.
    Unstructured {
        path: PathBuf,
        chunk_size: usize,
        chunk_overlap: usize,
    },
}

impl SeedSource {
    pub fn path(&self) -> &std::path::Path {
        match self {
            SeedSource::Local { path } | SeedSource::Unstructured { path, .. } => path,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SamplingStrategy {
    /// Rows in file order.
    #[default]
    Ordered,
    /// Rows in a permutation fixed by the run's seed.
    Shuffle,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelectionStrategy {
    /// Rows `start..=end` (0-based, `end` inclusive as in Data Designer's `IndexRange`); no
    /// `end` runs to the last row. An `end` past the data stops at the last row.
    IndexRange { start: u64, end: Option<u64> },
    /// The `index`-th (0-based) of `num_partitions` contiguous blocks whose sizes differ by at
    /// most one row.
    PartitionBlock { index: u64, num_partitions: u64 },
}

impl SeedConfig {
    pub fn from_json(value: &Value) -> Result<SeedConfig> {
        let root = object(value, "seed_config")?;
        let source = parse_source(root.get("source"))?;
        let sampling_strategy = parse_sampling(root.get("sampling_strategy"))?;
        let selection_strategy = parse_selection(root.get("selection_strategy"))?;
        Ok(SeedConfig {
            source,
            sampling_strategy,
            selection_strategy,
        })
    }
}

fn parse_source(value: Option<&Value>) -> Result<SeedSource> {
    const FIELD: &str = "seed_config.source";
    let source = match value {
        Some(v) => object(v, FIELD)?,
        None => return Err(TabularError::bad_config(FIELD, "is required")),
    };
    let path = match source.get("path") {
        Some(Value::String(p)) if !p.trim().is_empty() => PathBuf::from(p.trim()),
        Some(Value::String(_)) => {
            return Err(TabularError::bad_config(
                "seed_config.source.path",
                "is empty",
            ));
        }
        Some(other) => {
            return Err(TabularError::bad_config(
                "seed_config.source.path",
                format!("expected a string, found {}", value_kind(other)),
            ));
        }
        None => {
            return Err(TabularError::bad_config(
                "seed_config.source.path",
                "is required",
            ));
        }
    };
    // A source without a type is a local file, the only kind a bare path can mean.
    let seed_type = optional_string(source.get("seed_type"), "seed_config.source.seed_type")?
        .unwrap_or_else(|| "local".to_owned());
    match seed_type.to_ascii_lowercase().as_str() {
        "local" => Ok(SeedSource::Local { path }),
        "unstructured" => {
            let size = optional_integer(source.get("chunk_size"), "seed_config.source.chunk_size")?
                .unwrap_or(DEFAULT_CHUNK_SIZE as i64);
            let chunk_size = size.clamp(1, MAX_CHUNK_SIZE as i64) as usize;
            let overlap = optional_integer(
                source.get("chunk_overlap"),
                "seed_config.source.chunk_overlap",
            )?
            .unwrap_or(DEFAULT_CHUNK_OVERLAP as i64);
            let chunk_overlap = overlap.clamp(0, chunk_size as i64 - 1) as usize;
            Ok(SeedSource::Unstructured {
                path,
                chunk_size,
                chunk_overlap,
            })
        }
        other => Err(TabularError::bad_config(
            "seed_config.source.seed_type",
            format!("unsupported seed type `{other}`; expected `local` or `unstructured`"),
        )),
    }
}

fn parse_sampling(value: Option<&Value>) -> Result<SamplingStrategy> {
    const FIELD: &str = "seed_config.sampling_strategy";
    match optional_string(value, FIELD)?
        .map(|s| s.to_ascii_lowercase())
        .as_deref()
    {
        None | Some("ordered") => Ok(SamplingStrategy::Ordered),
        Some("shuffle") => Ok(SamplingStrategy::Shuffle),
        Some(other) => Err(TabularError::bad_config(
            FIELD,
            format!("unknown sampling strategy `{other}`; expected `ordered` or `shuffle`"),
        )),
    }
}

fn parse_selection(value: Option<&Value>) -> Result<Option<SelectionStrategy>> {
    const FIELD: &str = "seed_config.selection_strategy";
    let selection = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(v) => object(v, FIELD)?,
    };
    let is_range = selection.contains_key("start") || selection.contains_key("end");
    let is_partition = selection.contains_key("index") || selection.contains_key("num_partitions");
    match (is_range, is_partition) {
        (true, true) => Err(TabularError::bad_config(
            FIELD,
            "give either `start`/`end` or `index`/`num_partitions`, not both",
        )),
        (false, false) => Err(TabularError::bad_config(
            FIELD,
            "expected {\"start\", \"end\"} or {\"index\", \"num_partitions\"}",
        )),
        (true, false) => {
            let start =
                non_negative(selection.get("start"), &format!("{FIELD}.start"))?.unwrap_or(0);
            let end = non_negative(selection.get("end"), &format!("{FIELD}.end"))?;
            if let Some(end) = end
                && end < start
            {
                return Err(TabularError::bad_config(
                    format!("{FIELD}.end"),
                    format!("end ({end}) is before start ({start}); the range is inclusive"),
                ));
            }
            Ok(Some(SelectionStrategy::IndexRange { start, end }))
        }
        (false, true) => {
            let num_partitions = non_negative(
                selection.get("num_partitions"),
                &format!("{FIELD}.num_partitions"),
            )?
            .unwrap_or(1);
            if num_partitions == 0 {
                return Err(TabularError::bad_config(
                    format!("{FIELD}.num_partitions"),
                    "must be at least 1",
                ));
            }
            let index =
                non_negative(selection.get("index"), &format!("{FIELD}.index"))?.unwrap_or(0);
            if index >= num_partitions {
                return Err(TabularError::bad_config(
                    format!("{FIELD}.index"),
                    format!(
                        "index {index} is out of range for {num_partitions} partitions (0-based)"
                    ),
                ));
            }
            Ok(Some(SelectionStrategy::PartitionBlock {
                index,
                num_partitions,
            }))
        }
    }
}

fn object<'v>(value: &'v Value, field: &str) -> Result<&'v Map<String, Value>> {
    value.as_object().ok_or_else(|| {
        TabularError::bad_config(
            field,
            format!("expected an object, found {}", value_kind(value)),
        )
    })
}

fn optional_string(value: Option<&Value>, field: &str) -> Result<Option<String>> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
        Some(other) => Err(TabularError::bad_config(
            field,
            format!("expected a string, found {}", value_kind(other)),
        )),
    }
}

/// An integer given as a JSON number (`3`, `3.0`) or, as form fields send it, a string (`"3"`).
fn optional_integer(value: Option<&Value>, field: &str) -> Result<Option<i64>> {
    let wrong = |found: String| {
        TabularError::bad_config(field, format!("expected an integer, found {found}"))
    };
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => {
            if let Some(i) = n.as_i64() {
                Ok(Some(i))
            } else if n.is_u64() {
                Ok(Some(i64::MAX))
            } else {
                match n.as_f64() {
                    Some(f) if f.is_finite() && f.fract() == 0.0 => Ok(Some(f as i64)),
                    _ => Err(wrong(n.to_string())),
                }
            }
        }
        Some(Value::String(s)) => s
            .trim()
            .parse::<i64>()
            .map(Some)
            .map_err(|_| wrong(format!("`{s}`"))),
        Some(other) => Err(wrong(value_kind(other).to_owned())),
    }
}

fn non_negative(value: Option<&Value>, field: &str) -> Result<Option<u64>> {
    match optional_integer(value, field)? {
        Some(i) if i < 0 => Err(TabularError::bad_config(
            field,
            format!("must be 0 or more, found {i}"),
        )),
        other => Ok(other.map(|i| i as u64)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field_of(value: Value) -> String {
        match SeedConfig::from_json(&value).unwrap_err() {
            TabularError::BadSeedConfig { field, .. } => field,
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn a_full_local_config() {
        let cfg = SeedConfig::from_json(&json!({
            "source": {"seed_type": "local", "path": "data/seed.jsonl"},
            "sampling_strategy": "shuffle",
            "selection_strategy": {"start": 2, "end": 9}
        }))
        .unwrap();
        assert_eq!(
            cfg.source,
            SeedSource::Local {
                path: "data/seed.jsonl".into()
            }
        );
        assert_eq!(cfg.sampling_strategy, SamplingStrategy::Shuffle);
        assert_eq!(
            cfg.selection_strategy,
            Some(SelectionStrategy::IndexRange {
                start: 2,
                end: Some(9)
            })
        );
    }

    #[test]
    fn defaults_fill_what_is_left_out() {
        let cfg = SeedConfig::from_json(&json!({"source": {"path": "a.csv"}})).unwrap();
        assert_eq!(cfg.sampling_strategy, SamplingStrategy::Ordered);
        assert_eq!(cfg.selection_strategy, None);
        let cfg = SeedConfig::from_json(&json!({
            "source": {"seed_type": "unstructured", "path": "notes.md"},
            "selection_strategy": null
        }))
        .unwrap();
        assert_eq!(
            cfg.source,
            SeedSource::Unstructured {
                path: "notes.md".into(),
                chunk_size: 1200,
                chunk_overlap: 200
            }
        );
    }

    #[test]
    fn chunk_settings_are_clamped_and_accept_strings() {
        let cfg = SeedConfig::from_json(&json!({"source": {
            "seed_type": "unstructured", "path": "a.txt", "chunk_size": 999_999, "chunk_overlap": -5
        }}))
        .unwrap();
        assert_eq!(
            cfg.source,
            SeedSource::Unstructured {
                path: "a.txt".into(),
                chunk_size: 20_000,
                chunk_overlap: 0
            }
        );
        let cfg = SeedConfig::from_json(&json!({"source": {
            "seed_type": "unstructured", "path": "a.txt", "chunk_size": "0", "chunk_overlap": 50.0
        }}))
        .unwrap();
        assert_eq!(
            cfg.source,
            SeedSource::Unstructured {
                path: "a.txt".into(),
                chunk_size: 1,
                chunk_overlap: 0
            }
        );
        assert_eq!(
            field_of(
                json!({"source": {"seed_type": "unstructured", "path": "a.txt", "chunk_size": 1.5}})
            ),
            "seed_config.source.chunk_size"
        );
    }

    #[test]
    fn partitions_parse_and_validate() {
        let cfg = SeedConfig::from_json(&json!({
            "source": {"path": "a.csv"},
            "selection_strategy": {"index": 1, "num_partitions": 4}
        }))
        .unwrap();
        assert_eq!(
            cfg.selection_strategy,
            Some(SelectionStrategy::PartitionBlock {
                index: 1,
                num_partitions: 4
            })
        );
        let sel = |s: Value| json!({"source": {"path": "a.csv"}, "selection_strategy": s});
        assert_eq!(
            field_of(sel(json!({"index": 0, "num_partitions": 0}))),
            "seed_config.selection_strategy.num_partitions"
        );
        assert_eq!(
            field_of(sel(json!({"index": 4, "num_partitions": 4}))),
            "seed_config.selection_strategy.index"
        );
    }

    #[test]
    fn bad_values_name_their_field() {
        let sel = |s: Value| json!({"source": {"path": "a.csv"}, "selection_strategy": s});
        let cases = [
            (
                sel(json!({"start": 5, "end": 3})),
                "seed_config.selection_strategy.end",
            ),
            (
                sel(json!({"start": -1})),
                "seed_config.selection_strategy.start",
            ),
            (
                sel(json!({"start": "x"})),
                "seed_config.selection_strategy.start",
            ),
            (
                sel(json!({"start": 0, "index": 0})),
                "seed_config.selection_strategy",
            ),
            (sel(json!({})), "seed_config.selection_strategy"),
            (sel(json!([0, 3])), "seed_config.selection_strategy"),
            (
                json!({"source": {"path": "a.csv"}, "sampling_strategy": "random"}),
                "seed_config.sampling_strategy",
            ),
            (
                json!({"source": {"path": "a.csv"}, "sampling_strategy": 3}),
                "seed_config.sampling_strategy",
            ),
            (json!({"source": {"path": ""}}), "seed_config.source.path"),
            (json!({"source": {"path": 7}}), "seed_config.source.path"),
            (json!({"source": {}}), "seed_config.source.path"),
            (json!({}), "seed_config.source"),
            (json!("x"), "seed_config"),
            (
                json!({"source": {"seed_type": "hf", "path": "org/ds"}}),
                "seed_config.source.seed_type",
            ),
        ];
        for (value, want) in cases {
            assert_eq!(field_of(value.clone()), want, "{value}");
        }
        let err = SeedConfig::from_json(&sel(json!({"start": 5, "end": 3}))).unwrap_err();
        assert_eq!(err.code(), "tabular_bad_seed_config");
        assert!(err.to_string().contains("before start"), "{err}");
    }
}
