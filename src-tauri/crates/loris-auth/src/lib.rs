//! Local authentication for Loris Studio, as a service-layer library (no Tauri dependency).
//!
//! - Users live in SQLite (migration 2 of `loris-core`) with argon2id password hashes.
//! - A session is a short-lived HS256 access token (60 minutes) plus an opaque refresh token
//!   (7 days, single use, rotated, stored as its SHA-256 only). Reusing a spent refresh token
//!   revokes its whole family.
//! - Secrets (the token signing key, API keys a user saves) live in the OS keychain through
//!   [`secrets::SecretStore`]; without a reachable keychain they fall back to a file readable only
//!   by the user ([`secrets::open_secrets`]).
//! - LAN API keys ([`ApiKeys`], migration 3) are stored as their SHA-256; the secret is shown
//!   once, at creation.
//! - Nothing here logs a password, a token or a key: log lines name users and sessions only.
//!
//! The front doors (Tauri commands, CLI) hold one [`Auth`] and call it; the UI switches on
//! [`Error::code`].

pub mod api_keys;
mod auth;
pub mod clock;
mod db;
mod error;
mod password;
mod random;
pub mod secrets;
mod signing_key;
mod token;
mod types;

pub use api_keys::{API_KEY_PREFIX, ApiKeyInfo, ApiKeys, CreatedApiKey};
pub use auth::Auth;
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{Error, PolicyViolation, Result, UnauthenticatedReason};
pub use password::{MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS};
pub use secrets::{SecretBackendInfo, SecretStore, open_secrets};
pub use token::{ACCESS_TOKEN_TTL_SECS, REFRESH_TOKEN_TTL_SECS};
pub use types::{AuthStatus, AuthUser, FirstRunCredentials, Session, UserSummary};

/// The first user's name, created by [`Auth::first_run`].
pub const ADMIN_USERNAME: &str = "admin";
