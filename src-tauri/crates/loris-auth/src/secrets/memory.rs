//! An in-memory secret store, for tests (here and in the crates that use auth).

use std::collections::HashMap;
use std::sync::Mutex;

use zeroize::Zeroizing;

use super::{SecretBackendInfo, SecretStore, check_name};
use crate::error::Result;

#[derive(Default)]
pub struct MemorySecrets {
    values: Mutex<HashMap<String, Zeroizing<Vec<u8>>>>,
}

impl MemorySecrets {
    pub fn new() -> Self {
        Self::default()
    }

    fn values(&self) -> std::sync::MutexGuard<'_, HashMap<String, Zeroizing<Vec<u8>>>> {
        self.values.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl SecretStore for MemorySecrets {
    fn get(&self, name: &str) -> Result<Option<Vec<u8>>> {
        check_name(name)?;
        Ok(self.values().get(name).map(|v| v.to_vec()))
    }

    fn set(&self, name: &str, value: &[u8]) -> Result<()> {
        check_name(name)?;
        self.values()
            .insert(name.to_owned(), Zeroizing::new(value.to_vec()));
        Ok(())
    }

    fn delete(&self, name: &str) -> Result<()> {
        check_name(name)?;
        self.values().remove(name);
        Ok(())
    }

    fn backend(&self) -> SecretBackendInfo {
        SecretBackendInfo::new("memory")
    }
}
