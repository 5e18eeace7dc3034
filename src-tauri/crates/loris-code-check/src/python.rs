//! Python: a syntax check only; the code is never run.

use crate::outcome::{CheckOutcome, CodeIssue};
use crate::position::line_column;

/// Parses `code` as a module with Ruff's parser, which follows current Python
/// grammar (f-strings with nested quotes, `match`, `type` aliases, ...).
pub(crate) fn check_python(code: &str) -> CheckOutcome {
    match ruff_python_parser::parse_module(code) {
        Ok(_) => CheckOutcome::valid(),
        Err(error) => {
            let (line, column) = line_column(code, error.location.start().to_usize());
            CheckOutcome::invalid(CodeIssue::at(error.error.to_string(), line, column))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::check_python;

    fn assert_valid(code: &str) {
        let outcome = check_python(code);
        assert!(outcome.is_valid, "{code}\n{outcome:?}");
    }

    #[test]
    fn modern_syntax_is_valid() {
        assert_valid("name = 'x'\nprint(f\"{name!r:>10} {'nested'} {1 + 2=}\")\n");
        assert_valid("match point:\n    case (0, y):\n        pass\n    case _:\n        pass\n");
        assert_valid("async def main():\n    async with lock:\n        await job()\n");
        assert_valid("if (n := len(items)) > 3:\n    print(n)\n");
        assert_valid("def f(x: list[int], *, y: str | None = None) -> dict[str, int]: ...\n");
        assert_valid("type Pair[T] = tuple[T, T]\n");
    }

    #[test]
    fn first_error_has_its_line_and_column() {
        let outcome = check_python("x = 1\ny = (2 +\n");
        assert!(!outcome.is_valid);
        assert_eq!(outcome.error_count, 1);
        assert!(outcome.error_messages[0].line.is_some());
    }

    #[test]
    fn bad_indentation_is_invalid() {
        let outcome = check_python("def f():\nreturn 1\n");
        assert!(!outcome.is_valid);
        assert_eq!(outcome.error_messages[0].line, Some(2));
    }

    #[test]
    fn long_not_chains_fit_in_the_stack() {
        let code = format!("x = {}1\n", "not ".repeat(50_000));
        let outcome = crate::check(&crate::Language::Python, &code, &Default::default());
        assert!(outcome.is_valid, "{outcome:?}");
    }
}
