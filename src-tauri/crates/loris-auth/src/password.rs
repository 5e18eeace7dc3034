//! Password hashing (argon2id) and the password policy.

use std::sync::OnceLock;

use argon2::{Algorithm, Argon2, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version};

use crate::error::{Error, PolicyViolation, Result};

/// A new password has at least this many characters (Unicode scalar values).
pub const MIN_PASSWORD_CHARS: usize = 8;
/// And at most this many: argon2 takes any length, but an unbounded input is a free DoS.
pub const MAX_PASSWORD_CHARS: usize = 1024;

/// OWASP's argon2id recommendation: 19 MiB of memory, 2 passes, 1 lane.
pub(crate) const OWASP_M_COST_KIB: u32 = 19 * 1024;
pub(crate) const OWASP_T_COST: u32 = 2;
pub(crate) const OWASP_P_COST: u32 = 1;

fn owasp_params() -> Result<Params> {
    Params::new(OWASP_M_COST_KIB, OWASP_T_COST, OWASP_P_COST, None)
        .map_err(|e| Error::Internal(format!("argon2 parameters: {e}")))
}

/// The parameters new hashes get. Unit tests hash dozens of passwords in a debug build, so they
/// use the cheapest legal parameters; the integration tests (built without `cfg(test)`) and
/// `owasp_parameters_are_used_outside_unit_tests` keep the real ones covered. Verification
/// always reads the parameters from the stored hash, so both kinds verify everywhere.
fn current_params() -> Result<Params> {
    if cfg!(test) {
        Params::new(Params::MIN_M_COST, 1, 1, None)
            .map_err(|e| Error::Internal(format!("argon2 parameters: {e}")))
    } else {
        owasp_params()
    }
}

fn hasher(params: Params) -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// The PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`) to store for `password`.
pub(crate) fn hash(password: &str) -> Result<String> {
    hash_with(password, current_params()?)
}

fn hash_with(password: &str, params: Params) -> Result<String> {
    hasher(params)
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| Error::Internal(format!("hashing a password failed: {e}")))
}

/// Whether `password` matches the stored hash. A stored hash that does not parse is an internal
/// error, not a wrong password, so a damaged row is noticed rather than silently locking out.
pub(crate) fn verify(password: &str, stored: &str) -> Result<bool> {
    let parsed = PasswordHash::new(stored)
        .map_err(|e| Error::Internal(format!("a stored password hash is unreadable: {e}")))?;
    match Argon2::default().verify_password(password.as_bytes(), &parsed) {
        Ok(()) => Ok(true),
        Err(argon2::password_hash::Error::PasswordInvalid) => Ok(false),
        Err(e) => Err(Error::Internal(format!(
            "checking a password hash failed: {e}"
        ))),
    }
}

/// Spends the same time as [`verify`] for a user that does not exist, so response time does not
/// tell which usernames exist.
pub(crate) fn verify_dummy(password: &str) {
    static DUMMY: OnceLock<Option<String>> = OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash("loris-dummy-password-for-timing").ok());
    if let Some(stored) = dummy {
        let _ = verify(password, stored);
    }
}

/// Whether a stored hash was made with weaker (or other) parameters than new hashes get; such a
/// hash is replaced after the next successful login.
pub(crate) fn needs_rehash(stored: &str) -> bool {
    let Ok(current) = current_params() else {
        return false;
    };
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return true;
    };
    parsed.algorithm.as_str() != "argon2id"
        || params.m_cost() != current.m_cost()
        || params.t_cost() != current.t_cost()
        || params.p_cost() != current.p_cost()
}

/// The change-password policy: length within bounds, and not the old password.
pub(crate) fn check_policy(old: &str, new: &str) -> Result<()> {
    let chars = new.chars().count();
    let violation = if chars < MIN_PASSWORD_CHARS {
        Some(PolicyViolation::TooShort)
    } else if chars > MAX_PASSWORD_CHARS {
        Some(PolicyViolation::TooLong)
    } else if new == old {
        Some(PolicyViolation::SameAsOld)
    } else {
        None
    };
    match violation {
        Some(reason) => Err(Error::PasswordPolicy { reason }),
        None => Ok(()),
    }
}

/// Refuses absurdly long input before hashing it (a login form is not a place for megabytes).
pub(crate) fn within_hashable_length(password: &str) -> bool {
    password.len() <= MAX_PASSWORD_CHARS * 4
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_then_verify() {
        let stored = hash("correct horse").unwrap();
        assert!(stored.starts_with("$argon2id$v=19$"));
        assert!(!stored.contains("correct horse"));
        assert!(verify("correct horse", &stored).unwrap());
        assert!(!verify("correct horsf", &stored).unwrap());
    }

    #[test]
    fn owasp_parameters_are_used_outside_unit_tests() {
        // The real parameters, once, so the production path is exercised by the unit tests too.
        let stored = hash_with("correct horse", owasp_params().unwrap()).unwrap();
        assert!(
            stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{stored}"
        );
        assert!(verify("correct horse", &stored).unwrap());
        assert!(!verify("wrong horse", &stored).unwrap());
        // Under cfg(test) the cheap parameters are current, so the OWASP hash reads as "other".
        assert!(needs_rehash(&stored));
        assert!(!needs_rehash(&hash("x").unwrap()));
    }

    #[test]
    fn a_damaged_hash_is_an_error_not_a_mismatch() {
        let err = verify("pw", "not a phc string").unwrap_err();
        assert_eq!(err.code(), "internal");
    }

    #[test]
    fn policy() {
        let short = check_policy("old-password", "1234567").unwrap_err();
        assert!(matches!(
            short,
            Error::PasswordPolicy {
                reason: PolicyViolation::TooShort
            }
        ));
        // Characters, not bytes: eight accented letters pass.
        check_policy("old-password", "éééééééé").unwrap();
        let same = check_policy("same-password", "same-password").unwrap_err();
        assert!(matches!(
            same,
            Error::PasswordPolicy {
                reason: PolicyViolation::SameAsOld
            }
        ));
        let long = check_policy("old", &"x".repeat(MAX_PASSWORD_CHARS + 1)).unwrap_err();
        assert_eq!(long.code(), "password_policy");
    }
}
