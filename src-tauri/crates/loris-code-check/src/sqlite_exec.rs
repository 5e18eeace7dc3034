//! Runs SQLite code in a throwaway in-memory database that cannot reach files,
//! load extensions or run past its time budget.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rusqlite::fallible_iterator::FallibleIterator;
use rusqlite::hooks::{AuthAction, AuthContext, Authorization};
use rusqlite::limits::Limit;
use rusqlite::{Batch, Connection, ErrorCode, Statement};

use crate::outcome::{CheckOptions, CheckOutcome, CodeIssue};
use crate::position::line_column;

/// Rows read per statement; a query may produce more, but reading them proves
/// nothing further and would let a single SELECT run unbounded.
const MAX_ROWS_PER_STATEMENT: usize = 10_000;

/// Largest string or blob a statement may build, so `zeroblob(1e9)` and friends
/// fail fast instead of exhausting memory.
const MAX_VALUE_BYTES: i32 = 16 * 1024 * 1024;

/// VM instructions between deadline checks: frequent enough to stop within
/// milliseconds, rare enough to cost nothing measurable.
const PROGRESS_INTERVAL_OPS: i32 = 1_000;

/// Pragmas that point SQLite at directories on disk.
const DENIED_PRAGMAS: [&str; 2] = ["temp_store_directory", "data_store_directory"];

/// Why the authorizer refused something, kept so the report can say more than
/// SQLite's bare "not authorized".
type DenialNote = Arc<Mutex<Option<String>>>;

pub(crate) fn execute(code: &str, options: &CheckOptions) -> CheckOutcome {
    let denial = DenialNote::default();
    let connection = match open_sandbox(options.timeout, &denial) {
        Ok(connection) => connection,
        Err(error) => {
            return CheckOutcome::invalid(CodeIssue::new(format!(
                "could not open an in-memory SQLite database: {error}"
            )));
        }
    };
    if let Some(setup) = options.sqlite_setup.as_deref()
        && let Err(failure) = run_script(&connection, setup, options.timeout, &denial)
    {
        return CheckOutcome::invalid(CodeIssue::new(format!(
            "the SQLite setup SQL failed, so the code was not run: {}",
            failure.message
        )));
    }
    match run_script(&connection, code, options.timeout, &denial) {
        Ok(()) => CheckOutcome::valid(),
        Err(failure) => {
            let issue = match failure.offset {
                Some(offset) => {
                    let (line, column) = line_column(code, offset);
                    CodeIssue::at(failure.message, line, column)
                }
                None => CodeIssue::new(failure.message),
            };
            CheckOutcome::invalid(issue)
        }
    }
}

/// A failed statement: SQLite's message and, when known, the byte offset in the
/// script where the problem (or at least its statement) starts.
struct Failure {
    message: String,
    offset: Option<usize>,
}

fn open_sandbox(timeout: Duration, denial: &DenialNote) -> rusqlite::Result<Connection> {
    let mut connection = Connection::open_in_memory()?;
    // Backs up the authorizer's ATTACH refusal, which also covers VACUUM INTO
    // since that attaches its target file.
    connection.set_limit(Limit::SQLITE_LIMIT_ATTACHED, 0)?;
    connection.set_limit(Limit::SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)?;
    let note = Arc::clone(denial);
    connection.authorizer(Some(move |context: AuthContext<'_>| {
        authorize(&context.action, &note)
    }))?;
    // The deadline is fixed once: setup and code share one budget.
    let deadline = Instant::now().checked_add(timeout);
    connection.progress_handler(
        PROGRESS_INTERVAL_OPS,
        Some(move || deadline.is_some_and(|deadline| Instant::now() >= deadline)),
    )?;
    Ok(connection)
}

fn authorize(action: &AuthAction<'_>, note: &Mutex<Option<String>>) -> Authorization {
    let refusal = match action {
        AuthAction::Attach { .. } => Some("ATTACH is not allowed".to_owned()),
        AuthAction::Detach { .. } => Some("DETACH is not allowed".to_owned()),
        AuthAction::Function { function_name }
            if function_name.eq_ignore_ascii_case("load_extension") =>
        {
            Some("loading SQLite extensions is not allowed".to_owned())
        }
        AuthAction::Pragma { pragma_name, .. }
            if DENIED_PRAGMAS
                .iter()
                .any(|denied| pragma_name.eq_ignore_ascii_case(denied)) =>
        {
            Some(format!("PRAGMA {pragma_name} is not allowed"))
        }
        _ => None,
    };
    match refusal {
        Some(reason) => {
            if let Ok(mut slot) = note.lock() {
                *slot = Some(reason);
            }
            Authorization::Deny
        }
        None => Authorization::Allow,
    }
}

fn run_script(
    connection: &Connection,
    sql: &str,
    timeout: Duration,
    denial: &DenialNote,
) -> Result<(), Failure> {
    let mut batch = Batch::new(connection, sql);
    // End of the last statement seen, used to place errors that SQLite does not.
    let mut cursor = 0;
    loop {
        let mut statement = match batch.next() {
            Ok(Some(statement)) => statement,
            Ok(None) => return Ok(()),
            Err(error) => {
                let offset = input_offset(&error, sql).or_else(|| next_token(sql, cursor));
                return Err(Failure {
                    message: describe(&error, timeout, denial),
                    offset,
                });
            }
        };
        let start = locate_statement(&statement, sql, &mut cursor);
        if let Err(error) = step_through(&mut statement) {
            return Err(Failure {
                message: describe(&error, timeout, denial),
                offset: start,
            });
        }
    }
}

fn step_through(statement: &mut Statement<'_>) -> rusqlite::Result<()> {
    let mut rows = statement.raw_query();
    for _ in 0..MAX_ROWS_PER_STATEMENT {
        if rows.next()?.is_none() {
            break;
        }
    }
    Ok(())
}

/// SQLite reports the offset of a bad token relative to the text it was handed,
/// which for a batch is the unread tail of the script.
fn input_offset(error: &rusqlite::Error, sql: &str) -> Option<usize> {
    match error {
        rusqlite::Error::SqlInputError {
            sql: tail, offset, ..
        } if sql.ends_with(tail.as_str()) => {
            let within = usize::try_from(*offset).ok()?;
            Some(sql.len() - tail.len() + within)
        }
        _ => None,
    }
}

/// Where `statement` starts in the script. SQLite gives back each statement's
/// text from the end of the one before, so it sits right at `cursor`. Bound
/// parameters change that text; then the statement, and those after it, go
/// unplaced rather than searched for, which could cost quadratic time.
fn locate_statement(statement: &Statement<'_>, sql: &str, cursor: &mut usize) -> Option<usize> {
    let text = statement.expanded_sql()?;
    let start = *cursor;
    if !sql.get(start..)?.starts_with(text.as_str()) {
        return None;
    }
    *cursor = start + text.len();
    next_token(sql, start)
}

/// The offset of the first token at or after `from`, past whitespace and comments.
fn next_token(sql: &str, from: usize) -> Option<usize> {
    let mut rest = sql.get(from..)?;
    loop {
        let trimmed = rest.trim_start();
        rest = if let Some(comment) = trimmed.strip_prefix("--") {
            comment.find('\n').map_or("", |end| &comment[end..])
        } else if let Some(comment) = trimmed.strip_prefix("/*") {
            comment.find("*/").map_or("", |end| &comment[end + 2..])
        } else {
            return Some(sql.len() - trimmed.len());
        };
    }
}

fn describe(error: &rusqlite::Error, timeout: Duration, denial: &DenialNote) -> String {
    let code = error.sqlite_error_code();
    if code == Some(ErrorCode::OperationInterrupted) {
        return format!(
            "execution interrupted: it ran past the time limit of {} ms",
            timeout.as_millis()
        );
    }
    let message = match error {
        rusqlite::Error::SqliteFailure(_, Some(message)) => message.clone(),
        rusqlite::Error::SqlInputError { msg, .. } => msg.clone(),
        other => other.to_string(),
    };
    // SQLite words a refusal differently per action; the note says what was refused.
    match denial.lock().ok().and_then(|mut slot| slot.take()) {
        Some(reason) => format!("{reason} ({message})"),
        None => message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(code: &str, setup: Option<&str>, timeout: Duration) -> CheckOutcome {
        let options = CheckOptions {
            sqlite_setup: setup.map(str::to_owned),
            execute_sqlite: true,
            timeout,
        };
        execute(code, &options)
    }

    fn first_message(outcome: &CheckOutcome) -> &str {
        &outcome.error_messages[0].message
    }

    #[test]
    fn constraint_failure_points_at_its_statement() {
        let code = "CREATE TABLE t (id INTEGER PRIMARY KEY);\nINSERT INTO t VALUES (1);\n  INSERT INTO t VALUES (1);";
        let outcome = run(code, None, Duration::from_secs(2));
        assert!(!outcome.is_valid);
        assert!(first_message(&outcome).contains("UNIQUE"), "{outcome:?}");
        assert_eq!(outcome.error_messages[0].line, Some(3));
        assert_eq!(outcome.error_messages[0].column, Some(3));
    }

    #[test]
    fn runtime_errors_after_comments_are_placed() {
        let code =
            "CREATE TABLE t (v NOT NULL); -- table\n/* rows */\nINSERT INTO t VALUES (NULL);";
        let outcome = run(code, None, Duration::from_secs(2));
        assert!(first_message(&outcome).contains("NOT NULL"), "{outcome:?}");
        assert_eq!(outcome.error_messages[0].line, Some(3));
        assert_eq!(outcome.error_messages[0].column, Some(1));
    }

    #[test]
    fn next_token_skips_comments() {
        assert_eq!(next_token("  -- a\n /* b */ x", 0), Some(16));
        assert_eq!(next_token("-- only a comment", 0), Some(17));
        assert_eq!(next_token("/* open", 0), Some(7));
        assert_eq!(next_token("abc", 9), None);
    }

    #[test]
    fn missing_table_is_placed_on_its_line() {
        let outcome = run(
            "SELECT 1;\nSELECT x FROM nowhere;",
            None,
            Duration::from_secs(2),
        );
        assert!(!outcome.is_valid);
        assert!(
            first_message(&outcome).contains("no such table"),
            "{outcome:?}"
        );
        assert_eq!(outcome.error_messages[0].line, Some(2));
    }

    #[test]
    fn detach_and_extensions_are_refused() {
        for code in ["DETACH DATABASE main", "SELECT load_extension('x')"] {
            let outcome = run(code, None, Duration::from_secs(2));
            assert!(!outcome.is_valid, "{code}");
            assert!(
                first_message(&outcome).contains("not allowed"),
                "{outcome:?}"
            );
        }
    }

    #[test]
    fn vacuum_into_cannot_write_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("copy.db");
        let code = format!("CREATE TABLE t (a); VACUUM INTO '{}';", target.display());
        let outcome = run(&code, None, Duration::from_secs(2));
        assert!(!outcome.is_valid, "{outcome:?}");
        assert!(first_message(&outcome).contains("ATTACH"), "{outcome:?}");
        assert!(!target.exists());
    }

    #[test]
    fn huge_values_fail_fast() {
        let outcome = run("SELECT zeroblob(1000000000);", None, Duration::from_secs(2));
        assert!(!outcome.is_valid);
        assert!(first_message(&outcome).contains("too big"), "{outcome:?}");
    }

    #[test]
    fn endless_result_sets_are_read_only_up_to_the_cap() {
        let code =
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT i FROM n;";
        let started = Instant::now();
        let outcome = run(code, None, Duration::from_secs(5));
        assert!(outcome.is_valid, "{outcome:?}");
        assert!(started.elapsed() < Duration::from_secs(1));
    }

    #[test]
    fn setup_failure_is_named_as_such() {
        let outcome = run(
            "SELECT 1;",
            Some("CREATE TABLE broken ("),
            Duration::from_secs(2),
        );
        assert!(!outcome.is_valid);
        assert!(
            first_message(&outcome).contains("setup SQL failed"),
            "{outcome:?}"
        );
        assert_eq!(outcome.error_messages[0].line, None);
    }
}
