//! Joining generated batch files into one output.
//!
//! A JSONL output is streamed: JSONL inputs are copied row by row and never held whole. Other
//! outputs need every row first (Parquet infers column types over all of them, CSV needs the
//! full header), so their inputs are read into memory.

use std::path::{Path, PathBuf};

use crate::error::Result;
use crate::format::TableFormat;
use crate::read::jsonl::JsonlReader;
use crate::read::read_rows;
use crate::write::jsonl::write_row;
use crate::write::parquet::write_parquet;
use crate::write::schema::column_union;
use crate::write::text::{write_csv, write_json};
use crate::write::write_atomic;

/// Writes the rows of every input, in order, to `output` in the format its extension names,
/// and returns how many rows were written. Inputs may be of any readable format. The output is
/// replaced atomically, so it may also be one of the inputs.
pub fn merge_files(inputs: &[PathBuf], output: &Path) -> Result<u64> {
    match TableFormat::from_path(output)? {
        TableFormat::Jsonl => merge_streaming(inputs, output),
        format => {
            let mut rows = Vec::new();
            for input in inputs {
                rows.extend(read_rows(input)?);
            }
            let columns = column_union(&rows);
            match format {
                TableFormat::Parquet => write_parquet(output, &columns, &rows)?,
                TableFormat::Csv => write_csv(output, &columns, &rows)?,
                _ => write_json(output, &rows)?,
            }
            Ok(rows.len() as u64)
        }
    }
}

fn merge_streaming(inputs: &[PathBuf], output: &Path) -> Result<u64> {
    // Fail on an unreadable input name before anything is written.
    for input in inputs {
        TableFormat::from_path(input)?;
    }
    let mut written = 0u64;
    write_atomic(output, |out| {
        for input in inputs {
            if TableFormat::from_path(input)? == TableFormat::Jsonl {
                let mut reader = JsonlReader::open(input)?;
                while let Some(row) = reader.next_row()? {
                    write_row(output, out, &row)?;
                    written += 1;
                }
            } else {
                for row in read_rows(input)? {
                    write_row(output, out, &row)?;
                    written += 1;
                }
            }
        }
        Ok(())
    })?;
    Ok(written)
}
