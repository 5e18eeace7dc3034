//! CSV (or TSV) with a header row: each record becomes an object of header -> string. Cells
//! are kept as text; a chat column holding JSON is parsed later, by the format code.

use std::path::Path;

use serde_json::{Map, Value};

use super::{Row, strip_bom};
use crate::error::{DatasetError, Result, RowRef};

pub(super) fn read(path: &Path, delimiter: u8, limit: usize) -> Result<Vec<Row>> {
    let bytes = super::read_file(path)?;
    parse(path, strip_bom(&bytes), delimiter, limit)
}

fn parse(path: &Path, bytes: &[u8], delimiter: u8, limit: usize) -> Result<Vec<Row>> {
    let bad = |line: usize, reason: String| DatasetError::BadCsv {
        path: path.to_owned(),
        line,
        reason,
    };
    let mut reader = ::csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .flexible(false)
        .from_reader(bytes);
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| bad(error_line(&e).unwrap_or(1), e.to_string()))?
        .iter()
        .map(|h| h.trim().to_owned())
        .collect();
    let mut rows = Vec::new();
    let mut record = ::csv::StringRecord::new();
    while rows.len() < limit {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = error_line(&e).unwrap_or(rows.len() + 2);
                return Err(bad(line, e.to_string()));
            }
        }
        let line = record
            .position()
            .map_or(rows.len() + 2, |p| p.line() as usize);
        let fields: Map<String, Value> = headers
            .iter()
            .zip(record.iter())
            .map(|(h, cell)| (h.clone(), Value::String(cell.to_owned())))
            .collect();
        rows.push(Row {
            at: RowRef::line(rows.len() + 1, line),
            fields,
        });
    }
    Ok(rows)
}

fn error_line(err: &::csv::Error) -> Option<usize> {
    err.position().map(|p| p.line() as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> Result<Vec<Row>> {
        parse(Path::new("d.csv"), text.as_bytes(), b',', usize::MAX)
    }

    #[test]
    fn records_become_objects_with_their_lines() {
        let rows =
            parse_str("instruction,input,output\n\"Say \"\"hi\"\"\",,\"Hi,\nthere\"\nAdd,1 2,3\n")
                .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].fields["instruction"], "Say \"hi\"");
        assert_eq!(rows[0].fields["input"], "");
        assert_eq!(rows[0].fields["output"], "Hi,\nthere");
        assert_eq!(rows[0].at, RowRef::line(1, 2));
        // The first record spans two lines, so the second starts on line 4.
        assert_eq!(rows[1].at, RowRef::line(2, 4));
    }

    #[test]
    fn a_ragged_record_names_its_line() {
        let err = parse_str("a,b\n1,2\n3\n").unwrap_err();
        assert_eq!(err.code(), "dataset_bad_csv");
        assert!(err.to_string().contains("line 3"), "{err}");
    }

    #[test]
    fn a_header_alone_has_no_rows() {
        assert!(parse_str("text\n").unwrap().is_empty());
        assert!(parse_str("").unwrap().is_empty());
    }

    #[test]
    fn tabs_and_a_bom() {
        let rows = parse(
            Path::new("d.tsv"),
            b"text\tid\nhello, world\t1\n",
            b'\t',
            10,
        )
        .unwrap();
        assert_eq!(rows[0].fields["text"], "hello, world");
        assert_eq!(strip_bom(b"\xEF\xBB\xBFtext"), b"text");
    }
}
