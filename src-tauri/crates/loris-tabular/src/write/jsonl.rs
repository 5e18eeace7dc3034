//! JSON Lines output: one compact object per line, newline-terminated.

use std::io::Write;
use std::path::Path;

use super::atomic::{io_err, write_atomic};
use crate::Row;
use crate::error::Result;

pub fn write_jsonl(path: &Path, rows: &[Row]) -> Result<()> {
    write_atomic(path, |out| {
        for row in rows {
            write_row(path, out, row)?;
        }
        Ok(())
    })
}

pub(crate) fn write_row(path: &Path, out: &mut impl Write, row: &Row) -> Result<()> {
    // A map of JSON values always serialises; the only failure left is the writer's.
    serde_json::to_writer(&mut *out, row).map_err(|e| io_err(path)(e.into()))?;
    out.write_all(b"\n").map_err(io_err(path))
}
