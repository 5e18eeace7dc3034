//! Paged reading for the UI's table view: a window of rows plus the file's total, without
//! decoding more of the file than the window needs where the format allows it.

use serde::Serialize;
use std::path::Path;

use crate::Row;
use crate::error::Result;
use crate::format::TableFormat;
use crate::read::jsonl::JsonlReader;
use crate::read::parquet::ParquetSource;
use crate::read::read_rows;

/// The most rows one page returns, whatever the caller asks for.
pub const MAX_PAGE_ROWS: usize = 1000;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Page {
    pub rows: Vec<Row>,
    /// Rows in the whole file.
    pub total: u64,
    /// 0-based index of the first row of `rows`, as requested.
    pub offset: u64,
}

/// Rows `offset..offset + limit` (0-based, `limit` capped at [`MAX_PAGE_ROWS`]). An offset past
/// the end gives an empty page that still carries the total.
///
/// JSONL is streamed: lines before the page are counted but not parsed, lines after it only
/// counted. Parquet takes the total from its footer and skips whole row groups before the page.
/// CSV and JSON are read whole.
pub fn read_page(path: &Path, offset: u64, limit: usize) -> Result<Page> {
    let limit = limit.min(MAX_PAGE_ROWS);
    let (rows, total) = match TableFormat::from_path(path)? {
        TableFormat::Jsonl => {
            let mut reader = JsonlReader::open(path)?;
            let before = reader.skip_rows(offset)?;
            let mut rows = Vec::new();
            while rows.len() < limit {
                match reader.next_row()? {
                    Some(row) => rows.push(row),
                    None => break,
                }
            }
            let after = reader.skip_rows(u64::MAX)?;
            let total = before + rows.len() as u64 + after;
            (rows, total)
        }
        TableFormat::Parquet => {
            let source = ParquetSource::open(path)?;
            (source.read_range(offset, limit)?, source.total_rows())
        }
        TableFormat::Csv | TableFormat::Json => {
            let all = read_rows(path)?;
            let total = all.len() as u64;
            let start = usize::try_from(offset).unwrap_or(usize::MAX).min(all.len());
            let rows = all.into_iter().skip(start).take(limit).collect();
            (rows, total)
        }
    };
    Ok(Page {
        rows,
        total,
        offset,
    })
}
