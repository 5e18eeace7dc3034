use thiserror::Error;

/// Errors from interpreting a caller's request; problems in the checked code are
/// never errors but [`crate::CodeIssue`]s inside a [`crate::CheckOutcome`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CheckError {
    #[error("unknown code language {given:?}; accepted: {accepted}")]
    UnknownLanguage { given: String, accepted: String },
}

impl CheckError {
    /// A stable identifier that callers may match on or show beside the message.
    pub fn code(&self) -> &'static str {
        match self {
            CheckError::UnknownLanguage { .. } => "code_check_unknown_language",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable_snake_case() {
        let error = CheckError::UnknownLanguage {
            given: "cobol".into(),
            accepted: "python".into(),
        };
        assert_eq!(error.code(), "code_check_unknown_language");
        assert!(error.to_string().contains("\"cobol\""));
    }
}
