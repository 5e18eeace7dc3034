//! What a check reports and the knobs a caller can turn.

use std::time::Duration;

use serde::Serialize;

/// At most this many issues are listed; `error_count` still counts them all, so a
/// garbage input cannot produce an unbounded report.
pub const MAX_REPORTED_ISSUES: usize = 50;

/// One problem found in the code. Line and column are 1-based; columns count
/// characters. Either is `None` when the checker could not place the problem.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CodeIssue {
    pub message: String,
    pub line: Option<u32>,
    pub column: Option<u32>,
}

impl CodeIssue {
    /// An issue that belongs to the code as a whole.
    pub fn new(message: impl Into<String>) -> Self {
        CodeIssue {
            message: message.into(),
            line: None,
            column: None,
        }
    }

    /// An issue at a known place.
    pub fn at(message: impl Into<String>, line: u32, column: u32) -> Self {
        CodeIssue {
            message: message.into(),
            line: Some(line),
            column: Some(column),
        }
    }
}

/// The verdict on one piece of code, shaped like a validation column's value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckOutcome {
    pub is_valid: bool,
    /// All issues found, including any left out of `error_messages`.
    pub error_count: usize,
    /// The issues, in the order found, at most [`MAX_REPORTED_ISSUES`].
    pub error_messages: Vec<CodeIssue>,
}

impl CheckOutcome {
    pub fn valid() -> Self {
        CheckOutcome {
            is_valid: true,
            error_count: 0,
            error_messages: Vec::new(),
        }
    }

    pub fn invalid(issue: CodeIssue) -> Self {
        CheckOutcome::from_issues(vec![issue])
    }

    /// Valid exactly when `issues` is empty.
    pub fn from_issues(issues: Vec<CodeIssue>) -> Self {
        let total = issues.len();
        CheckOutcome::from_found(issues, total)
    }

    /// For checkers that stop describing issues early: `total` counts every issue
    /// found, `issues` holds those described.
    pub(crate) fn from_found(mut issues: Vec<CodeIssue>, total: usize) -> Self {
        issues.truncate(MAX_REPORTED_ISSUES);
        let error_count = total.max(issues.len());
        CheckOutcome {
            is_valid: error_count == 0,
            error_count,
            error_messages: issues,
        }
    }
}

/// How a check runs. Only SQLite execution reads these today.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckOptions {
    /// SQL run before the checked code, typically the `CREATE TABLE`s it queries.
    pub sqlite_setup: Option<String>,
    /// Whether `sql:sqlite` code is also executed in a throwaway in-memory database.
    pub execute_sqlite: bool,
    /// The most time SQLite execution (setup included) may take.
    pub timeout: Duration,
}

impl CheckOptions {
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            sqlite_setup: None,
            execute_sqlite: true,
            timeout: CheckOptions::DEFAULT_TIMEOUT,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_execute_with_two_seconds() {
        let options = CheckOptions::default();
        assert!(options.execute_sqlite);
        assert_eq!(options.timeout, Duration::from_secs(2));
        assert_eq!(options.sqlite_setup, None);
    }

    #[test]
    fn many_issues_are_counted_but_capped() {
        let issues = vec![CodeIssue::new("bad"); MAX_REPORTED_ISSUES + 7];
        let outcome = CheckOutcome::from_issues(issues);
        assert!(!outcome.is_valid);
        assert_eq!(outcome.error_count, MAX_REPORTED_ISSUES + 7);
        assert_eq!(outcome.error_messages.len(), MAX_REPORTED_ISSUES);
    }

    #[test]
    fn no_issues_is_valid() {
        assert_eq!(CheckOutcome::from_issues(Vec::new()), CheckOutcome::valid());
    }
}
