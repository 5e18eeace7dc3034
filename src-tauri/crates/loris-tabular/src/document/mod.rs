//! Unstructured documents (plain text, Markdown, PDF) as normalised text, ready for chunking.

mod chunk;
mod pdf;

use std::path::Path;

use crate::error::{Result, TabularError};
use crate::read::read_text;

pub use chunk::{DEFAULT_CHUNK_OVERLAP, DEFAULT_CHUNK_SIZE, MAX_CHUNK_SIZE, split_into_chunks};

const EXPECTED: &str = ".txt, .md, .markdown or .pdf";

/// The text of a `.txt`, `.md`/`.markdown` or `.pdf` file, normalised by [`normalize_text`].
/// A document without text gives an empty string; callers decide whether that is an error.
pub fn read_document_text(path: &Path) -> Result<String> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let raw = match ext.as_deref() {
        Some("txt" | "md" | "markdown") => read_text(path)?,
        Some("pdf") => pdf::extract(path)?,
        _ => {
            return Err(TabularError::UnsupportedFormat {
                path: path.to_owned(),
                expected: EXPECTED,
            });
        }
    };
    Ok(normalize_text(&raw))
}

/// Line endings become `\n`, runs of three or more newlines become one blank line, and the
/// ends are trimmed, so chunk boundaries and sizes do not depend on the editor or the PDF
/// producer.
pub fn normalize_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut newlines = 0;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let c = if c == '\r' {
            // CRLF is one line break; a lone CR (old Mac files) is one too.
            if chars.peek() == Some(&'\n') {
                chars.next();
            }
            '\n'
        } else {
            c
        };
        if c == '\n' {
            newlines += 1;
            if newlines <= 2 {
                out.push('\n');
            }
        } else {
            newlines = 0;
            out.push(c);
        }
    }
    out.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_endings_and_blank_runs_are_normalised() {
        assert_eq!(normalize_text("a\r\nb\rc\n"), "a\nb\nc");
        assert_eq!(normalize_text("a\r\n\r\n\r\n\r\nb"), "a\n\nb");
        assert_eq!(normalize_text("a\n\n\n\n\nb\n\nc"), "a\n\nb\n\nc");
        assert_eq!(normalize_text("  \n\n text \n\n"), "text");
        assert_eq!(normalize_text("\r\r"), "");
    }

    #[test]
    fn other_extensions_are_unsupported() {
        let err = read_document_text(Path::new("notes.docx")).unwrap_err();
        assert_eq!(err.code(), "tabular_unsupported_format");
    }
}
