//! Pulls code out of a language model's answer, which usually wraps it in a
//! Markdown fence and surrounds it with prose.

use crate::language::{Language, SqlDialect};

/// The code in `text`: the first fenced block tagged for `language`, else the
/// first block tagged with a close relative (`js` for JSX, `ts` for TSX, another
/// SQL dialect), else the first fenced block of any kind, else all of `text`
/// trimmed.
///
/// Fences follow CommonMark: three or more backticks or tildes indented by at
/// most three spaces, closed by a run of the same character at least as long. An
/// unclosed fence runs to the end of the text, as a truncated answer would.
pub fn extract_code(text: &str, language: Option<&Language>) -> String {
    let blocks = fenced_blocks(text);
    let ranked = language.and_then(|language| {
        [Match::Exact, Match::Related]
            .into_iter()
            .find_map(|wanted| {
                blocks
                    .iter()
                    .find(|block| tag_match(language, &block.tag) == Some(wanted))
            })
    });
    match ranked.or(blocks.first()) {
        Some(block) => block.body.clone(),
        None => text.trim().to_owned(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Match {
    Exact,
    Related,
}

fn tag_match(language: &Language, tag: &str) -> Option<Match> {
    let (exact, related): (&[&str], &[&str]) = match language {
        Language::Python => (&["python", "py", "python3", "py3"], &[]),
        Language::JavaScript => (&["javascript", "js", "mjs", "cjs", "node"], &["jsx"]),
        Language::TypeScript => (&["typescript", "ts"], &["tsx"]),
        Language::Jsx => (&["jsx"], &["javascript", "js", "react"]),
        Language::Tsx => (&["tsx"], &["typescript", "ts"]),
        Language::Sql(dialect) => return sql_tag_match(*dialect, tag),
    };
    if exact.contains(&tag) {
        Some(Match::Exact)
    } else if related.contains(&tag) {
        Some(Match::Related)
    } else {
        None
    }
}

fn sql_tag_match(dialect: SqlDialect, tag: &str) -> Option<Match> {
    if tag == "sql" || SqlDialect::from_name(tag) == Some(dialect) {
        Some(Match::Exact)
    } else if SqlDialect::from_name(tag).is_some() || matches!(tag, "plsql" | "plpgsql") {
        Some(Match::Related)
    } else {
        None
    }
}

struct Block {
    /// The info string's first word, lowercased, with `{.lang}` and
    /// `language-lang` decorations removed.
    tag: String,
    body: String,
}

struct Fence {
    marker: u8,
    length: usize,
    indent: usize,
}

fn fenced_blocks(text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let Some((fence, info)) = opening_fence(line) else {
            continue;
        };
        let mut body_lines = Vec::new();
        for line in lines.by_ref() {
            if closes(&fence, line) {
                break;
            }
            body_lines.push(strip_indent(line, fence.indent));
        }
        blocks.push(Block {
            tag: tag_of(info),
            body: tidy(&body_lines),
        });
    }
    blocks
}

fn opening_fence(line: &str) -> Option<(Fence, &str)> {
    let indent = leading_spaces(line);
    if indent > 3 {
        return None;
    }
    let rest = &line[indent..];
    let marker = *rest.as_bytes().first()?;
    if marker != b'`' && marker != b'~' {
        return None;
    }
    let length = rest.bytes().take_while(|&byte| byte == marker).count();
    if length < 3 {
        return None;
    }
    let info = rest[length..].trim();
    // CommonMark: a backtick in a backtick fence's info string makes it inline code.
    if marker == b'`' && info.contains('`') {
        return None;
    }
    Some((
        Fence {
            marker,
            length,
            indent,
        },
        info,
    ))
}

fn closes(fence: &Fence, line: &str) -> bool {
    let indent = leading_spaces(line);
    if indent > 3 {
        return false;
    }
    let rest = &line[indent..];
    let length = rest
        .bytes()
        .take_while(|&byte| byte == fence.marker)
        .count();
    length >= fence.length && rest[length..].trim().is_empty()
}

fn leading_spaces(line: &str) -> usize {
    line.bytes().take_while(|&byte| byte == b' ').count()
}

/// Content lines lose as much of the fence's own indentation as they have.
fn strip_indent(line: &str, indent: usize) -> &str {
    let strip = leading_spaces(line).min(indent);
    &line[strip..]
}

fn tag_of(info: &str) -> String {
    let word = info.split_whitespace().next().unwrap_or("");
    let word = word.trim_start_matches(['{', '.']).trim_end_matches('}');
    let word = word.strip_prefix("language-").unwrap_or(word);
    word.to_ascii_lowercase()
}

/// Drops blank lines around the code but keeps the first line's indentation,
/// which matters to Python.
fn tidy(lines: &[&str]) -> String {
    let is_blank = |line: &&str| line.trim().is_empty();
    let start = lines.iter().position(|line| !is_blank(line));
    let end = lines.iter().rposition(|line| !is_blank(line));
    match (start, end) {
        (Some(start), Some(end)) => lines[start..=end].join("\n"),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_block_for_the_language() {
        let text = "Install:\n```bash\npip install x\n```\nThen:\n```python\nprint('hi')\n```\n";
        assert_eq!(extract_code(text, Some(&Language::Python)), "print('hi')");
        assert_eq!(extract_code(text, None), "pip install x");
    }

    #[test]
    fn prefers_exact_tags_over_relatives() {
        let text = "```js\nconst a = 1;\n```\n```jsx\nconst b = <i/>;\n```";
        assert_eq!(extract_code(text, Some(&Language::Jsx)), "const b = <i/>;");
        let only_js = "```sh\nnpm i\n```\n```js\nconst a = 1;\n```";
        assert_eq!(extract_code(only_js, Some(&Language::Jsx)), "const a = 1;");
    }

    #[test]
    fn sql_dialect_tags_count_as_sql() {
        let text = "```text\nnotes\n```\n```postgresql\nSELECT 1::int;\n```";
        let postgres = Language::Sql(SqlDialect::Postgres);
        assert_eq!(extract_code(text, Some(&postgres)), "SELECT 1::int;");
        let sqlite = Language::Sql(SqlDialect::Sqlite);
        assert_eq!(extract_code(text, Some(&sqlite)), "SELECT 1::int;");
    }

    #[test]
    fn tilde_fences_and_longer_closers() {
        let text = "~~~~ py\nx = 1\n~~~\ny = 2\n~~~~~\n";
        assert_eq!(
            extract_code(text, Some(&Language::Python)),
            "x = 1\n~~~\ny = 2"
        );
    }

    #[test]
    fn unterminated_fence_runs_to_the_end() {
        let text = "Here you go:\n```ts\nlet n: number = 1;\nn += 1;";
        assert_eq!(
            extract_code(text, Some(&Language::TypeScript)),
            "let n: number = 1;\nn += 1;"
        );
    }

    #[test]
    fn keeps_indentation_inside_the_block() {
        let text = "  ```python\n      return 1\n  ```";
        assert_eq!(extract_code(text, Some(&Language::Python)), "    return 1");
    }

    #[test]
    fn decorated_info_strings() {
        assert_eq!(tag_of("{.Python linenos=true}"), "python");
        assert_eq!(tag_of("language-sql"), "sql");
        assert_eq!(tag_of(""), "");
    }

    #[test]
    fn plain_text_is_trimmed() {
        assert_eq!(extract_code("  SELECT 1;\n\n", None), "SELECT 1;");
        assert_eq!(extract_code("", Some(&Language::Python)), "");
        assert_eq!(
            extract_code("``` inline ``` only", None),
            "``` inline ``` only"
        );
    }

    #[test]
    fn windows_line_endings() {
        let text = "```sql\r\nSELECT 1;\r\n```\r\n";
        assert_eq!(extract_code(text, None), "SELECT 1;");
    }
}
