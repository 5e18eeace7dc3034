//! PDF text through `pdf-extract`, which places words by glyph position so lines and word gaps
//! survive. The extractor can panic on malformed documents; a panic becomes `tabular_bad_pdf`.

use std::path::Path;

use crate::error::{Result, TabularError};
use crate::guard::catch_panic;

pub(super) fn extract(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|e| TabularError::io(path, e))?;
    let bad = |reason: String| TabularError::BadPdf {
        path: path.to_owned(),
        reason,
    };
    match catch_panic(|| pdf_extract::extract_text_from_mem(&bytes)) {
        Ok(Ok(text)) => Ok(text),
        Ok(Err(e)) => Err(bad(e.to_string())),
        Err(panic) => Err(bad(panic)),
    }
}
