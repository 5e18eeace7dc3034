//! JavaScript, TypeScript, JSX and TSX: parse with oxc and report its syntax errors.

use oxc_allocator::Allocator;
use oxc_parser::{ParseOptions, Parser};
use oxc_span::{LabeledSpan, SourceType};

use crate::outcome::{CheckOutcome, CodeIssue, MAX_REPORTED_ISSUES};
use crate::position::line_column;

/// The dialects of ECMAScript that oxc parses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    JavaScript,
    TypeScript,
    Jsx,
    Tsx,
}

impl Flavor {
    fn source_type(self) -> SourceType {
        match self {
            Flavor::JavaScript => SourceType::mjs(),
            Flavor::TypeScript => SourceType::ts(),
            Flavor::Jsx => SourceType::jsx(),
            Flavor::Tsx => SourceType::tsx(),
        }
    }
}

/// Generated snippets rarely say whether they are modules or classic scripts, so
/// either reading is accepted. Modules come first because most modern code is
/// one; a script reading rescues code that is only legal in sloppy mode (`with`,
/// legacy octal literals, `await` as a name).
pub(crate) fn check_ecmascript(flavor: Flavor, code: &str) -> CheckOutcome {
    let source_type = flavor.source_type();
    let as_module = syntax_errors(code, source_type.with_module(true));
    if as_module.total == 0 {
        return CheckOutcome::valid();
    }
    let as_script = syntax_errors(code, source_type.with_script(true));
    if as_script.total == 0 {
        return CheckOutcome::valid();
    }
    // The reading with fewer errors is the one closer to what the author meant.
    let closer = if as_script.total < as_module.total {
        as_script
    } else {
        as_module
    };
    CheckOutcome::from_found(closer.issues, closer.total)
}

/// The errors of one parse: all counted, only the reportable ones described,
/// since placing each costs a scan of its line.
struct Errors {
    issues: Vec<CodeIssue>,
    total: usize,
}

fn syntax_errors(code: &str, source_type: SourceType) -> Errors {
    let allocator = Allocator::default();
    let options = ParseOptions {
        parse_regular_expression: true,
        ..ParseOptions::default()
    };
    let parsed = Parser::new(&allocator, code, source_type)
        .with_options(options)
        .parse();
    let issues = parsed
        .diagnostics
        .errors()
        .take(MAX_REPORTED_ISSUES)
        .map(|diagnostic| describe(code, diagnostic.message.as_ref(), diagnostic.labels.first()))
        .collect();
    Errors {
        issues,
        total: parsed.diagnostics.errors().count(),
    }
}

fn describe(code: &str, message: &str, label: Option<&LabeledSpan>) -> CodeIssue {
    match label {
        Some(label) => {
            let offset = usize::try_from(label.offset()).unwrap_or(usize::MAX);
            let (line, column) = line_column(code, offset);
            CodeIssue::at(message, line, column)
        }
        None => CodeIssue::new(message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CheckOptions, Language};

    #[test]
    fn modules_and_scripts_are_both_fine() {
        let module = "import fs from 'node:fs';\nexport const read = (p) => fs.readFileSync(p);\n";
        assert!(check_ecmascript(Flavor::JavaScript, module).is_valid);
        let sloppy = "with (Math) { var r = max(1, 2); }\nvar n = 010;\n";
        assert!(check_ecmascript(Flavor::JavaScript, sloppy).is_valid);
    }

    #[test]
    fn errors_carry_line_and_column() {
        let outcome = check_ecmascript(Flavor::JavaScript, "const a = 1;\nconst b = ;\n");
        assert!(!outcome.is_valid);
        let issue = &outcome.error_messages[0];
        assert_eq!(issue.line, Some(2));
        assert_eq!(issue.column, Some(11));
    }

    #[test]
    fn invalid_regular_expressions_are_errors() {
        let outcome = check_ecmascript(Flavor::JavaScript, "const r = /(unclosed/u;\n");
        assert!(!outcome.is_valid, "{outcome:?}");
    }

    #[test]
    fn long_arrow_chains_fit_in_the_stack() {
        let code = format!("const f = {}0;", "a => ".repeat(40_000));
        let outcome = crate::check(&Language::TypeScript, &code, &CheckOptions::default());
        assert!(outcome.is_valid, "{outcome:?}");
    }

    #[test]
    fn many_errors_are_counted_but_few_described() {
        let code = "const r = /(/u;\n".repeat(MAX_REPORTED_ISSUES * 4);
        let outcome = check_ecmascript(Flavor::JavaScript, &code);
        assert!(!outcome.is_valid);
        assert_eq!(outcome.error_messages.len(), MAX_REPORTED_ISSUES);
        assert!(
            outcome.error_count > MAX_REPORTED_ISSUES,
            "{}",
            outcome.error_count
        );
    }

    #[test]
    fn tsx_accepts_types_and_markup() {
        let code = "export function Hi({ name }: { name: string }) { return <b>{name}</b>; }\n";
        assert!(check_ecmascript(Flavor::Tsx, code).is_valid);
        assert!(!check_ecmascript(Flavor::TypeScript, code).is_valid);
        assert!(!check_ecmascript(Flavor::Jsx, code).is_valid);
    }
}
