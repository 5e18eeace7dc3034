//! Access tokens: HS256 JWTs. Expiry is checked against the injected clock, not inside
//! `jsonwebtoken` (which reads the system clock), so tests can step past it.

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, UnauthenticatedReason};

/// Access tokens live 60 minutes; the UI refreshes before then.
pub const ACCESS_TOKEN_TTL_SECS: i64 = 60 * 60;
/// Refresh tokens live 7 days from their issue; each refresh issues a new one.
pub const REFRESH_TOKEN_TTL_SECS: i64 = 7 * 24 * 60 * 60;

const ISSUER: &str = "loris-studio";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Claims {
    pub iss: String,
    /// The user id.
    pub sub: String,
    /// The session (refresh-token family) this token belongs to; logout revokes it.
    pub sid: String,
    /// The user's password version when issued: a token from before a change or reset is
    /// refused even where its signature still verifies (another process's cached key).
    pub pv: i64,
    pub iat: i64,
    pub exp: i64,
}

impl Claims {
    pub fn new(user_id: &str, sid: &str, password_version: i64, now: i64) -> Self {
        Claims {
            iss: ISSUER.to_owned(),
            sub: user_id.to_owned(),
            sid: sid.to_owned(),
            pv: password_version,
            iat: now,
            exp: now.saturating_add(ACCESS_TOKEN_TTL_SECS),
        }
    }

    pub fn is_expired(&self, now: i64) -> bool {
        now >= self.exp
    }
}

pub(crate) fn sign(key: &[u8], claims: &Claims) -> Result<String> {
    let key = EncodingKey::from_secret(key)
        .map_err(|e| Error::Internal(format!("token signing key: {e}")))?;
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &key)
        .map_err(|e| Error::Internal(format!("signing a token failed: {e}")))
}

/// Checks the signature and the claims' shape; expiry is the caller's ([`Claims::is_expired`]).
pub(crate) fn decode(key: &[u8], token: &str) -> Result<Claims> {
    let key = DecodingKey::from_secret(key)
        .map_err(|e| Error::Internal(format!("token signing key: {e}")))?;
    let mut validation = Validation::new(Algorithm::HS256);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.set_issuer(&[ISSUER]);
    validation.set_required_spec_claims(&["exp", "sub", "iss"]);
    match jsonwebtoken::decode::<Claims>(token, &key, &validation) {
        Ok(data) => Ok(data.claims),
        Err(err) => {
            let reason = match err.kind() {
                // Another algorithm (including "none") cannot have been signed with our key.
                ErrorKind::InvalidSignature | ErrorKind::InvalidAlgorithm => {
                    UnauthenticatedReason::InvalidSignature
                }
                _ => UnauthenticatedReason::Malformed,
            };
            Err(Error::unauthenticated(reason))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = &[7u8; 32];

    fn reason(err: Error) -> UnauthenticatedReason {
        err.unauthenticated_reason().expect("unauthenticated")
    }

    #[test]
    fn round_trip() {
        let claims = Claims::new("u1", "s1", 3, 1_000);
        let token = sign(KEY, &claims).unwrap();
        assert_eq!(decode(KEY, &token).unwrap(), claims);
        assert_eq!(claims.exp, 1_000 + 3_600);
        assert!(!claims.is_expired(4_599));
        assert!(claims.is_expired(4_600));
    }

    #[test]
    fn another_key_is_an_invalid_signature() {
        let token = sign(&[8u8; 32], &Claims::new("u1", "s1", 1, 0)).unwrap();
        assert_eq!(
            reason(decode(KEY, &token).unwrap_err()),
            UnauthenticatedReason::InvalidSignature
        );
    }

    #[test]
    fn garbage_is_malformed() {
        for token in ["", "abc", "a.b.c", "eyJhbGciOiJIUzI1NiJ9.e30."] {
            let err = decode(KEY, token).unwrap_err();
            assert_eq!(err.code(), "unauthenticated", "{token}");
        }
    }

    #[test]
    fn alg_none_is_refused() {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let claims = serde_json::to_vec(&Claims::new("u1", "s1", 1, 0)).unwrap();
        let token = format!(
            "{}.{}.",
            b64.encode(br#"{"alg":"none","typ":"JWT"}"#),
            b64.encode(claims)
        );
        assert_eq!(decode(KEY, &token).unwrap_err().code(), "unauthenticated");
    }

    #[test]
    fn a_token_of_another_issuer_is_malformed() {
        let mut claims = Claims::new("u1", "s1", 1, 0);
        claims.iss = "someone-else".into();
        let token = sign(KEY, &claims).unwrap();
        assert_eq!(
            reason(decode(KEY, &token).unwrap_err()),
            UnauthenticatedReason::Malformed
        );
    }
}
