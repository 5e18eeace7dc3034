//! Auth errors with stable codes. The UI switches on [`Error::code`] and reads [`Error::details`];
//! no message or detail ever carries a password, a token or a key.

use loris_core::ApiError;

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a token was refused. Serialized as `details.reason` of the `unauthenticated` code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnauthenticatedReason {
    /// No token was given.
    Missing,
    /// Not a JWT, or its claims are not ours.
    Malformed,
    Expired,
    /// Signed with another key: forged, or issued before the key rotated (a password change).
    InvalidSignature,
    /// Logged out, or its session was revoked (password change or reset, refresh-token reuse).
    Revoked,
    /// Issued before the user's password last changed.
    PasswordChanged,
    /// A refresh token this store never issued (or long since pruned).
    UnknownToken,
}

impl UnauthenticatedReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::Malformed => "malformed",
            Self::Expired => "expired",
            Self::InvalidSignature => "invalid_signature",
            Self::Revoked => "revoked",
            Self::PasswordChanged => "password_changed",
            Self::UnknownToken => "unknown_token",
        }
    }
}

impl std::fmt::Display for UnauthenticatedReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which rule a new password broke. Serialized as `details.reason` of `password_policy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyViolation {
    TooShort,
    TooLong,
    SameAsOld,
}

impl PolicyViolation {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TooShort => "too_short",
            Self::TooLong => "too_long",
            Self::SameAsOld => "same_as_old",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("Loris Studio is already set up: a user exists")]
    AlreadyInitialized,

    #[error("wrong username or password")]
    InvalidCredentials,

    #[error("too many failed sign-in attempts: try again in {retry_after_seconds} s")]
    LockedOut { retry_after_seconds: u64 },

    #[error("not signed in ({reason})")]
    Unauthenticated { reason: UnauthenticatedReason },

    #[error(
        "this refresh token was already used: its session has been signed out everywhere, sign in again"
    )]
    RefreshTokenReused,

    #[error("{}", policy_message(*.reason))]
    PasswordPolicy { reason: PolicyViolation },

    #[error("the password must be changed first")]
    PasswordChangeRequired,

    #[error("secret store ({backend}): {reason}")]
    SecretStore { backend: String, reason: String },

    /// Errors of the store and other service-layer pieces keep their own codes.
    #[error(transparent)]
    Core(#[from] loris_core::Error),

    #[error("database error: {0}")]
    Database(#[from] rusqlite::Error),

    #[error("internal error: {0}")]
    Internal(String),
}

fn policy_message(reason: PolicyViolation) -> String {
    match reason {
        PolicyViolation::TooShort => format!(
            "the new password must have at least {} characters",
            crate::password::MIN_PASSWORD_CHARS
        ),
        PolicyViolation::TooLong => format!(
            "the new password must have at most {} characters",
            crate::password::MAX_PASSWORD_CHARS
        ),
        PolicyViolation::SameAsOld => "the new password must differ from the old one".to_owned(),
    }
}

impl Error {
    /// The stable code the UI and scripts switch on.
    pub fn code(&self) -> &'static str {
        match self {
            Error::AlreadyInitialized => "already_initialized",
            Error::InvalidCredentials => "invalid_credentials",
            Error::LockedOut { .. } => "locked_out",
            Error::Unauthenticated { .. } => "unauthenticated",
            Error::RefreshTokenReused => "refresh_token_reused",
            Error::PasswordPolicy { .. } => "password_policy",
            Error::PasswordChangeRequired => "password_change_required",
            Error::SecretStore { .. } => "secret_store",
            Error::Core(core) => core.code(),
            Error::Database(_) => "database",
            Error::Internal(_) => "internal",
        }
    }

    /// Structured details a UI can act on (a countdown, which rule failed).
    pub fn details(&self) -> Option<serde_json::Value> {
        match self {
            Error::LockedOut {
                retry_after_seconds,
            } => Some(serde_json::json!({ "retryAfterSeconds": retry_after_seconds })),
            Error::Unauthenticated { reason } => {
                Some(serde_json::json!({ "reason": reason.as_str() }))
            }
            Error::PasswordPolicy { reason } => Some(serde_json::json!({
                "reason": reason.as_str(),
                "minLength": crate::password::MIN_PASSWORD_CHARS,
                "maxLength": crate::password::MAX_PASSWORD_CHARS,
            })),
            Error::SecretStore { backend, .. } => Some(serde_json::json!({ "backend": backend })),
            Error::Core(core) => core.details(),
            _ => None,
        }
    }

    pub(crate) fn unauthenticated(reason: UnauthenticatedReason) -> Self {
        Error::Unauthenticated { reason }
    }

    pub(crate) fn secret_store(backend: impl Into<String>, reason: impl std::fmt::Display) -> Self {
        Error::SecretStore {
            backend: backend.into(),
            reason: reason.to_string(),
        }
    }

    /// The `unauthenticated` reason, when this is one.
    pub fn unauthenticated_reason(&self) -> Option<UnauthenticatedReason> {
        match self {
            Error::Unauthenticated { reason } => Some(*reason),
            _ => None,
        }
    }
}

impl From<&Error> for ApiError {
    fn from(err: &Error) -> Self {
        ApiError {
            code: err.code().to_owned(),
            message: err.to_string(),
            details: err.details(),
        }
    }
}

impl From<Error> for ApiError {
    fn from(err: Error) -> Self {
        ApiError::from(&err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locked_out_carries_the_countdown() {
        let api = ApiError::from(Error::LockedOut {
            retry_after_seconds: 42,
        });
        assert_eq!(api.code, "locked_out");
        assert_eq!(
            api.details,
            Some(serde_json::json!({"retryAfterSeconds": 42}))
        );
        assert!(api.message.contains("42 s"));
    }

    #[test]
    fn unauthenticated_names_its_reason() {
        let api = ApiError::from(Error::unauthenticated(
            UnauthenticatedReason::PasswordChanged,
        ));
        assert_eq!(api.code, "unauthenticated");
        assert_eq!(
            api.details,
            Some(serde_json::json!({"reason": "password_changed"}))
        );
    }

    #[test]
    fn core_errors_keep_their_code() {
        let err = Error::from(loris_core::Error::NotFound {
            kind: "user",
            id: "bob".into(),
        });
        assert_eq!(err.code(), "not_found");
        assert_eq!(ApiError::from(&err).details.unwrap()["kind"], "user");
    }

    #[test]
    fn policy_details_name_the_rule_and_limits() {
        let api = ApiError::from(Error::PasswordPolicy {
            reason: PolicyViolation::TooShort,
        });
        assert_eq!(api.code, "password_policy");
        let details = api.details.unwrap();
        assert_eq!(details["reason"], "too_short");
        assert_eq!(details["minLength"], 8);
    }
}
