//! JSON Lines, one object per line, read as a stream so a page or a count never holds more
//! than one line. Blank lines are skipped but still counted, so errors name the line a text
//! editor shows.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use serde_json::Value;

use super::value_kind;
use crate::Row;
use crate::error::{Location, Result, TabularError};

pub(crate) struct JsonlReader<'p, R> {
    path: &'p Path,
    reader: R,
    line: u64,
    buf: Vec<u8>,
}

impl<'p> JsonlReader<'p, BufReader<File>> {
    pub(crate) fn open(path: &'p Path) -> Result<Self> {
        let file = File::open(path).map_err(|e| TabularError::io(path, e))?;
        Ok(JsonlReader::new(path, BufReader::new(file)))
    }
}

impl<'p, R: BufRead> JsonlReader<'p, R> {
    pub(crate) fn new(path: &'p Path, reader: R) -> Self {
        JsonlReader {
            path,
            reader,
            line: 0,
            buf: Vec::new(),
        }
    }

    /// The next non-blank line without its line ending, and its 1-based line number.
    pub(crate) fn next_line(&mut self) -> Result<Option<(u64, &[u8])>> {
        let range = loop {
            self.buf.clear();
            let read = self
                .reader
                .read_until(b'\n', &mut self.buf)
                .map_err(|e| TabularError::io(self.path, e))?;
            if read == 0 {
                return Ok(None);
            }
            self.line += 1;
            // A UTF-8 byte-order mark that some editors put before the first line.
            let start = if self.line == 1 && self.buf.starts_with(&[0xEF, 0xBB, 0xBF]) {
                3
            } else {
                0
            };
            let text = &self.buf[start..];
            let first = text.iter().position(|b| !b.is_ascii_whitespace());
            let last = text.iter().rposition(|b| !b.is_ascii_whitespace());
            if let (Some(first), Some(last)) = (first, last) {
                break (start + first)..(start + last + 1);
            }
        };
        Ok(Some((self.line, &self.buf[range])))
    }

    /// Skips `count` rows without parsing them; returns how many were there to skip.
    pub(crate) fn skip_rows(&mut self, count: u64) -> Result<u64> {
        let mut skipped = 0;
        while skipped < count && self.next_line()?.is_some() {
            skipped += 1;
        }
        Ok(skipped)
    }

    pub(crate) fn next_row(&mut self) -> Result<Option<Row>> {
        let path = self.path;
        let Some((line, bytes)) = self.next_line()? else {
            return Ok(None);
        };
        parse_line(path, line, bytes).map(Some)
    }
}

fn parse_line(path: &Path, line: u64, bytes: &[u8]) -> Result<Row> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| TabularError::BadJson {
        path: path.to_owned(),
        line,
        column: e.column() as u64,
        reason: e.to_string(),
    })?;
    match value {
        Value::Object(map) => Ok(map),
        other => Err(TabularError::bad_row(
            path,
            Location::line(line),
            format!("expected a JSON object, found {}", value_kind(&other)),
        )),
    }
}

pub(crate) fn read_all(path: &Path) -> Result<Vec<Row>> {
    let mut reader = JsonlReader::open(path)?;
    let mut rows = Vec::new();
    while let Some(row) = reader.next_row()? {
        rows.push(row);
    }
    Ok(rows)
}

/// Rows in the file, counted from non-blank lines without parsing them.
pub(crate) fn count(path: &Path) -> Result<u64> {
    let mut reader = JsonlReader::open(path)?;
    reader.skip_rows(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows_of(text: &str) -> Result<Vec<Row>> {
        let mut reader = JsonlReader::new(Path::new("mem.jsonl"), text.as_bytes());
        let mut rows = Vec::new();
        while let Some(row) = reader.next_row()? {
            rows.push(row);
        }
        Ok(rows)
    }

    #[test]
    fn blank_lines_crlf_and_bom_are_tolerated() {
        let rows = rows_of("\u{feff}{\"a\":1}\r\n\r\n  \n{\"a\":2}").unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1]["a"], 2);
    }

    #[test]
    fn a_bad_line_is_named_by_its_number() {
        let err = rows_of("{\"a\":1}\n\n{\"a\":\n").unwrap_err();
        assert_eq!(err.code(), "tabular_bad_json");
        match err {
            TabularError::BadJson { line, .. } => assert_eq!(line, 3),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn a_non_object_line_is_a_bad_row() {
        let err = rows_of("{\"a\":1}\n[1,2]\n").unwrap_err();
        assert_eq!(err.code(), "tabular_bad_row");
        assert!(err.to_string().contains("line 2"), "{err}");
        assert!(err.to_string().contains("an array"), "{err}");
    }

    #[test]
    fn invalid_utf8_is_a_bad_json_line() {
        let mut reader = JsonlReader::new(Path::new("mem.jsonl"), &b"{\"a\":\"\xff\"}\n"[..]);
        let err = reader.next_row().unwrap_err();
        assert_eq!(err.code(), "tabular_bad_json");
    }
}
