use std::time::{Duration, Instant};

use loris_code_check::{
    CheckOptions, CheckOutcome, Language, MAX_CODE_BYTES, SqlDialect, check, extract_code,
};

fn lang(name: &str) -> Language {
    Language::parse(name).unwrap()
}

fn run(name: &str, code: &str) -> CheckOutcome {
    check(&lang(name), code, &CheckOptions::default())
}

fn assert_valid(name: &str, code: &str) {
    let outcome = run(name, code);
    assert!(
        outcome.is_valid,
        "{name} should accept:\n{code}\n{outcome:#?}"
    );
    assert_eq!(outcome.error_count, 0);
    assert!(outcome.error_messages.is_empty());
}

fn assert_invalid(name: &str, code: &str) -> CheckOutcome {
    let outcome = run(name, code);
    assert!(!outcome.is_valid, "{name} should reject:\n{code}");
    assert!(outcome.error_count >= 1);
    assert!(!outcome.error_messages.is_empty());
    outcome
}

fn message(outcome: &CheckOutcome) -> String {
    outcome.error_messages[0].message.to_lowercase()
}

#[test]
fn python_modern_syntax() {
    assert_valid(
        "python",
        "user = 'ada'\nprint(f'hello {user.title()!r} {\"x\" * 2}')\n",
    );
    assert_valid(
        "python",
        "match command.split():\n    case [\"go\", direction]:\n        move(direction)\n    case _:\n        pass\n",
    );
    assert_valid(
        "python",
        "import asyncio\n\nasync def fetch(n: int) -> list[int]:\n    await asyncio.sleep(0)\n    return [i async for i in source(n)]\n",
    );
    assert_valid("python", "while (chunk := read()):\n    handle(chunk)\n");
}

#[test]
fn python_syntax_error_reports_its_line() {
    let outcome = assert_invalid("python", "import os\n\ndef f(:\n    pass\n");
    let issue = &outcome.error_messages[0];
    assert_eq!(issue.line, Some(3));
    assert_eq!(issue.column, Some(7));
}

#[test]
fn sql_dialects() {
    assert_valid(
        "sql:postgres",
        "SELECT price::int FROM items WHERE name ILIKE 'a%';",
    );
    assert_valid(
        "sql:tsql",
        "SELECT TOP 5 name FROM dbo.users ORDER BY created DESC;",
    );
    assert_valid("sql:mysql", "SELECT `name` FROM `users` LIMIT 10;");
    assert_valid(
        "sql:bigquery",
        "SELECT * FROM `project.dataset.table` WHERE DATE(ts) = CURRENT_DATE();",
    );
    assert_valid("sql:ansi", "SELECT a FROM t WHERE b IN (SELECT b FROM u);");
    assert_valid("sql", "SELECT 1;");
    assert_valid("sql:snowflake", "SELECT v:name::string FROM events;");
    assert_invalid("sql:postgres", "SELECT `name` FROM `users`;");
    // sqlparser accepts TOP everywhere; SQLite itself refuses it when the code runs.
    let top = assert_invalid("sql:sqlite", "SELECT TOP 5 name FROM users;");
    assert!(message(&top).contains("syntax error"), "{top:?}");
    let outcome = assert_invalid("sql:mysql", "SELECT name\nFROM users\nWHERE;");
    assert_eq!(outcome.error_messages[0].line, Some(3));
}

#[test]
fn sqlite_execution_succeeds() {
    assert_valid(
        "sql:sqlite",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n\
         INSERT INTO users (name) VALUES ('ada'), ('grace');\n\
         SELECT name FROM users WHERE id = 2;",
    );
}

#[test]
fn sqlite_missing_table_is_invalid() {
    let outcome = assert_invalid("sql:sqlite", "SELECT name FROM users;");
    assert!(message(&outcome).contains("no such table"), "{outcome:?}");
}

#[test]
fn sqlite_without_execution_only_parses() {
    let options = CheckOptions {
        execute_sqlite: false,
        ..CheckOptions::default()
    };
    let outcome = check(&lang("sqlite"), "SELECT name FROM users;", &options);
    assert!(outcome.is_valid);
}

#[test]
fn sqlite_setup_is_run_first() {
    let options = CheckOptions {
        sqlite_setup: Some("CREATE TABLE users (id INTEGER, name TEXT);".into()),
        ..CheckOptions::default()
    };
    let code = "SELECT name FROM users WHERE id > 1 ORDER BY name;";
    assert!(check(&lang("sql:sqlite"), code, &options).is_valid);
    let broken = CheckOptions {
        sqlite_setup: Some("CREATE TABLE users (id INTEGER,".into()),
        ..CheckOptions::default()
    };
    let outcome = check(&lang("sql:sqlite"), code, &broken);
    assert!(!outcome.is_valid);
    assert!(message(&outcome).contains("setup"), "{outcome:?}");
}

#[test]
fn sqlite_attach_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.db");
    let code = format!("ATTACH DATABASE '{}' AS other;", path.display());
    let outcome = assert_invalid("sql:sqlite", &code);
    assert!(message(&outcome).contains("attach"), "{outcome:?}");
    assert!(!path.exists());
}

#[test]
fn sqlite_runaway_query_is_interrupted() {
    let options = CheckOptions {
        timeout: Duration::from_millis(100),
        ..CheckOptions::default()
    };
    // The aggregate keeps SQLite busy without returning a row, so only the deadline stops it.
    let code =
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n;";
    let started = Instant::now();
    let outcome = check(&lang("sql:sqlite"), code, &options);
    assert!(started.elapsed() < Duration::from_secs(1));
    assert!(!outcome.is_valid);
    let text = message(&outcome);
    assert!(
        text.contains("interrupted") && text.contains("time limit"),
        "{text}"
    );
}

#[test]
fn typescript_annotations_need_typescript() {
    let code = "function add(a: number, b: number): number {\n  return a + b;\n}\n";
    assert_valid("ts", code);
    assert_valid("tsx", code);
    let outcome = assert_invalid("javascript", code);
    assert_eq!(outcome.error_messages[0].line, Some(1));
    assert!(outcome.error_messages[0].column.is_some());
}

#[test]
fn javascript_samples() {
    assert_valid(
        "js",
        "const xs = [1, 2, 3].map((x) => x * 2);\nconsole.log(xs);\n",
    );
    assert_valid(
        "javascript",
        "export default async function main() { await run(); }\n",
    );
    let outcome = assert_invalid("js", "function broken( {\n  return 1;\n}\n");
    assert!(outcome.error_messages[0].line.is_some());
}

#[test]
fn jsx_needs_jsx() {
    let code = "export const App = () => <div className=\"app\">{items.map((i) => <Item key={i} />)}</div>;\n";
    assert_valid("jsx", code);
    assert_valid("tsx", code);
    assert_invalid("js", code);
    assert_invalid("jsx", "const a = <div>;\n");
}

#[test]
fn typescript_samples() {
    assert_valid(
        "typescript",
        "interface User { id: number; name?: string }\nexport const byId = new Map<number, User>();\n",
    );
    assert_invalid("ts", "let x: = 3;\n");
}

#[test]
fn empty_code_is_invalid_everywhere() {
    for name in [
        "python",
        "sql:sqlite",
        "sql:postgres",
        "js",
        "ts",
        "jsx",
        "tsx",
    ] {
        let outcome = assert_invalid(name, "  \n\t ");
        assert_eq!(outcome.error_count, 1, "{name}");
    }
    let sql = assert_invalid("sql:sqlite", "");
    assert!(message(&sql).contains("no statements"));
}

#[test]
fn oversized_code_is_not_parsed() {
    let code = "x = 1\n".repeat(MAX_CODE_BYTES / 6 + 1);
    let outcome = assert_invalid("python", &code);
    assert!(message(&outcome).contains("limit"), "{outcome:?}");
}

#[test]
fn unknown_language_code() {
    let error = Language::parse("sql:cobol").unwrap_err();
    assert_eq!(error.code(), "code_check_unknown_language");
    assert!(error.to_string().contains("python"));
    assert_eq!(
        Language::parse(" SQL:TSQL ").unwrap(),
        Language::Sql(SqlDialect::Tsql)
    );
}

#[test]
fn extract_then_check() {
    let answer = "Sure! Here is the query:\n\n```sql\nSELECT 1 AS one;\n```\n\nIt returns one row.";
    let language = lang("sql:sqlite");
    let code = extract_code(answer, Some(&language));
    assert_eq!(code, "SELECT 1 AS one;");
    assert!(check(&language, &code, &CheckOptions::default()).is_valid);

    let python = "```py\ndef f():\n    return 1\n```";
    assert_eq!(
        extract_code(python, Some(&lang("python"))),
        "def f():\n    return 1"
    );
    let tsx = "```tsx\nconst a = <b/>;\n```\n```ts\nlet n = 1;\n```";
    assert_eq!(extract_code(tsx, Some(&lang("ts"))), "let n = 1;");
    assert_eq!(extract_code("no fences here  ", None), "no fences here");
}

#[test]
fn outcome_serializes_for_the_caller() {
    let outcome = assert_invalid("python", "def f(:\n");
    let value = serde_json::to_value(&outcome).unwrap();
    assert_eq!(value["is_valid"], false);
    assert_eq!(value["error_count"], 1);
    assert_eq!(value["error_messages"][0]["line"], 1);
}

#[test]
fn hostile_inputs_do_not_crash() {
    let deep_js = format!("x = {}1;", "[".repeat(MAX_CODE_BYTES - 10));
    let outcome = assert_invalid("js", &deep_js);
    assert!(message(&outcome).contains("too deep"), "{outcome:?}");
    let unary = format!("x = {}1;", "-".repeat(200_000));
    let _ = run("ts", &unary);
    let deep_py = format!("x = {}", "(".repeat(100_000));
    let _ = run("python", &deep_py);
    let deep_sql = format!("SELECT {}", "(".repeat(100_000));
    let _ = run("sql:sqlite", &deep_sql);
    for name in ["python", "sql:sqlite", "js", "tsx"] {
        let _ = run(name, "\u{0}\u{feff}\u{2028}`${'\"\\");
    }
}
