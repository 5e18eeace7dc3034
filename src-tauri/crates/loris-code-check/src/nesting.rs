//! A cheap guard against inputs nested so deeply that parsing them would cost
//! far more stack, memory and time than any real code needs.

use crate::outcome::CodeIssue;
use crate::position::line_column;

/// Deepest bracket nesting accepted. Real code stays far below (CPython itself
/// stops at 200); generated code that goes past it is broken or hostile.
pub(crate) const MAX_BRACKET_DEPTH: usize = 1_000;

/// Budget for `<` that may open TypeScript type arguments. Where they may, oxc
/// parses ahead speculatively and backs off, so each `<` costs time and arena
/// memory in proportion to the `<` still open before it in its statement. The
/// sum of those counts models the cost; this budget keeps a check near a
/// hundred megabytes and a fraction of a second even for hostile input such as
/// an unclosed `a<a<a<...` from a language model stuck in a loop, while real
/// code, with a handful of open `<` per statement, never comes near it.
pub(crate) const MAX_ANGLE_WORK: usize = 1_000_000;

/// Longest run of prefix operators (`- + ~ !`) accepted on one line. Each one
/// is a level of nesting in the syntax tree at a single byte of source, the
/// densest nesting there is apart from brackets.
pub(crate) const MAX_OPERATOR_RUN: usize = 1_000;

/// An issue placed where the code first nests deeper than the limits above.
///
/// Brackets and operators inside strings and comments are counted too: skipping
/// them would need a lexer per language, and real strings do not come near
/// these limits.
pub(crate) fn refuse_deep_nesting(code: &str, angles: Angles) -> Option<CodeIssue> {
    let (offset, message) = match find_excess(code, angles)? {
        Excess::Brackets(offset) => (
            offset,
            format!("brackets nest more than {MAX_BRACKET_DEPTH} levels deep, too deep to check"),
        ),
        Excess::Angles(offset) => (
            offset,
            "too many unclosed `<` to check in reasonable time".to_owned(),
        ),
        Excess::Operators(offset) => (
            offset,
            format!("more than {MAX_OPERATOR_RUN} operators in a row, too deep to check"),
        ),
    };
    let (line, column) = line_column(code, offset);
    Some(CodeIssue::at(message, line, column))
}

/// Whether `<` can open type arguments, as in TypeScript.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Angles {
    Count,
    Ignore,
}

#[derive(Debug, PartialEq, Eq)]
enum Excess {
    Brackets(usize),
    Angles(usize),
    Operators(usize),
}

fn find_excess(code: &str, angles: Angles) -> Option<Excess> {
    let mut depth: usize = 0;
    let mut open_angles: usize = 0;
    let mut angle_work: usize = 0;
    let mut run: usize = 0;
    for (offset, byte) in code.bytes().enumerate() {
        match byte {
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_BRACKET_DEPTH {
                    return Some(Excess::Brackets(offset));
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        if angles == Angles::Count {
            match byte {
                b'<' => {
                    open_angles += 1;
                    angle_work = angle_work.saturating_add(open_angles);
                    if angle_work > MAX_ANGLE_WORK {
                        return Some(Excess::Angles(offset));
                    }
                }
                b'>' => open_angles = open_angles.saturating_sub(1),
                // Speculation never runs past the end of a statement.
                b';' => open_angles = 0,
                _ => {}
            }
        }
        match byte {
            b'-' | b'+' | b'~' | b'!' => {
                run += 1;
                if run > MAX_OPERATOR_RUN {
                    return Some(Excess::Operators(offset));
                }
            }
            b' ' | b'\t' => {}
            _ => run = 0,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_code_passes() {
        assert_eq!(
            find_excess("f(a[1], { b: [2, (3)] }) - -x + !y", Angles::Count),
            None
        );
        assert_eq!(find_excess("", Angles::Count), None);
        let rulers = format!("# {}\n", "-".repeat(MAX_OPERATOR_RUN)).repeat(5);
        assert_eq!(find_excess(&rulers, Angles::Ignore), None);
    }

    #[test]
    fn finds_where_the_bracket_limit_is_crossed() {
        let code = format!("x = {}", "[".repeat(MAX_BRACKET_DEPTH + 5));
        assert_eq!(
            find_excess(&code, Angles::Ignore),
            Some(Excess::Brackets(4 + MAX_BRACKET_DEPTH))
        );
        let code = format!("a = 1\nb = {}", "(".repeat(MAX_BRACKET_DEPTH + 1));
        let issue = refuse_deep_nesting(&code, Angles::Ignore).unwrap();
        assert_eq!(issue.line, Some(2));
        assert!(issue.message.contains("brackets"));
    }

    #[test]
    fn finds_long_operator_chains() {
        let code = format!("x = {}1", "- ".repeat(MAX_OPERATOR_RUN + 1));
        assert_eq!(
            find_excess(&code, Angles::Ignore),
            Some(Excess::Operators(4 + 2 * MAX_OPERATOR_RUN))
        );
        assert!(
            refuse_deep_nesting(&code, Angles::Ignore)
                .unwrap()
                .message
                .contains("operators")
        );
    }

    #[test]
    fn closed_brackets_do_not_accumulate() {
        let code = "(a)".repeat(MAX_BRACKET_DEPTH * 3);
        assert_eq!(find_excess(&code, Angles::Ignore), None);
    }

    #[test]
    fn open_angles_count_only_where_asked() {
        let code = format!("x = {}1;", "a<".repeat(2_000));
        assert!(matches!(
            find_excess(&code, Angles::Count),
            Some(Excess::Angles(_))
        ));
        assert_eq!(find_excess(&code, Angles::Ignore), None);
    }

    #[test]
    fn many_short_open_runs_add_up() {
        let code = format!("x = {}1;\n", "a<".repeat(100)).repeat(1_000);
        assert!(matches!(
            find_excess(&code, Angles::Count),
            Some(Excess::Angles(_))
        ));
    }

    #[test]
    fn real_typescript_stays_within_budget() {
        let generics = "let m: Map<string, Array<number>> = new Map();\n".repeat(20_000);
        assert_eq!(find_excess(&generics, Angles::Count), None);
        let comparisons = "if (a < b && c < d) f()\n".repeat(500);
        assert_eq!(find_excess(&comparisons, Angles::Count), None);
    }
}
