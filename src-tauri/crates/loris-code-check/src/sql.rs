//! SQL: parse in the named dialect, then for SQLite optionally run it for real.

use sqlparser::dialect::{
    AnsiDialect, BigQueryDialect, ClickHouseDialect, DatabricksDialect, Dialect, DuckDbDialect,
    GenericDialect, HiveDialect, MsSqlDialect, MySqlDialect, PostgreSqlDialect, RedshiftSqlDialect,
    SQLiteDialect, SnowflakeDialect,
};
use sqlparser::parser::{Parser, ParserError};

use crate::language::SqlDialect;
use crate::outcome::{CheckOptions, CheckOutcome, CodeIssue};
use crate::position::line_column;
use crate::sqlite_exec;

pub(crate) fn check_sql(dialect: SqlDialect, code: &str, options: &CheckOptions) -> CheckOutcome {
    match Parser::parse_sql(parser_dialect(dialect).as_ref(), code) {
        Err(error) => CheckOutcome::invalid(parse_issue(&error, code)),
        Ok(statements) if statements.is_empty() => {
            CheckOutcome::invalid(CodeIssue::new("no statements: the SQL is empty"))
        }
        Ok(_) if dialect == SqlDialect::Sqlite && options.execute_sqlite => {
            sqlite_exec::execute(code, options)
        }
        Ok(_) => CheckOutcome::valid(),
    }
}

fn parser_dialect(dialect: SqlDialect) -> Box<dyn Dialect> {
    match dialect {
        SqlDialect::Sqlite => Box::new(SQLiteDialect {}),
        SqlDialect::Postgres => Box::new(PostgreSqlDialect {}),
        SqlDialect::Mysql => Box::new(MySqlDialect {}),
        SqlDialect::Tsql => Box::new(MsSqlDialect {}),
        SqlDialect::Bigquery => Box::new(BigQueryDialect),
        SqlDialect::Snowflake => Box::new(SnowflakeDialect),
        SqlDialect::Ansi => Box::new(AnsiDialect {}),
        SqlDialect::Generic => Box::new(GenericDialect),
        SqlDialect::Duckdb => Box::new(DuckDbDialect),
        SqlDialect::Hive => Box::new(HiveDialect {}),
        SqlDialect::Redshift => Box::new(RedshiftSqlDialect {}),
        SqlDialect::Clickhouse => Box::new(ClickHouseDialect {}),
        SqlDialect::Databricks => Box::new(DatabricksDialect),
    }
}

/// sqlparser carries the position only inside its message text, as a trailing
/// " at Line: L, Column: C"; lift it into fields so the message reads cleanly.
fn parse_issue(error: &ParserError, code: &str) -> CodeIssue {
    let message = match error {
        ParserError::TokenizerError(message) | ParserError::ParserError(message) => message,
        ParserError::RecursionLimitExceeded => {
            return CodeIssue::new("the SQL is nested too deeply to check");
        }
    };
    if let Some((text, line, column)) = split_location(message) {
        return CodeIssue::at(text, line, column);
    }
    // Errors at the end of input come without a position; the end is where they are.
    if message.ends_with("found: EOF") {
        let (line, column) = line_column(code, code.trim_end().len());
        return CodeIssue::at(message.trim(), line, column);
    }
    CodeIssue::new(message.trim())
}

fn split_location(message: &str) -> Option<(&str, u32, u32)> {
    const MARKER: &str = " at Line: ";
    let start = message.rfind(MARKER)?;
    let (line, column) = message[start + MARKER.len()..].split_once(", Column: ")?;
    let line = line.trim().parse().ok()?;
    let column = column.trim().parse().ok()?;
    Some((message[..start].trim(), line, column))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_only(dialect: SqlDialect, code: &str) -> CheckOutcome {
        let options = CheckOptions {
            execute_sqlite: false,
            ..CheckOptions::default()
        };
        check_sql(dialect, code, &options)
    }

    #[test]
    fn location_is_lifted_out_of_the_message() {
        let outcome = parse_only(SqlDialect::Generic, "SELECT 1;\nSELECT * FROM");
        assert!(!outcome.is_valid);
        let issue = &outcome.error_messages[0];
        assert_eq!(issue.line, Some(2));
        assert!(issue.column.is_some());
        assert!(!issue.message.contains("Line:"), "{}", issue.message);
    }

    #[test]
    fn unterminated_string_is_a_tokenizer_error() {
        let outcome = parse_only(SqlDialect::Postgres, "SELECT 'abc");
        assert!(!outcome.is_valid);
        assert_eq!(outcome.error_messages[0].line, Some(1));
    }

    #[test]
    fn comments_alone_are_no_statements() {
        let outcome = parse_only(SqlDialect::Sqlite, "-- nothing here\n/* still nothing */ ;");
        assert!(!outcome.is_valid);
        assert!(outcome.error_messages[0].message.contains("no statements"));
    }

    #[test]
    fn deep_nesting_is_reported_not_crashed() {
        let code = format!("SELECT {}1{}", "(".repeat(5_000), ")".repeat(5_000));
        let outcome = parse_only(SqlDialect::Generic, &code);
        assert!(!outcome.is_valid);
        assert!(
            outcome.error_messages[0]
                .message
                .contains("nested too deeply")
        );
    }

    #[test]
    fn every_dialect_parses_a_plain_select() {
        for dialect in SqlDialect::ALL {
            let outcome = parse_only(dialect, "SELECT a, b FROM t WHERE a > 1");
            assert!(outcome.is_valid, "{dialect}: {outcome:?}");
        }
    }

    #[test]
    fn location_without_marker_is_left_alone() {
        assert_eq!(split_location("Expected: foo"), None);
        assert_eq!(
            split_location("Expected: foo at Line: 3, Column: 14"),
            Some(("Expected: foo", 3, 14))
        );
    }
}
