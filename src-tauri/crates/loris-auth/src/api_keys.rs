//! API keys for the LAN API: created with their secret shown once, listed by prefix, revoked.
//! Only the key's SHA-256 is stored. A key is `lsk-` followed by 43 base64url characters (256
//! random bits).

use std::sync::Arc;

use loris_core::Store;
use serde::{Deserialize, Serialize};

use crate::clock::{Clock, SystemClock};
use crate::db::api_keys::{self, ApiKeyRow, NewApiKey};
use crate::error::{Error, Result, UnauthenticatedReason};
use crate::random;

/// The schema version that created the `api_keys` table.
const API_KEYS_SCHEMA_VERSION: i64 = 3;
/// What every key starts with, so a leaked one is recognizable in logs and scanners.
pub const API_KEY_PREFIX: &str = "lsk-";
/// Characters of a key kept in clear for lists (the `lsk-` marker and 8 more).
const SHOWN_PREFIX_CHARS: usize = 12;
/// `last_used_at` is written at most this often per key, not on every request.
const TOUCH_INTERVAL_SECS: i64 = 60;
const MAX_NAME_CHARS: usize = 100;

/// A key as lists show it: never the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyInfo {
    pub id: String,
    pub name: String,
    /// The first characters of the key (`lsk-AbCd1234`).
    pub prefix: String,
    /// Unix seconds.
    #[specta(type = specta_typescript::Number)]
    pub created_at: i64,
    #[specta(type = Option<specta_typescript::Number>)]
    pub last_used_at: Option<i64>,
    #[specta(type = Option<specta_typescript::Number>)]
    pub expires_at: Option<i64>,
    #[specta(type = Option<specta_typescript::Number>)]
    pub revoked_at: Option<i64>,
}

/// A new key with its secret: returned once by [`ApiKeys::create`], kept nowhere.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct CreatedApiKey {
    pub key: ApiKeyInfo,
    pub secret: String,
}

impl std::fmt::Debug for CreatedApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedApiKey")
            .field("key", &self.key)
            .field("secret", &"<redacted>")
            .finish()
    }
}

impl From<ApiKeyRow> for ApiKeyInfo {
    fn from(row: ApiKeyRow) -> Self {
        ApiKeyInfo {
            id: row.id,
            name: row.name,
            prefix: row.prefix,
            created_at: row.created_at,
            last_used_at: row.last_used_at,
            expires_at: row.expires_at,
            revoked_at: row.revoked_at,
        }
    }
}

pub struct ApiKeys {
    store: Arc<Store>,
    clock: Arc<dyn Clock>,
}

impl ApiKeys {
    pub fn new(store: Arc<Store>) -> Result<Self> {
        Self::with_clock(store, Arc::new(SystemClock))
    }

    /// [`ApiKeys::new`] with another clock (tests step over expiries with it).
    pub fn with_clock(store: Arc<Store>, clock: Arc<dyn Clock>) -> Result<Self> {
        let schema = store.schema_version()?;
        if schema < API_KEYS_SCHEMA_VERSION {
            return Err(Error::Internal(format!(
                "the database has no api_keys table (schema {schema}, needs {API_KEYS_SCHEMA_VERSION})"
            )));
        }
        Ok(ApiKeys { store, clock })
    }

    /// Creates a key named `name`, valid until `expires_at` (unix seconds) when given.
    pub fn create(&self, name: &str, expires_at: Option<i64>) -> Result<CreatedApiKey> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
            return Err(Error::Core(loris_core::Error::InvalidInput {
                field: "name".into(),
                reason: format!("a key name needs 1 to {MAX_NAME_CHARS} characters"),
            }));
        }
        let now = self.clock.now();
        if expires_at.is_some_and(|at| at <= now) {
            return Err(Error::Core(loris_core::Error::InvalidInput {
                field: "expiresAt".into(),
                reason: "the expiry must be in the future".into(),
            }));
        }
        let secret = format!("{API_KEY_PREFIX}{}", random::token()?);
        let prefix: String = secret.chars().take(SHOWN_PREFIX_CHARS).collect();
        let id = uuid::Uuid::new_v4().to_string();
        api_keys::insert(
            &self.store.conn(),
            &NewApiKey {
                id: &id,
                name,
                prefix: &prefix,
                key_hash: &random::token_hash(&secret),
                created_at: now,
                expires_at,
            },
        )?;
        tracing::info!(key = %prefix, "API key created");
        Ok(CreatedApiKey {
            key: ApiKeyInfo {
                id,
                name: name.to_owned(),
                prefix,
                created_at: now,
                last_used_at: None,
                expires_at,
                revoked_at: None,
            },
            secret,
        })
    }

    /// Every key, revoked and expired ones included, newest first.
    pub fn list(&self) -> Result<Vec<ApiKeyInfo>> {
        Ok(api_keys::list(&self.store.conn())?
            .into_iter()
            .map(ApiKeyInfo::from)
            .collect())
    }

    /// Revokes a key at once. Unknown id: `not_found`; revoking twice is not an error.
    pub fn revoke(&self, id: &str) -> Result<()> {
        let now = self.clock.now();
        if !api_keys::revoke(&self.store.conn(), id, now)? {
            return Err(Error::Core(loris_core::Error::NotFound {
                kind: "api_key",
                id: id.to_owned(),
            }));
        }
        tracing::info!(key_id = id, "API key revoked");
        Ok(())
    }

    /// The key `secret` names, if it is live; records its use. Refusals are `unauthenticated`
    /// with reason `missing`, `unknown_token`, `revoked` or `expired`.
    pub fn verify(&self, secret: &str) -> Result<ApiKeyInfo> {
        let secret = secret.trim();
        if secret.is_empty() {
            return Err(Error::unauthenticated(UnauthenticatedReason::Missing));
        }
        let now = self.clock.now();
        let conn = self.store.conn();
        let Some(row) = api_keys::by_hash(&conn, &random::token_hash(secret))? else {
            return Err(Error::unauthenticated(UnauthenticatedReason::UnknownToken));
        };
        if row.revoked_at.is_some() {
            return Err(Error::unauthenticated(UnauthenticatedReason::Revoked));
        }
        if row.expires_at.is_some_and(|at| now >= at) {
            return Err(Error::unauthenticated(UnauthenticatedReason::Expired));
        }
        let mut info = ApiKeyInfo::from(row);
        if info
            .last_used_at
            .is_none_or(|at| now - at >= TOUCH_INTERVAL_SECS)
        {
            api_keys::touch(&conn, &info.id, now)?;
            info.last_used_at = Some(now);
        }
        Ok(info)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    fn keys() -> (ApiKeys, Arc<ManualClock>, Arc<Store>) {
        let store = Arc::new(Store::open_in_memory().unwrap());
        let clock = Arc::new(ManualClock::new(1_000_000));
        let keys = ApiKeys::with_clock(Arc::clone(&store), clock.clone()).unwrap();
        (keys, clock, store)
    }

    #[test]
    fn a_created_key_verifies_and_shows_only_its_prefix() {
        let (keys, clock, _) = keys();
        let created = keys.create("laptop", None).unwrap();
        assert!(created.secret.starts_with(API_KEY_PREFIX));
        assert_eq!(created.secret.len(), API_KEY_PREFIX.len() + 43);
        assert!(created.secret.starts_with(&created.key.prefix));
        assert_eq!(created.key.prefix.len(), SHOWN_PREFIX_CHARS);
        assert!(!format!("{created:?}").contains(&created.secret));

        clock.advance(5);
        let info = keys.verify(&created.secret).unwrap();
        assert_eq!(info.id, created.key.id);
        assert_eq!(info.last_used_at, Some(1_000_005));
        let listed = keys.list().unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].last_used_at, Some(1_000_005));
        assert_eq!(listed[0].name, "laptop");
    }

    #[test]
    fn the_secret_is_not_stored() {
        let (keys, _, store) = keys();
        let created = keys.create("k", None).unwrap();
        let hashes: Vec<String> = {
            let conn = store.conn();
            let mut stmt = conn.prepare("SELECT key_hash FROM api_keys").unwrap();
            stmt.query_map([], |r| r.get(0))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap()
        };
        assert_eq!(hashes, vec![random::token_hash(&created.secret)]);
    }

    #[test]
    fn revoked_expired_and_unknown_keys_are_refused_with_their_reason() {
        let (keys, clock, _) = keys();
        let revoked = keys.create("old", None).unwrap();
        keys.revoke(&revoked.key.id).unwrap();
        keys.revoke(&revoked.key.id).unwrap();
        let reason = |secret: &str| keys.verify(secret).unwrap_err().unauthenticated_reason();
        assert_eq!(
            reason(&revoked.secret),
            Some(UnauthenticatedReason::Revoked)
        );

        let expiring = keys.create("short", Some(1_000_100)).unwrap();
        assert!(keys.verify(&expiring.secret).is_ok());
        clock.advance(100);
        assert_eq!(
            reason(&expiring.secret),
            Some(UnauthenticatedReason::Expired)
        );

        assert_eq!(
            reason("lsk-nope"),
            Some(UnauthenticatedReason::UnknownToken)
        );
        assert_eq!(reason(" "), Some(UnauthenticatedReason::Missing));
        assert_eq!(keys.revoke("no-such-id").unwrap_err().code(), "not_found");
    }

    #[test]
    fn names_and_expiries_are_checked() {
        let (keys, _, _) = keys();
        assert_eq!(keys.create("  ", None).unwrap_err().code(), "invalid_input");
        assert_eq!(
            keys.create("k", Some(1_000_000)).unwrap_err().code(),
            "invalid_input"
        );
    }
}
