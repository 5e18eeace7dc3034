//! The languages a recipe's validation column can name, and how their names are read.

use std::fmt;

use crate::error::CheckError;

/// A language whose code can be checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Language {
    Python,
    Sql(SqlDialect),
    JavaScript,
    TypeScript,
    Jsx,
    Tsx,
}

/// SQL dialects: those Data Designer names plus the other sqlparser dialects a
/// recipe author is likely to want.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SqlDialect {
    Sqlite,
    Postgres,
    Mysql,
    /// Microsoft SQL Server (T-SQL).
    Tsql,
    Bigquery,
    Snowflake,
    Ansi,
    /// sqlparser's permissive dialect, used for a bare `sql`.
    Generic,
    Duckdb,
    Hive,
    Redshift,
    Clickhouse,
    Databricks,
}

impl SqlDialect {
    pub const ALL: [SqlDialect; 13] = [
        SqlDialect::Sqlite,
        SqlDialect::Postgres,
        SqlDialect::Mysql,
        SqlDialect::Tsql,
        SqlDialect::Bigquery,
        SqlDialect::Snowflake,
        SqlDialect::Ansi,
        SqlDialect::Generic,
        SqlDialect::Duckdb,
        SqlDialect::Hive,
        SqlDialect::Redshift,
        SqlDialect::Clickhouse,
        SqlDialect::Databricks,
    ];

    /// The canonical name, as written after `sql:` in a `code_lang`.
    pub fn name(self) -> &'static str {
        match self {
            SqlDialect::Sqlite => "sqlite",
            SqlDialect::Postgres => "postgres",
            SqlDialect::Mysql => "mysql",
            SqlDialect::Tsql => "tsql",
            SqlDialect::Bigquery => "bigquery",
            SqlDialect::Snowflake => "snowflake",
            SqlDialect::Ansi => "ansi",
            SqlDialect::Generic => "generic",
            SqlDialect::Duckdb => "duckdb",
            SqlDialect::Hive => "hive",
            SqlDialect::Redshift => "redshift",
            SqlDialect::Clickhouse => "clickhouse",
            SqlDialect::Databricks => "databricks",
        }
    }

    /// Other spellings people use for the same dialect.
    fn aliases(self) -> &'static [&'static str] {
        match self {
            SqlDialect::Postgres => &["postgresql", "pg", "pgsql"],
            SqlDialect::Tsql => &["mssql", "sqlserver", "t-sql"],
            SqlDialect::Sqlite => &["sqlite3"],
            _ => &[],
        }
    }

    /// Reads a dialect name or alias; expects it already trimmed and lowercased.
    pub(crate) fn from_name(name: &str) -> Option<SqlDialect> {
        SqlDialect::ALL
            .into_iter()
            .find(|dialect| dialect.name() == name || dialect.aliases().contains(&name))
    }
}

impl fmt::Display for SqlDialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Language {
    /// Reads a Data Designer `code_lang` such as `python`, `sql:postgres` or `tsx`.
    ///
    /// Case and surrounding whitespace are ignored. A bare `sql` means the generic
    /// dialect; a bare dialect name (`sqlite`, `postgres`, ...) means that dialect.
    pub fn parse(code_lang: &str) -> Result<Language, CheckError> {
        let name = code_lang.trim().to_ascii_lowercase();
        let language = match name.as_str() {
            "python" | "py" | "python3" => Some(Language::Python),
            "javascript" | "js" => Some(Language::JavaScript),
            "typescript" | "ts" => Some(Language::TypeScript),
            "jsx" => Some(Language::Jsx),
            "tsx" => Some(Language::Tsx),
            "sql" => Some(Language::Sql(SqlDialect::Generic)),
            other => {
                let dialect = other.strip_prefix("sql:").map_or(other, str::trim);
                SqlDialect::from_name(dialect).map(Language::Sql)
            }
        };
        language.ok_or_else(|| CheckError::UnknownLanguage {
            given: shorten(code_lang.trim()),
            accepted: accepted_names(),
        })
    }

    /// The canonical `code_lang` spelling, which [`Language::parse`] reads back.
    pub fn code_lang(&self) -> String {
        match self {
            Language::Python => "python".to_owned(),
            Language::Sql(dialect) => format!("sql:{}", dialect.name()),
            Language::JavaScript => "javascript".to_owned(),
            Language::TypeScript => "typescript".to_owned(),
            Language::Jsx => "jsx".to_owned(),
            Language::Tsx => "tsx".to_owned(),
        }
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code_lang())
    }
}

fn accepted_names() -> String {
    let dialects: Vec<String> = SqlDialect::ALL
        .into_iter()
        .map(|dialect| match dialect.aliases() {
            [] => dialect.name().to_owned(),
            aliases => format!("{} ({})", dialect.name(), aliases.join(", ")),
        })
        .collect();
    format!(
        "python (py), javascript (js), typescript (ts), jsx, tsx, sql (generic), \
         and sql:<dialect> or a bare <dialect> for {}",
        dialects.join(", ")
    )
}

/// Keeps an error message readable when the caller passed something enormous.
fn shorten(text: &str) -> String {
    const MAX_CHARS: usize = 64;
    match text.char_indices().nth(MAX_CHARS) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_data_designer_names() {
        let cases = [
            ("python", Language::Python),
            ("sql:sqlite", Language::Sql(SqlDialect::Sqlite)),
            ("sql:postgres", Language::Sql(SqlDialect::Postgres)),
            ("sql:mysql", Language::Sql(SqlDialect::Mysql)),
            ("sql:tsql", Language::Sql(SqlDialect::Tsql)),
            ("sql:bigquery", Language::Sql(SqlDialect::Bigquery)),
            ("sql:ansi", Language::Sql(SqlDialect::Ansi)),
        ];
        for (name, expected) in cases {
            assert_eq!(Language::parse(name).unwrap(), expected, "{name}");
        }
    }

    #[test]
    fn reads_short_names_in_any_case() {
        let cases = [
            ("  SQLite ", Language::Sql(SqlDialect::Sqlite)),
            ("postgres", Language::Sql(SqlDialect::Postgres)),
            ("PostgreSQL", Language::Sql(SqlDialect::Postgres)),
            ("sql", Language::Sql(SqlDialect::Generic)),
            ("SQL:MSSQL", Language::Sql(SqlDialect::Tsql)),
            ("JavaScript", Language::JavaScript),
            ("js", Language::JavaScript),
            ("TypeScript", Language::TypeScript),
            ("ts", Language::TypeScript),
            ("JSX", Language::Jsx),
            ("tsx", Language::Tsx),
        ];
        for (name, expected) in cases {
            assert_eq!(Language::parse(name).unwrap(), expected, "{name}");
        }
    }

    #[test]
    fn canonical_names_round_trip() {
        let mut languages = vec![
            Language::Python,
            Language::JavaScript,
            Language::TypeScript,
            Language::Jsx,
            Language::Tsx,
        ];
        languages.extend(SqlDialect::ALL.into_iter().map(Language::Sql));
        for language in languages {
            assert_eq!(Language::parse(&language.code_lang()).unwrap(), language);
        }
    }

    #[test]
    fn unknown_names_list_the_accepted_ones() {
        for name in ["", "cobol", "sql:", "sql:oracle", "java"] {
            let error = Language::parse(name).unwrap_err();
            assert_eq!(error.code(), "code_check_unknown_language");
            let message = error.to_string();
            assert!(message.contains("sql:<dialect>"), "{message}");
            assert!(message.contains("postgres (postgresql"), "{message}");
        }
    }

    #[test]
    fn huge_unknown_names_are_shortened() {
        let name = "x".repeat(10_000);
        let error = Language::parse(&name).unwrap_err();
        assert!(error.to_string().len() < 1_000);
    }
}
