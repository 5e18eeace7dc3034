//! Where secrets live: the OS keychain when one answers, else a file only the user can read.
//!
//! Secrets are the token signing key and whatever the app saves later (provider API keys). They
//! never go into SQLite.

mod file;
mod keychain;
mod memory;

use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

pub use file::FileSecrets;
pub use keychain::KeyringSecrets;
pub use memory::MemorySecrets;

/// The keychain service name every entry is filed under.
pub const SERVICE_NAME: &str = "dev.loris.studio";
/// The fallback file, in the data dir.
pub const SECRETS_FILE_NAME: &str = "secrets.json";
/// The entry `open_secrets` writes, reads back and deletes to see whether the keychain works.
const PROBE_SECRET: &str = "loris.keychain-probe";

/// A small key-value store of secrets. Names are short ASCII identifiers (`auth.jwt-signing-key`,
/// `provider.openai.api-key`); values are bytes.
pub trait SecretStore: Send + Sync {
    /// The value, or `None` when there is no entry of that name.
    fn get(&self, name: &str) -> Result<Option<Vec<u8>>>;
    fn set(&self, name: &str, value: &[u8]) -> Result<()>;
    /// Removes the entry; removing a missing entry is not an error.
    fn delete(&self, name: &str) -> Result<()>;
    fn backend(&self) -> SecretBackendInfo;
}

/// Which store holds the secrets, for Settings and the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct SecretBackendInfo {
    /// `secret-service`, `macos-keychain`, `windows-credential-manager`, `file` (or `memory` in
    /// tests).
    pub name: String,
    /// True when the OS keychain could not be used and secrets are in the fallback file.
    pub is_fallback: bool,
    /// Why the keychain could not be used, when it could not.
    pub reason: Option<String>,
}

impl SecretBackendInfo {
    pub fn new(name: impl Into<String>) -> Self {
        SecretBackendInfo {
            name: name.into(),
            is_fallback: false,
            reason: None,
        }
    }
}

/// Opens the OS keychain if it works (a write, read and delete of a probe entry), else the
/// fallback file `secrets.json` in `data_dir`. Never fails: the fallback always exists. The
/// choice and, for the fallback, its reason are logged and returned for Settings to show.
pub fn open_secrets(data_dir: &Path) -> (Arc<dyn SecretStore>, SecretBackendInfo) {
    open_secrets_with(data_dir, Arc::new(KeyringSecrets::new()))
}

/// [`open_secrets`] with the keychain given: tests pass one that fails, or an in-memory one.
pub fn open_secrets_with(
    data_dir: &Path,
    keychain: Arc<dyn SecretStore>,
) -> (Arc<dyn SecretStore>, SecretBackendInfo) {
    let file = FileSecrets::in_data_dir(data_dir);
    match probe(keychain.as_ref()) {
        Ok(()) => {
            let info = keychain.backend();
            tracing::info!(backend = %info.name, "secrets are kept in the OS keychain");
            adopt_fallback_file(keychain.as_ref(), &file);
            (keychain, info)
        }
        Err(err) => {
            let reason = err.to_string();
            tracing::warn!(
                keychain = %keychain.backend().name,
                %reason,
                file = %file.path().display(),
                "no usable OS keychain: secrets fall back to a file readable only by this user"
            );
            let file = file.with_reason(reason);
            let info = file.backend();
            (Arc::new(file), info)
        }
    }
}

fn probe(store: &dyn SecretStore) -> Result<()> {
    let value = crate::random::bytes(16)?;
    store.set(PROBE_SECRET, &value)?;
    let read = store.get(PROBE_SECRET);
    // Delete even when the read failed, so a half-working keychain keeps no litter.
    let deleted = store.delete(PROBE_SECRET);
    match read? {
        Some(back) if back == value.as_slice() => {}
        Some(_) => {
            return Err(store_error(
                store,
                "the probe entry read back different bytes",
            ));
        }
        None => return Err(store_error(store, "the probe entry was not kept")),
    }
    deleted?;
    match store.get(PROBE_SECRET)? {
        None => Ok(()),
        Some(_) => Err(store_error(store, "the probe entry could not be deleted")),
    }
}

/// Secrets written to the fallback file while the keychain was unreachable are newer than the
/// keychain's copies: move them in, then remove the file. On any failure the file stays.
fn adopt_fallback_file(keychain: &dyn SecretStore, file: &FileSecrets) {
    if !file.path().exists() {
        return;
    }
    let entries = match file.entries() {
        Ok(entries) => entries,
        Err(err) => {
            tracing::warn!(error = %err, "cannot read the fallback secrets file; leaving it in place");
            return;
        }
    };
    let mut failed = 0usize;
    for (name, value) in &entries {
        if let Err(err) = keychain.set(name, value) {
            failed += 1;
            tracing::warn!(secret = %name, error = %err, "cannot move a secret into the OS keychain");
        }
    }
    if failed > 0 {
        return;
    }
    match file.remove_file() {
        Ok(()) => tracing::info!(
            moved = entries.len(),
            "moved secrets from the fallback file into the OS keychain"
        ),
        Err(err) => tracing::warn!(error = %err, "cannot remove the fallback secrets file"),
    }
}

fn store_error(store: &dyn SecretStore, reason: &str) -> Error {
    Error::secret_store(store.backend().name, reason)
}

/// Names are short ASCII identifiers so they are valid everywhere: keychain attributes, JSON keys.
pub(crate) fn check_name(name: &str) -> Result<()> {
    let valid = !name.is_empty()
        && name.len() <= 128
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
    if valid {
        Ok(())
    } else {
        Err(Error::Core(loris_core::Error::invalid(
            "secret name",
            "use 1 to 128 of A-Z a-z 0-9 . - _",
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A keychain that is not there: every call fails, like the Secret Service without D-Bus.
    struct NoKeychain;

    impl SecretStore for NoKeychain {
        fn get(&self, _: &str) -> Result<Option<Vec<u8>>> {
            Err(Error::secret_store(
                "secret-service",
                "no D-Bus session bus",
            ))
        }
        fn set(&self, _: &str, _: &[u8]) -> Result<()> {
            Err(Error::secret_store(
                "secret-service",
                "no D-Bus session bus",
            ))
        }
        fn delete(&self, _: &str) -> Result<()> {
            Err(Error::secret_store(
                "secret-service",
                "no D-Bus session bus",
            ))
        }
        fn backend(&self) -> SecretBackendInfo {
            SecretBackendInfo::new("secret-service")
        }
    }

    /// A keychain that accepts writes and forgets them (keyring's mock backend does this).
    struct Forgetful;

    impl SecretStore for Forgetful {
        fn get(&self, _: &str) -> Result<Option<Vec<u8>>> {
            Ok(None)
        }
        fn set(&self, _: &str, _: &[u8]) -> Result<()> {
            Ok(())
        }
        fn delete(&self, _: &str) -> Result<()> {
            Ok(())
        }
        fn backend(&self) -> SecretBackendInfo {
            SecretBackendInfo::new("forgetful")
        }
    }

    #[test]
    fn falls_back_to_a_private_file_when_no_keychain_answers() {
        let dir = tempfile::tempdir().unwrap();
        let (store, info) = open_secrets_with(dir.path(), Arc::new(NoKeychain));
        assert_eq!(info.name, "file");
        assert!(info.is_fallback);
        let reason = info.reason.clone().unwrap();
        assert!(reason.contains("no D-Bus session bus"), "{reason}");
        assert_eq!(store.backend(), info);

        store.set("provider.test.api-key", b"sk-123").unwrap();
        let path = dir.path().join(SECRETS_FILE_NAME);
        assert!(path.is_file());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "mode {mode:o}");
        }
        // Values persist across a reopen (a new process).
        drop(store);
        let (again, _) = open_secrets_with(dir.path(), Arc::new(NoKeychain));
        assert_eq!(
            again.get("provider.test.api-key").unwrap(),
            Some(b"sk-123".to_vec())
        );
    }

    #[test]
    fn a_keychain_that_forgets_is_not_used() {
        let dir = tempfile::tempdir().unwrap();
        let (_, info) = open_secrets_with(dir.path(), Arc::new(Forgetful));
        assert_eq!(info.name, "file");
        assert!(info.reason.unwrap().contains("not kept"));
    }

    #[test]
    fn a_working_keychain_is_used_and_adopts_the_fallback_file() {
        let dir = tempfile::tempdir().unwrap();
        FileSecrets::in_data_dir(dir.path())
            .set("provider.test.api-key", b"from-the-file")
            .unwrap();
        let keychain = Arc::new(MemorySecrets::new());
        keychain.set("provider.test.api-key", b"older").unwrap();
        let (store, info) = open_secrets_with(dir.path(), keychain.clone());
        assert_eq!(info, SecretBackendInfo::new("memory"));
        assert_eq!(
            store.get("provider.test.api-key").unwrap(),
            Some(b"from-the-file".to_vec())
        );
        assert!(!dir.path().join(SECRETS_FILE_NAME).exists());
        // The probe left nothing behind.
        assert_eq!(keychain.get(PROBE_SECRET).unwrap(), None);
    }

    #[test]
    fn names_are_checked() {
        check_name("auth.jwt-signing-key").unwrap();
        for bad in ["", "a b", "a/b", "ü", &"x".repeat(129)] {
            assert_eq!(
                check_name(bad).unwrap_err().code(),
                "invalid_input",
                "{bad}"
            );
        }
    }

    #[test]
    fn backend_info_serializes_camel_case() {
        let json = serde_json::to_value(SecretBackendInfo {
            name: "file".into(),
            is_fallback: true,
            reason: Some("no keychain".into()),
        })
        .unwrap();
        assert_eq!(
            json,
            serde_json::json!({"name": "file", "isFallback": true, "reason": "no keychain"})
        );
    }
}
