//! The auth flows end to end against an in-memory store, an in-memory secret store and a manual
//! clock (unit tests hash with cheap argon2 parameters; see `password.rs`).

use std::sync::Arc;

use loris_core::Store;

use super::*;
use crate::clock::ManualClock;
use crate::secrets::MemorySecrets;
use crate::token::{ACCESS_TOKEN_TTL_SECS, REFRESH_TOKEN_TTL_SECS};

const T0: i64 = 1_700_000_000;

struct Fixture {
    store: Arc<Store>,
    secrets: Arc<MemorySecrets>,
    clock: Arc<ManualClock>,
    auth: Auth,
}

impl Fixture {
    fn new() -> Self {
        let store = Arc::new(Store::open_in_memory().unwrap());
        let secrets = Arc::new(MemorySecrets::new());
        let clock = Arc::new(ManualClock::new(T0));
        let auth = Self::auth_on(&store, secrets.clone(), &clock);
        Fixture {
            store,
            secrets,
            clock,
            auth,
        }
    }

    /// Another `Auth` on the same database: another process, or one with another key.
    fn auth_on(store: &Arc<Store>, secrets: Arc<MemorySecrets>, clock: &Arc<ManualClock>) -> Auth {
        Auth::with_clock(
            store.clone(),
            secrets,
            SecretBackendInfo::new("memory"),
            clock.clone(),
        )
        .unwrap()
    }

    /// First run, then the first login and the forced change to `password`.
    fn with_user(password: &str) -> (Self, Session) {
        let f = Self::new();
        let creds = f.auth.first_run().unwrap();
        let first = f.auth.login(&creds.username, &creds.passphrase).unwrap();
        let session = f
            .auth
            .change_password(&first.access_token, &creds.passphrase, password)
            .unwrap();
        (f, session)
    }
}

fn code<T: std::fmt::Debug>(result: Result<T>) -> &'static str {
    result.expect_err("must fail").code()
}

fn reason<T: std::fmt::Debug>(result: Result<T>) -> UnauthenticatedReason {
    let err = result.expect_err("must fail");
    err.unauthenticated_reason()
        .unwrap_or_else(|| panic!("not unauthenticated: {err}"))
}

#[test]
fn first_run_creates_admin_once() {
    let f = Fixture::new();
    assert!(f.auth.status().unwrap().needs_first_run);
    let creds = f.auth.first_run().unwrap();
    assert_eq!(creds.username, "admin");
    assert!(creds.passphrase.len() >= 20);
    assert!(!f.auth.status().unwrap().needs_first_run);
    assert_eq!(code(f.auth.first_run()), "already_initialized");

    let session = f.auth.login("admin", &creds.passphrase).unwrap();
    assert!(session.user.must_change_password);
    assert_eq!(session.access_expires_at, T0 + ACCESS_TOKEN_TTL_SECS);
    assert_eq!(session.refresh_expires_at, T0 + REFRESH_TOKEN_TTL_SECS);
    // Until the password is changed, guarded commands are refused; verify still says who it is.
    assert_eq!(
        f.auth.verify(&session.access_token).unwrap().username,
        "admin"
    );
    assert_eq!(
        code(f.auth.authorize(&session.access_token)),
        "password_change_required"
    );
}

#[test]
fn status_names_the_secret_backend() {
    let f = Fixture::new();
    assert_eq!(
        f.auth.status().unwrap().secret_backend,
        SecretBackendInfo::new("memory")
    );
}

#[test]
fn login_checks_name_and_password() {
    let (f, _) = Fixture::with_user("first-password");
    let ok = f.auth.login("ADMIN", "first-password").unwrap();
    assert!(!ok.user.must_change_password);
    assert_eq!(
        f.auth.authorize(&ok.access_token).unwrap().username,
        "admin"
    );
    assert_eq!(
        code(f.auth.login("admin", "wrong-password")),
        "invalid_credentials"
    );
    assert_eq!(
        code(f.auth.login("nobody", "first-password")),
        "invalid_credentials"
    );
    assert_eq!(code(f.auth.login("", "")), "invalid_credentials");
}

#[test]
fn five_failures_lock_and_the_sixth_correct_attempt_waits_for_the_lock() {
    let (f, _) = Fixture::with_user("first-password");
    for _ in 0..4 {
        assert_eq!(code(f.auth.login("admin", "wrong")), "invalid_credentials");
        f.clock.advance(1);
    }
    let fifth = f.auth.login("admin", "wrong").unwrap_err();
    assert_eq!(fifth.code(), "locked_out");
    assert_eq!(
        loris_core::ApiError::from(&fifth).details,
        Some(serde_json::json!({"retryAfterSeconds": 60}))
    );

    // The right password is refused while the lock lasts, with the time left.
    f.clock.advance(1);
    match f.auth.login("admin", "first-password") {
        Err(Error::LockedOut {
            retry_after_seconds,
        }) => assert_eq!(retry_after_seconds, 59),
        other => panic!("expected locked_out, got {other:?}"),
    }
    f.clock.advance(58);
    match f.auth.login("admin", "first-password") {
        Err(Error::LockedOut {
            retry_after_seconds,
        }) => assert_eq!(retry_after_seconds, 1),
        other => panic!("expected locked_out, got {other:?}"),
    }
    f.clock.advance(1);
    f.auth.login("admin", "first-password").unwrap();

    // The lock started the count over: one more failure does not lock again.
    assert_eq!(code(f.auth.login("admin", "wrong")), "invalid_credentials");
}

#[test]
fn a_lockout_survives_a_restart_and_a_reset_clears_it() {
    let (f, _) = Fixture::with_user("first-password");
    for _ in 0..5 {
        let _ = f.auth.login("admin", "wrong");
    }
    // A new Auth (a restarted app) sees the same lock.
    let restarted = Fixture::auth_on(&f.store, f.secrets.clone(), &f.clock);
    assert_eq!(
        code(restarted.login("admin", "first-password")),
        "locked_out"
    );
    let passphrase = restarted.reset_password("admin").unwrap();
    let session = f.auth.login("admin", &passphrase).unwrap();
    assert!(session.user.must_change_password);
}

#[test]
fn an_expired_access_token_is_refused() {
    let (f, session) = Fixture::with_user("first-password");
    f.clock.advance(ACCESS_TOKEN_TTL_SECS - 1);
    f.auth.verify(&session.access_token).unwrap();
    f.clock.advance(1);
    assert_eq!(
        reason(f.auth.verify(&session.access_token)),
        UnauthenticatedReason::Expired
    );
    // Refresh still works, and gives a token that verifies.
    let next = f.auth.refresh(&session.refresh_token).unwrap();
    f.auth.verify(&next.access_token).unwrap();
}

#[test]
fn a_token_signed_with_another_key_is_refused() {
    let (f, session) = Fixture::with_user("first-password");
    let other = Fixture::auth_on(&f.store, Arc::new(MemorySecrets::new()), &f.clock);
    assert_eq!(
        reason(other.verify(&session.access_token)),
        UnauthenticatedReason::InvalidSignature
    );
    // Forged with its own key for the same user and session: still refused by the real one.
    let forged = other.login("admin", "first-password").unwrap();
    assert_eq!(
        reason(f.auth.verify(&forged.access_token)),
        UnauthenticatedReason::InvalidSignature
    );
}

#[test]
fn a_token_issued_before_a_password_change_is_refused() {
    let (f, before) = Fixture::with_user("first-password");
    // Another process that loaded the signing key before the change still has the old key: the
    // signature verifies there, the password version does not.
    let other_process = Fixture::auth_on(&f.store, f.secrets.clone(), &f.clock);
    other_process.verify(&before.access_token).unwrap();

    let after = f
        .auth
        .change_password(&before.access_token, "first-password", "second-password")
        .unwrap();
    assert_eq!(
        reason(f.auth.verify(&before.access_token)),
        UnauthenticatedReason::InvalidSignature,
        "the key rotated"
    );
    assert_eq!(
        reason(other_process.verify(&before.access_token)),
        UnauthenticatedReason::PasswordChanged
    );
    assert_eq!(
        reason(f.auth.refresh(&before.refresh_token)),
        UnauthenticatedReason::Revoked
    );
    f.auth.verify(&after.access_token).unwrap();
    assert_eq!(
        code(f.auth.login("admin", "first-password")),
        "invalid_credentials"
    );
    f.auth.login("admin", "second-password").unwrap();
}

#[test]
fn a_reset_refuses_older_tokens_as_password_changed() {
    let (f, session) = Fixture::with_user("first-password");
    f.auth.reset_password("admin").unwrap();
    assert_eq!(
        reason(f.auth.verify(&session.access_token)),
        UnauthenticatedReason::PasswordChanged
    );
    assert_eq!(
        reason(f.auth.refresh(&session.refresh_token)),
        UnauthenticatedReason::Revoked
    );
    assert_eq!(code(f.auth.reset_password("nobody")), "not_found");
}

#[test]
fn change_password_revokes_every_session() {
    let (f, first) = Fixture::with_user("first-password");
    let second = f.auth.login("admin", "first-password").unwrap();
    let new = f
        .auth
        .change_password(&second.access_token, "first-password", "second-password")
        .unwrap();
    assert!(!new.user.must_change_password);
    for old in [&first, &second] {
        assert!(f.auth.verify(&old.access_token).is_err());
        assert!(f.auth.refresh(&old.refresh_token).is_err());
    }
    f.auth.refresh(&new.refresh_token).unwrap();
}

#[test]
fn change_password_enforces_the_policy_and_the_old_password() {
    let (f, s) = Fixture::with_user("first-password");
    let t = &s.access_token;
    assert_eq!(
        code(f.auth.change_password(t, "first-password", "short")),
        "password_policy"
    );
    assert_eq!(
        code(
            f.auth
                .change_password(t, "first-password", "first-password")
        ),
        "password_policy"
    );
    assert_eq!(
        code(
            f.auth
                .change_password(t, "not-the-password", "second-password")
        ),
        "invalid_credentials"
    );
    assert_eq!(
        code(
            f.auth
                .change_password("", "first-password", "second-password")
        ),
        "unauthenticated"
    );
    // None of the refusals changed anything.
    f.auth.verify(t).unwrap();
    f.auth.login("admin", "first-password").unwrap();
}

#[test]
fn refresh_rotates_and_a_reused_token_revokes_its_family() {
    let (f, s1) = Fixture::with_user("first-password");
    let unrelated = f.auth.login("admin", "first-password").unwrap();
    f.clock.advance(10);
    let s2 = f.auth.refresh(&s1.refresh_token).unwrap();
    assert_ne!(s2.refresh_token, s1.refresh_token);
    assert_eq!(s2.access_expires_at, T0 + 10 + ACCESS_TOKEN_TTL_SECS);
    f.auth.verify(&s2.access_token).unwrap();

    // s1's refresh token is spent: presenting it again is theft or a bug. The family dies.
    assert_eq!(
        code(f.auth.refresh(&s1.refresh_token)),
        "refresh_token_reused"
    );
    assert_eq!(
        reason(f.auth.refresh(&s2.refresh_token)),
        UnauthenticatedReason::Revoked
    );
    assert_eq!(
        reason(f.auth.verify(&s2.access_token)),
        UnauthenticatedReason::Revoked
    );
    // Another login's family is untouched.
    f.auth.refresh(&unrelated.refresh_token).unwrap();
}

#[test]
fn refresh_refuses_unknown_and_expired_tokens() {
    let (f, s) = Fixture::with_user("first-password");
    assert_eq!(
        reason(f.auth.refresh("not-a-token")),
        UnauthenticatedReason::UnknownToken
    );
    assert_eq!(reason(f.auth.refresh(" ")), UnauthenticatedReason::Missing);
    f.clock.advance(REFRESH_TOKEN_TTL_SECS);
    assert_eq!(
        reason(f.auth.refresh(&s.refresh_token)),
        UnauthenticatedReason::Expired
    );
}

#[test]
fn logout_revokes_the_session() {
    let (f, s) = Fixture::with_user("first-password");
    let other = f.auth.login("admin", "first-password").unwrap();
    f.auth.logout(&s.access_token).unwrap();
    assert_eq!(
        reason(f.auth.verify(&s.access_token)),
        UnauthenticatedReason::Revoked
    );
    assert_eq!(
        reason(f.auth.refresh(&s.refresh_token)),
        UnauthenticatedReason::Revoked
    );
    f.auth.logout(&s.access_token).unwrap();
    f.auth.verify(&other.access_token).unwrap();
    // An expired access token still logs out; a forged one does not.
    f.clock.advance(ACCESS_TOKEN_TTL_SECS + 1);
    f.auth.logout(&other.access_token).unwrap();
    assert_eq!(
        reason(f.auth.refresh(&other.refresh_token)),
        UnauthenticatedReason::Revoked
    );
    assert_eq!(code(f.auth.logout("a.b.c")), "unauthenticated");
}

#[test]
fn missing_and_malformed_tokens() {
    let (f, _) = Fixture::with_user("first-password");
    assert_eq!(reason(f.auth.verify("")), UnauthenticatedReason::Missing);
    assert_eq!(
        reason(f.auth.verify("definitely-not-a-jwt")),
        UnauthenticatedReason::Malformed
    );
}

#[test]
fn users_lists_without_hashes() {
    let (f, _) = Fixture::with_user("first-password");
    let users = f.auth.users().unwrap();
    assert_eq!(users.len(), 1);
    assert_eq!(users[0].username, "admin");
    assert!(!users[0].must_change_password);
    let json = serde_json::to_string(&users).unwrap();
    assert!(!json.contains("argon2"), "{json}");
}

#[test]
fn old_sessions_are_pruned_at_login() {
    let (f, _) = Fixture::with_user("first-password");
    f.clock
        .advance(REFRESH_TOKEN_TTL_SECS + ACCESS_TOKEN_TTL_SECS);
    f.auth.login("admin", "first-password").unwrap();
    let conn = f.store.conn();
    let families: i64 = conn
        .query_row("SELECT count(*) FROM auth_sessions", [], |r| r.get(0))
        .unwrap();
    assert_eq!(families, 1, "only the login just made is left");
}
