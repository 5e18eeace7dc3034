//! Checks code produced by a data-generation recipe: the "validation" columns of
//! Unsloth Studio / NVIDIA Data Designer recipes.
//!
//! Python, JavaScript, TypeScript, JSX and TSX get a syntax check; SQL is parsed
//! in its dialect and, for SQLite, also executed in a sandboxed in-memory
//! database. Nothing here panics on any input: problems in the code come back as
//! [`CodeIssue`]s inside a [`CheckOutcome`].

mod ecmascript;
mod error;
mod extract;
mod isolate;
mod language;
mod nesting;
mod outcome;
mod position;
mod python;
mod sql;
mod sqlite_exec;

pub use error::CheckError;
pub use extract::extract_code;
pub use language::{Language, SqlDialect};
pub use outcome::{CheckOptions, CheckOutcome, CodeIssue, MAX_REPORTED_ISSUES};

use ecmascript::Flavor;
use nesting::Angles;

/// Largest code (and SQLite setup) accepted, in bytes. Anything larger is
/// reported invalid without being parsed, which bounds time and memory per check.
pub const MAX_CODE_BYTES: usize = 1024 * 1024;

/// Checks `code` as `language` and reports every problem found.
pub fn check(language: &Language, code: &str, options: &CheckOptions) -> CheckOutcome {
    if let Some(issue) = refuse_input(language, code, options) {
        return CheckOutcome::invalid(issue);
    }
    isolate::check_isolated(code.len(), || match language {
        Language::Python => python::check_python(code),
        Language::Sql(dialect) => sql::check_sql(*dialect, code, options),
        Language::JavaScript => ecmascript::check_ecmascript(Flavor::JavaScript, code),
        Language::TypeScript => ecmascript::check_ecmascript(Flavor::TypeScript, code),
        Language::Jsx => ecmascript::check_ecmascript(Flavor::Jsx, code),
        Language::Tsx => ecmascript::check_ecmascript(Flavor::Tsx, code),
    })
}

/// Inputs that are not worth handing to a parser: too large, empty, or nested
/// absurdly deep.
fn refuse_input(language: &Language, code: &str, options: &CheckOptions) -> Option<CodeIssue> {
    if code.len() > MAX_CODE_BYTES {
        return Some(CodeIssue::new(format!(
            "the code is {} bytes, over the {MAX_CODE_BYTES}-byte limit, so it was not checked",
            code.len()
        )));
    }
    if let Some(setup) = &options.sqlite_setup
        && setup.len() > MAX_CODE_BYTES
    {
        return Some(CodeIssue::new(format!(
            "the SQLite setup SQL is {} bytes, over the {MAX_CODE_BYTES}-byte limit, so nothing was checked",
            setup.len()
        )));
    }
    if code.trim().is_empty() {
        let message = match language {
            Language::Sql(_) => "no statements: the SQL is empty",
            _ => "no code: the input is empty",
        };
        return Some(CodeIssue::new(message));
    }
    match language {
        // sqlparser and SQLite bound their own nesting depth.
        Language::Sql(_) => None,
        Language::TypeScript | Language::Tsx => nesting::refuse_deep_nesting(code, Angles::Count),
        Language::Python | Language::JavaScript | Language::Jsx => {
            nesting::refuse_deep_nesting(code, Angles::Ignore)
        }
    }
}
