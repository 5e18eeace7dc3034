//! The OS keychain through the `keyring` crate: the Secret Service on Linux (GNOME Keyring,
//! KWallet), the Keychain on macOS, the Credential Manager on Windows. Entries are filed under
//! the service [`SERVICE_NAME`](super::SERVICE_NAME) with the secret's name as the account.
//!
//! The kernel keyutils store is deliberately not used: it forgets everything at logout or reboot,
//! which would silently lose saved API keys; the fallback file keeps them.

use super::{SERVICE_NAME, SecretBackendInfo, SecretStore, check_name};
use crate::error::{Error, Result};

#[cfg(target_os = "linux")]
const BACKEND: &str = "secret-service";
#[cfg(target_os = "macos")]
const BACKEND: &str = "macos-keychain";
#[cfg(target_os = "windows")]
const BACKEND: &str = "windows-credential-manager";
#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
const BACKEND: &str = "none";

pub struct KeyringSecrets {
    service: String,
}

impl Default for KeyringSecrets {
    fn default() -> Self {
        Self::new()
    }
}

impl KeyringSecrets {
    pub fn new() -> Self {
        Self::with_service(SERVICE_NAME)
    }

    /// Entries under another service name (tests keep theirs apart from the app's).
    pub fn with_service(service: impl Into<String>) -> Self {
        KeyringSecrets {
            service: service.into(),
        }
    }
}

#[cfg(any(target_os = "linux", target_os = "macos", target_os = "windows"))]
impl KeyringSecrets {
    fn entry(&self, name: &str) -> Result<keyring::Entry> {
        check_name(name)?;
        keyring::Entry::new(&self.service, name).map_err(error)
    }
}

/// keyring's messages name the platform failure, never the secret (its `BadEncoding` bytes
/// appear only in `Debug`, which is not used here).
#[cfg(any(target_os = "linux", target_os = "macos", target_os = "windows"))]
fn error(err: keyring::Error) -> Error {
    Error::secret_store(BACKEND, err)
}

#[cfg(any(target_os = "linux", target_os = "macos", target_os = "windows"))]
impl SecretStore for KeyringSecrets {
    fn get(&self, name: &str) -> Result<Option<Vec<u8>>> {
        match self.entry(name)?.get_secret() {
            Ok(value) => Ok(Some(value)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(err) => Err(error(err)),
        }
    }

    fn set(&self, name: &str, value: &[u8]) -> Result<()> {
        self.entry(name)?.set_secret(value).map_err(error)
    }

    fn delete(&self, name: &str) -> Result<()> {
        match self.entry(name)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(err) => Err(error(err)),
        }
    }

    fn backend(&self) -> SecretBackendInfo {
        SecretBackendInfo::new(BACKEND)
    }
}

/// No keychain support on this platform: every call fails, so `open_secrets` uses the file.
#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
impl SecretStore for KeyringSecrets {
    fn get(&self, _: &str) -> Result<Option<Vec<u8>>> {
        Err(Error::secret_store(
            BACKEND,
            "no OS keychain support on this platform",
        ))
    }
    fn set(&self, _: &str, _: &[u8]) -> Result<()> {
        Err(Error::secret_store(
            BACKEND,
            "no OS keychain support on this platform",
        ))
    }
    fn delete(&self, _: &str) -> Result<()> {
        Err(Error::secret_store(
            BACKEND,
            "no OS keychain support on this platform",
        ))
    }
    fn backend(&self) -> SecretBackendInfo {
        SecretBackendInfo::new(BACKEND)
    }
}
