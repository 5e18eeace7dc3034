//! The token signing key: 32 random bytes kept in the secret store, created on first use and
//! replaced when a password changes. Cached in memory (wiped on drop) so verifying a token does
//! not cost a keychain round trip.

use std::sync::{Arc, Mutex};

use zeroize::Zeroizing;

use crate::error::Result;
use crate::random;
use crate::secrets::SecretStore;

/// The secret store entry that holds the key.
pub const SIGNING_KEY_SECRET: &str = "auth.jwt-signing-key";
const KEY_LEN: usize = 32;

pub(crate) struct SigningKey {
    secrets: Arc<dyn SecretStore>,
    // One lock for load-or-create, so two first uses cannot create two keys.
    cached: Mutex<Option<Zeroizing<Vec<u8>>>>,
}

impl SigningKey {
    pub fn new(secrets: Arc<dyn SecretStore>) -> Self {
        SigningKey {
            secrets,
            cached: Mutex::new(None),
        }
    }

    /// The current key, loaded from the secret store or created there.
    pub fn current(&self) -> Result<Zeroizing<Vec<u8>>> {
        let mut cached = self.lock();
        if let Some(key) = cached.as_ref() {
            return Ok(key.clone());
        }
        let key = match self.secrets.get(SIGNING_KEY_SECRET)? {
            Some(stored) if stored.len() == KEY_LEN => Zeroizing::new(stored),
            Some(stored) => {
                drop(Zeroizing::new(stored));
                tracing::warn!(
                    backend = %self.secrets.backend().name,
                    "the stored token signing key has the wrong length; replacing it (everyone signs in again)"
                );
                self.create()?
            }
            None => {
                tracing::info!(backend = %self.secrets.backend().name, "creating the token signing key");
                self.create()?
            }
        };
        *cached = Some(key.clone());
        Ok(key)
    }

    /// Replaces the key: every token signed with the old one stops verifying.
    pub fn rotate(&self) -> Result<()> {
        let mut cached = self.lock();
        let key = self.create()?;
        *cached = Some(key);
        tracing::info!(backend = %self.secrets.backend().name, "token signing key rotated");
        Ok(())
    }

    fn create(&self) -> Result<Zeroizing<Vec<u8>>> {
        let key = random::bytes(KEY_LEN)?;
        self.secrets.set(SIGNING_KEY_SECRET, &key)?;
        Ok(key)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Zeroizing<Vec<u8>>>> {
        // The guarded value is replaced whole, never left half-written, so a poisoned lock is safe.
        self.cached
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::MemorySecrets;

    #[test]
    fn created_once_then_reused_then_rotated() {
        let secrets = Arc::new(MemorySecrets::new());
        let keys = SigningKey::new(secrets.clone());
        let first = keys.current().unwrap();
        assert_eq!(first.len(), 32);
        assert_eq!(keys.current().unwrap(), first);
        // A second instance (another process) reads the same key from the store.
        assert_eq!(SigningKey::new(secrets.clone()).current().unwrap(), first);
        keys.rotate().unwrap();
        let second = keys.current().unwrap();
        assert_ne!(second, first);
        assert_eq!(
            secrets.get(SIGNING_KEY_SECRET).unwrap().unwrap(),
            second.to_vec()
        );
    }

    #[test]
    fn a_damaged_key_is_replaced() {
        let secrets = Arc::new(MemorySecrets::new());
        secrets.set(SIGNING_KEY_SECRET, b"short").unwrap();
        let key = SigningKey::new(secrets).current().unwrap();
        assert_eq!(key.len(), 32);
    }
}
