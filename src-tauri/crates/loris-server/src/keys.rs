//! Checking API keys: the keys stored by `loris_auth::ApiKeys`, a key given on the command line,
//! or either.

use std::sync::Arc;

use crate::error::{ApiError, ErrorKind};

pub trait KeyCheck: Send + Sync {
    /// `Ok` for a key that may use the API; an `authentication` error saying why not otherwise.
    fn check(&self, key: &str) -> Result<(), ApiError>;
}

fn refused(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorKind::Authentication, "invalid_api_key", message)
}

/// One fixed key (`loris serve --api-key`).
pub struct StaticKey(String);

impl StaticKey {
    pub fn new(key: impl Into<String>) -> Self {
        StaticKey(key.into())
    }
}

impl KeyCheck for StaticKey {
    fn check(&self, key: &str) -> Result<(), ApiError> {
        if constant_time_eq(self.0.as_bytes(), key.as_bytes()) {
            Ok(())
        } else {
            Err(refused("invalid API key"))
        }
    }
}

/// Compares without stopping at the first difference, so timing does not reveal a prefix.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl KeyCheck for loris_auth::ApiKeys {
    fn check(&self, key: &str) -> Result<(), ApiError> {
        match self.verify(key) {
            Ok(_) => Ok(()),
            Err(err) => match err.unauthenticated_reason() {
                Some(reason) => Err(refused(match reason {
                    loris_auth::UnauthenticatedReason::Revoked => "this API key has been revoked",
                    loris_auth::UnauthenticatedReason::Expired => "this API key has expired",
                    _ => "invalid API key",
                })),
                None => {
                    tracing::warn!(code = err.code(), "API key check failed: {err}");
                    Err(ApiError::new(
                        ErrorKind::Internal,
                        "internal",
                        "the API key could not be checked",
                    ))
                }
            },
        }
    }
}

/// Accepts a key any of its checks accepts; the first refusal's reason otherwise.
pub struct AnyKey(pub Vec<Arc<dyn KeyCheck>>);

impl KeyCheck for AnyKey {
    fn check(&self, key: &str) -> Result<(), ApiError> {
        let mut first_err = None;
        for check in &self.0 {
            match check.check(key) {
                Ok(()) => return Ok(()),
                Err(e) if e.kind == ErrorKind::Internal => return Err(e),
                Err(e) => {
                    first_err.get_or_insert(e);
                }
            }
        }
        Err(first_err.unwrap_or_else(|| refused("invalid API key")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_key_matches_exactly() {
        let key = StaticKey::new("secret-1");
        assert!(key.check("secret-1").is_ok());
        assert!(key.check("secret-2").is_err());
        assert!(key.check("secret").is_err());
        assert!(key.check("").is_err());
    }

    #[test]
    fn any_key_accepts_either() {
        let any = AnyKey(vec![
            Arc::new(StaticKey::new("a")),
            Arc::new(StaticKey::new("b")),
        ]);
        assert!(any.check("b").is_ok());
        assert_eq!(any.check("c").unwrap_err().kind, ErrorKind::Authentication);
    }
}
