//! [`Auth`]: the one object the front doors call. It owns the order of operations (lockout before
//! the password check, key rotation before the password change commits) and the log lines; the
//! `db`, `password`, `token` and `secrets` modules each do one job.

use std::sync::{Arc, Mutex, MutexGuard};

use loris_core::Store;
use rusqlite::{Transaction, TransactionBehavior};
use zeroize::Zeroizing;

use crate::clock::{Clock, SystemClock};
use crate::db::sessions::reason;
use crate::db::users::UserRow;
use crate::db::{lockout, sessions, users};
use crate::error::{Error, Result, UnauthenticatedReason};
use crate::secrets::{SecretBackendInfo, SecretStore};
use crate::signing_key::SigningKey;
use crate::token::{self, Claims};
use crate::types::{AuthStatus, AuthUser, FirstRunCredentials, Session, UserSummary};
use crate::{ADMIN_USERNAME, password, random};

/// The schema version that created the auth tables.
const AUTH_SCHEMA_VERSION: i64 = 2;
/// Longer usernames are not looked up (nobody has one; it is most likely a pasted password).
const MAX_USERNAME_LEN: usize = 256;

pub struct Auth {
    store: Arc<Store>,
    backend: SecretBackendInfo,
    clock: Arc<dyn Clock>,
    signing_key: SigningKey,
    /// Password checks run one at a time: parallel guesses would all pass the lockout check
    /// before any of their failures was recorded.
    password_gate: Mutex<()>,
}

impl Auth {
    pub fn new(
        store: Arc<Store>,
        secrets: Arc<dyn SecretStore>,
        backend: SecretBackendInfo,
    ) -> Result<Self> {
        Self::with_clock(store, secrets, backend, Arc::new(SystemClock))
    }

    /// [`Auth::new`] with another clock (tests step over lockouts and expiries with it).
    pub fn with_clock(
        store: Arc<Store>,
        secrets: Arc<dyn SecretStore>,
        backend: SecretBackendInfo,
        clock: Arc<dyn Clock>,
    ) -> Result<Self> {
        let schema = store.schema_version()?;
        if schema < AUTH_SCHEMA_VERSION {
            return Err(Error::Internal(format!(
                "the database has no auth tables (schema {schema}, auth needs {AUTH_SCHEMA_VERSION})"
            )));
        }
        Ok(Auth {
            store,
            backend,
            clock,
            signing_key: SigningKey::new(secrets),
            password_gate: Mutex::new(()),
        })
    }

    pub fn secret_backend(&self) -> &SecretBackendInfo {
        &self.backend
    }

    /// Unguarded: whether the first-run page is needed, and where secrets are kept.
    pub fn status(&self) -> Result<AuthStatus> {
        let users = users::count(&self.store.conn())?;
        Ok(AuthStatus {
            needs_first_run: users == 0,
            secret_backend: self.backend.clone(),
        })
    }

    /// Creates the `admin` user with a generated passphrase that must be changed at first login.
    /// The passphrase is returned here once and kept nowhere else.
    pub fn first_run(&self) -> Result<FirstRunCredentials> {
        let _gate = self.gate();
        if users::count(&self.store.conn())? > 0 {
            return Err(Error::AlreadyInitialized);
        }
        let passphrase = random::passphrase()?;
        let hash = password::hash(&passphrase)?;
        let now = self.clock.now();
        // Checked again inside the write: another process (the CLI) may have won the race.
        self.write(|tx| {
            if users::count(tx)? > 0 {
                return Err(Error::AlreadyInitialized);
            }
            users::insert(tx, ADMIN_USERNAME, &hash, true, now)
        })?;
        tracing::info!(user = ADMIN_USERNAME, "first run: created the admin user");
        Ok(FirstRunCredentials {
            username: ADMIN_USERNAME.to_owned(),
            passphrase: passphrase.to_string(),
        })
    }

    /// Signs in. Errors: `invalid_credentials`, `locked_out` (with `retryAfterSeconds`).
    pub fn login(&self, username: &str, password: &str) -> Result<Session> {
        let username = username.trim();
        if username.is_empty()
            || username.len() > MAX_USERNAME_LEN
            || password.is_empty()
            || !password::within_hashable_length(password)
        {
            return Err(Error::InvalidCredentials);
        }
        let _gate = self.gate();
        let now = self.clock.now();
        let user = users::by_username(&self.store.conn(), username)?;
        let Some(user) = user else {
            password::verify_dummy(password);
            // The attempted name is not logged: it may well be a password typed in the wrong box.
            tracing::warn!("login failed: no such user");
            return Err(Error::InvalidCredentials);
        };
        self.check_password(&user, password, now)?;
        let rehash = if password::needs_rehash(&user.password_hash) {
            Some(password::hash(password)?)
        } else {
            None
        };
        let key = self.signing_key.current()?;
        let (sid, session) = self.write(|tx| {
            lockout::clear(tx, &user.id)?;
            if let Some(hash) = &rehash {
                users::replace_hash(tx, &user.id, hash)?;
            }
            sessions::prune(tx, now)?;
            open_session(tx, &key, &user, now)
        })?;
        tracing::info!(user = %user.username, %sid, "login succeeded");
        Ok(session)
    }

    /// Trades a refresh token for a new session (new access and refresh tokens); the one given is
    /// spent. Presenting a spent token again revokes its whole family: `refresh_token_reused`.
    /// Unknown, expired or revoked tokens: `unauthenticated`.
    pub fn refresh(&self, refresh_token: &str) -> Result<Session> {
        let refresh_token = refresh_token.trim();
        if refresh_token.is_empty() {
            return Err(Error::unauthenticated(UnauthenticatedReason::Missing));
        }
        let hash = random::token_hash(refresh_token);
        let key = self.signing_key.current()?;
        let now = self.clock.now();
        // Reuse must revoke and commit, then fail; so the outcome is a value, not an Err.
        enum Outcome {
            Issued(Session, String),
            Refused(UnauthenticatedReason),
            Reused(String),
        }
        let outcome = self.write(|tx| {
            let Some(row) = sessions::find_refresh(tx, &hash)? else {
                return Ok(Outcome::Refused(UnauthenticatedReason::UnknownToken));
            };
            if row.session_revoked {
                return Ok(Outcome::Refused(UnauthenticatedReason::Revoked));
            }
            if row.used_at.is_some() {
                sessions::revoke(tx, &row.session_id, now, reason::REFRESH_TOKEN_REUSED)?;
                return Ok(Outcome::Reused(row.session_id));
            }
            if now >= row.expires_at {
                return Ok(Outcome::Refused(UnauthenticatedReason::Expired));
            }
            let Some(user) = users::by_id(tx, &row.user_id)? else {
                return Ok(Outcome::Refused(UnauthenticatedReason::Revoked));
            };
            sessions::mark_used(tx, &hash, now)?;
            let session = issue(tx, &key, &user, &row.session_id, now)?;
            Ok(Outcome::Issued(session, user.username))
        })?;
        match outcome {
            Outcome::Issued(session, username) => {
                tracing::debug!(user = %username, "session refreshed");
                Ok(session)
            }
            Outcome::Refused(why) => {
                tracing::info!(reason = %why, "refresh refused");
                Err(Error::unauthenticated(why))
            }
            Outcome::Reused(sid) => {
                tracing::warn!(%sid, "a spent refresh token was presented again: its session is revoked");
                Err(Error::RefreshTokenReused)
            }
        }
    }

    /// Revokes the session (the whole refresh family) the access token belongs to. An expired
    /// access token still logs out; a forged one does not. Logging out twice is not an error.
    pub fn logout(&self, access_token: &str) -> Result<()> {
        let claims = self.decode(access_token)?;
        let now = self.clock.now();
        let revoked = self.write(|tx| sessions::revoke(tx, &claims.sid, now, reason::LOGOUT))?;
        if revoked {
            tracing::info!(sid = %claims.sid, "logged out");
        }
        Ok(())
    }

    /// The user an access token speaks for. `unauthenticated` with a `reason` otherwise.
    pub fn verify(&self, access_token: &str) -> Result<AuthUser> {
        let result = self.verify_inner(access_token);
        if let Err(err) = &result
            && let Some(why) = err.unauthenticated_reason()
        {
            tracing::debug!(reason = %why, "access token refused");
        }
        result
    }

    /// [`Auth::verify`], and refuses users who must change their password first
    /// (`password_change_required`). For every guarded command except change-password and logout.
    pub fn authorize(&self, access_token: &str) -> Result<AuthUser> {
        let user = self.verify(access_token)?;
        if user.must_change_password {
            return Err(Error::PasswordChangeRequired);
        }
        Ok(user)
    }

    /// Changes the signed-in user's password. Wrong `old`: `invalid_credentials` (counts towards
    /// the lockout). Policy (length ≥ 8, ≤ 1024, not the old one): `password_policy`. Then the
    /// signing key is rotated and every session of every user revoked; a fresh session returns.
    pub fn change_password(&self, access_token: &str, old: &str, new: &str) -> Result<Session> {
        let caller = self.verify(access_token)?;
        let _gate = self.gate();
        let now = self.clock.now();
        let user = users::by_id(&self.store.conn(), &caller.id)?
            .ok_or(Error::unauthenticated(UnauthenticatedReason::Revoked))?;
        self.check_password(&user, old, now)?;
        password::check_policy(old, new)?;
        let hash = password::hash(new)?;
        // Rotate first: if the write below fails, everyone signs in again with the password
        // unchanged. The other order could leave the old key alive after the change.
        self.signing_key.rotate()?;
        let key = self.signing_key.current()?;
        let (session, revoked) = self.write(|tx| {
            let updated = users::set_password(tx, &user.id, &hash, false, now)?
                .ok_or(Error::unauthenticated(UnauthenticatedReason::Revoked))?;
            lockout::clear(tx, &user.id)?;
            let revoked = sessions::revoke_all(tx, now, reason::PASSWORD_CHANGED)?;
            let (_, session) = open_session(tx, &key, &updated, now)?;
            Ok((session, revoked))
        })?;
        tracing::info!(
            user = %user.username,
            revoked_sessions = revoked,
            "password changed: signing key rotated, every session revoked"
        );
        Ok(session)
    }

    /// For the CLI: gives `username` a new generated passphrase that must be changed at next
    /// login, revokes the user's sessions and clears a lockout. Unknown user: `not_found`.
    pub fn reset_password(&self, username: &str) -> Result<String> {
        let _gate = self.gate();
        let user = users::by_username(&self.store.conn(), username.trim())?.ok_or_else(|| {
            loris_core::Error::NotFound {
                kind: "user",
                id: username.trim().to_owned(),
            }
        })?;
        let passphrase = random::passphrase()?;
        let hash = password::hash(&passphrase)?;
        let now = self.clock.now();
        let revoked = self.write(|tx| {
            users::set_password(tx, &user.id, &hash, true, now)?;
            lockout::clear(tx, &user.id)?;
            sessions::revoke_user(tx, &user.id, now, reason::PASSWORD_RESET)
        })?;
        tracing::info!(
            user = %user.username,
            revoked_sessions = revoked,
            "password reset: must be changed at next login; lockout cleared"
        );
        Ok(passphrase.to_string())
    }

    /// Every user, oldest first (for `loris user list`).
    pub fn users(&self) -> Result<Vec<UserSummary>> {
        Ok(users::list(&self.store.conn())?
            .iter()
            .map(UserRow::to_summary)
            .collect())
    }

    fn verify_inner(&self, access_token: &str) -> Result<AuthUser> {
        let claims = self.decode(access_token)?;
        if claims.is_expired(self.clock.now()) {
            return Err(Error::unauthenticated(UnauthenticatedReason::Expired));
        }
        let conn = self.store.conn();
        let Some(user) = users::by_id(&conn, &claims.sub)? else {
            return Err(Error::unauthenticated(UnauthenticatedReason::Revoked));
        };
        // Before the session check: a change or reset also revokes the session, and this is
        // the more useful reason to show.
        if user.password_version != claims.pv {
            return Err(Error::unauthenticated(
                UnauthenticatedReason::PasswordChanged,
            ));
        }
        if !sessions::is_active(&conn, &claims.sid, &user.id)? {
            return Err(Error::unauthenticated(UnauthenticatedReason::Revoked));
        }
        Ok(user.to_auth_user())
    }

    /// Signature and shape, not expiry.
    fn decode(&self, access_token: &str) -> Result<Claims> {
        let access_token = access_token.trim();
        if access_token.is_empty() {
            return Err(Error::unauthenticated(UnauthenticatedReason::Missing));
        }
        let key = self.signing_key.current()?;
        token::decode(&key, access_token)
    }

    /// Lockout first (a correct password is refused while locked), then the hash; a wrong
    /// password is recorded and may start the lockout.
    fn check_password(&self, user: &UserRow, password: &str, now: i64) -> Result<()> {
        if let Some(retry_after_seconds) = lockout::remaining(user.locked_until, now) {
            tracing::warn!(user = %user.username, retry_after_seconds, "login refused: locked out");
            return Err(Error::LockedOut {
                retry_after_seconds,
            });
        }
        if password::within_hashable_length(password)
            && password::verify(password, &user.password_hash)?
        {
            return Ok(());
        }
        match self.write(|tx| lockout::record_failure(tx, &user.id, now))? {
            Some(until) => {
                let retry_after_seconds = u64::try_from(until - now).unwrap_or(0);
                tracing::warn!(
                    user = %user.username,
                    retry_after_seconds,
                    "wrong password: too many failures, locked out"
                );
                Err(Error::LockedOut {
                    retry_after_seconds,
                })
            }
            None => {
                tracing::warn!(user = %user.username, "wrong password");
                Err(Error::InvalidCredentials)
            }
        }
    }

    /// One immediate (write-locking) transaction.
    fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self.store.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let value = f(&tx)?;
        tx.commit()?;
        Ok(value)
    }

    fn gate(&self) -> MutexGuard<'_, ()> {
        // Guards no data, only order; a poisoned gate is as good as a clean one.
        self.password_gate
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A new family (its id, the `sid`, is returned for log lines) with its first tokens.
fn open_session(
    tx: &Transaction<'_>,
    key: &Zeroizing<Vec<u8>>,
    user: &UserRow,
    now: i64,
) -> Result<(String, Session)> {
    let sid = sessions::create(tx, &user.id, now)?;
    let session = issue(tx, key, user, &sid, now)?;
    Ok((sid, session))
}

/// A new refresh token in family `sid` (stored hashed) and an access token for it.
fn issue(
    tx: &Transaction<'_>,
    key: &Zeroizing<Vec<u8>>,
    user: &UserRow,
    sid: &str,
    now: i64,
) -> Result<Session> {
    let refresh_token = random::token()?;
    let refresh_expires_at =
        sessions::add_refresh_token(tx, sid, &random::token_hash(&refresh_token), now)?;
    let claims = Claims::new(&user.id, sid, user.password_version, now);
    Ok(Session {
        access_token: token::sign(key, &claims)?,
        access_expires_at: claims.exp,
        refresh_token,
        refresh_expires_at,
        user: user.to_auth_user(),
    })
}

#[cfg(test)]
mod tests;
