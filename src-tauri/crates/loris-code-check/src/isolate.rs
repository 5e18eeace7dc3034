//! Runs a check on a thread of its own, sized for the input, so that neither the
//! caller's stack size nor a bug in a parser can take the caller down.

use std::thread;

use crate::outcome::{CheckOutcome, CodeIssue};

/// Stack for small inputs, ample for every checker at ordinary nesting.
const BASE_STACK_BYTES: usize = 16 * 1024 * 1024;

/// Extra stack per byte of code. oxc's parser, and the drop of Ruff's syntax
/// tree, recurse once per nesting level with no limit of their own. In
/// unoptimised builds the costliest constructs the nesting guard lets through
/// (chains of `**`, `not`, `=>`, unclosed JSX tags) take under 700 bytes of
/// stack per byte of source, so no input within [`crate::MAX_CODE_BYTES`] can
/// overflow. Snippets of a few kilobytes stay near the base size.
const STACK_BYTES_PER_CODE_BYTE: usize = 1024;

/// Runs `check` with a stack sized for `code_len` bytes of code. A panic
/// becomes an issue instead of unwinding into the caller.
pub(crate) fn check_isolated(
    code_len: usize,
    check: impl FnOnce() -> CheckOutcome + Send,
) -> CheckOutcome {
    run_isolated(stack_bytes_for(code_len), check).unwrap_or_else(CheckOutcome::invalid)
}

/// The size reserves address space, not memory: pages are touched only as deep
/// as the check actually goes.
fn stack_bytes_for(code_len: usize) -> usize {
    code_len
        .saturating_mul(STACK_BYTES_PER_CODE_BYTE)
        .saturating_add(BASE_STACK_BYTES)
}

fn run_isolated<T: Send>(
    stack_bytes: usize,
    work: impl FnOnce() -> T + Send,
) -> Result<T, CodeIssue> {
    thread::scope(|scope| {
        let handle = thread::Builder::new()
            .name("loris-code-check".to_owned())
            .stack_size(stack_bytes)
            .spawn_scoped(scope, work)
            .map_err(|error| CodeIssue::new(format!("could not start the checker: {error}")))?;
        handle
            .join()
            .map_err(|_| CodeIssue::new("the checker failed unexpectedly on this input"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn returns_the_work_result() {
        let text = String::from("borrowed");
        assert_eq!(run_isolated(BASE_STACK_BYTES, || text.len()).unwrap(), 8);
    }

    #[test]
    fn a_panic_becomes_an_issue() {
        let outcome = check_isolated(10, || panic!("parser bug"));
        assert!(!outcome.is_valid);
        assert!(
            outcome.error_messages[0]
                .message
                .contains("failed unexpectedly")
        );
    }

    #[test]
    fn stack_grows_with_the_code() {
        assert_eq!(stack_bytes_for(0), BASE_STACK_BYTES);
        assert!(stack_bytes_for(crate::MAX_CODE_BYTES) > crate::MAX_CODE_BYTES * 700);
        assert_eq!(stack_bytes_for(usize::MAX), usize::MAX);
    }
}
