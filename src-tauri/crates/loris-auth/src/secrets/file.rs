//! The fallback secret store: one JSON file in the data dir, mode 0600, replaced atomically.
//!
//! Values are in clear inside the file (base64 is only an encoding): its protection is the file
//! mode, exactly as the issue asks for a machine without a keychain. Settings says so.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::{SECRETS_FILE_NAME, SecretBackendInfo, SecretStore, check_name};
use crate::error::{Error, Result};

const BACKEND: &str = "file";
const FORMAT_VERSION: u32 = 1;

#[derive(Default, Serialize, Deserialize)]
struct Contents {
    version: u32,
    /// name → base64 of the value.
    secrets: BTreeMap<String, String>,
}

pub struct FileSecrets {
    path: PathBuf,
    reason: Option<String>,
    // Read-modify-write under one lock, so two threads' writes do not drop each other's entries.
    // (Two processes writing at the same instant can still race; writes are rare: a key rotation,
    // a saved API key.)
    lock: Mutex<()>,
}

impl FileSecrets {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        FileSecrets {
            path: path.into(),
            reason: None,
            lock: Mutex::new(()),
        }
    }

    /// `secrets.json` in the data dir.
    pub fn in_data_dir(data_dir: &Path) -> Self {
        Self::new(data_dir.join(SECRETS_FILE_NAME))
    }

    /// Records why the keychain was not used, for [`SecretStore::backend`].
    pub fn with_reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every entry, for moving them into the keychain once it answers.
    pub(crate) fn entries(&self) -> Result<Vec<(String, Zeroizing<Vec<u8>>)>> {
        let _guard = self.guard();
        let contents = self.read()?;
        contents
            .secrets
            .iter()
            .map(|(name, encoded)| Ok((name.clone(), self.decode(name, encoded)?)))
            .collect()
    }

    pub(crate) fn remove_file(&self) -> Result<()> {
        let _guard = self.guard();
        std::fs::remove_file(&self.path).map_err(|e| self.error("removing", e))
    }

    fn guard(&self) -> std::sync::MutexGuard<'_, ()> {
        self.lock.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn read(&self) -> Result<Contents> {
        let bytes = match std::fs::read(&self.path) {
            Ok(bytes) => Zeroizing::new(bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Contents::default()),
            Err(e) => return Err(self.error("reading", e)),
        };
        self.tighten_mode();
        let contents: Contents = serde_json::from_slice(&bytes).map_err(|e| {
            // The position only: serde's message never quotes the (secret) input.
            Error::secret_store(
                BACKEND,
                format!(
                    "{} is damaged (line {}, column {}); move it away to start over",
                    self.path.display(),
                    e.line(),
                    e.column()
                ),
            )
        })?;
        if contents.version > FORMAT_VERSION {
            return Err(Error::secret_store(
                BACKEND,
                format!(
                    "{} was written by a newer Loris Studio (format {})",
                    self.path.display(),
                    contents.version
                ),
            ));
        }
        Ok(contents)
    }

    /// A file someone made readable to others is narrowed back to the user, with a warning.
    fn tighten_mode(&self) {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            if let Ok(meta) = std::fs::metadata(&self.path)
                && meta.permissions().mode() & 0o077 != 0
            {
                tracing::warn!(file = %self.path.display(), "the secrets file was readable by others; restricting it to the user");
                let _ =
                    std::fs::set_permissions(&self.path, std::fs::Permissions::from_mode(0o600));
            }
        }
    }

    /// Writes a temporary file (mode 0600 from its creation), syncs it, renames it over the old
    /// one: a crash leaves the old file or the new one, never half of either.
    fn write(&self, contents: &Contents) -> Result<()> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| self.error("creating the folder of", e))?;
        let json = Zeroizing::new(
            serde_json::to_vec_pretty(contents)
                .map_err(|e| Error::Internal(format!("encoding secrets: {e}")))?,
        );
        let file_name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| SECRETS_FILE_NAME.to_owned());
        let tmp = dir.join(format!(".{file_name}.tmp-{}", std::process::id()));
        let written = (|| -> std::io::Result<()> {
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create(true).truncate(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(0o600);
            }
            let mut file = options.open(&tmp)?;
            // `mode` applies only when the file is created; a leftover temp file gets it here.
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
            }
            file.write_all(&json)?;
            file.sync_all()?;
            drop(file);
            std::fs::rename(&tmp, &self.path)?;
            // Make the rename itself durable.
            #[cfg(unix)]
            if let Ok(dir) = std::fs::File::open(dir) {
                let _ = dir.sync_all();
            }
            Ok(())
        })();
        written.map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            self.error("writing", e)
        })
    }

    fn decode(&self, name: &str, encoded: &str) -> Result<Zeroizing<Vec<u8>>> {
        STANDARD.decode(encoded).map(Zeroizing::new).map_err(|_| {
            Error::secret_store(
                BACKEND,
                format!("entry {name} in {} is damaged", self.path.display()),
            )
        })
    }

    fn error(&self, action: &str, err: std::io::Error) -> Error {
        Error::secret_store(BACKEND, format!("{action} {}: {err}", self.path.display()))
    }
}

impl SecretStore for FileSecrets {
    fn get(&self, name: &str) -> Result<Option<Vec<u8>>> {
        check_name(name)?;
        let _guard = self.guard();
        let contents = self.read()?;
        match contents.secrets.get(name) {
            Some(encoded) => Ok(Some(self.decode(name, encoded)?.to_vec())),
            None => Ok(None),
        }
    }

    fn set(&self, name: &str, value: &[u8]) -> Result<()> {
        check_name(name)?;
        let _guard = self.guard();
        let mut contents = self.read()?;
        contents.version = FORMAT_VERSION;
        contents
            .secrets
            .insert(name.to_owned(), STANDARD.encode(value));
        self.write(&contents)
    }

    fn delete(&self, name: &str) -> Result<()> {
        check_name(name)?;
        let _guard = self.guard();
        let mut contents = self.read()?;
        if contents.secrets.remove(name).is_none() {
            return Ok(());
        }
        contents.version = FORMAT_VERSION;
        self.write(&contents)
    }

    fn backend(&self) -> SecretBackendInfo {
        SecretBackendInfo {
            name: BACKEND.to_owned(),
            is_fallback: true,
            reason: self.reason.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_get_delete_and_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileSecrets::in_data_dir(&dir.path().join("nested"));
        assert_eq!(store.get("a").unwrap(), None);
        store.set("a", &[0, 1, 2, 255]).unwrap();
        store.set("b", b"two").unwrap();
        assert_eq!(store.get("a").unwrap(), Some(vec![0, 1, 2, 255]));
        store.delete("a").unwrap();
        store.delete("a").unwrap();
        let reopened = FileSecrets::in_data_dir(&dir.path().join("nested"));
        assert_eq!(reopened.get("a").unwrap(), None);
        assert_eq!(reopened.get("b").unwrap(), Some(b"two".to_vec()));
        // No temporary file is left behind.
        let names: Vec<_> = std::fs::read_dir(dir.path().join("nested"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from(SECRETS_FILE_NAME)]);
    }

    #[cfg(unix)]
    #[test]
    fn the_file_is_private_and_stays_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let store = FileSecrets::in_data_dir(dir.path());
        store.set("k", b"v").unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(store.path()), 0o600);
        std::fs::set_permissions(store.path(), std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(store.get("k").unwrap(), Some(b"v".to_vec()));
        assert_eq!(mode(store.path()), 0o600);
    }

    #[test]
    fn a_damaged_file_is_an_error_that_does_not_quote_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileSecrets::in_data_dir(dir.path());
        std::fs::write(store.path(), b"{\"version\":1,\"secrets\":{\"k\":\"sk-LEAK").unwrap();
        let err = store.get("k").unwrap_err();
        assert_eq!(err.code(), "secret_store");
        assert!(!err.to_string().contains("sk-LEAK"), "{err}");
        // And it is left alone for the user to inspect.
        assert!(std::fs::read(store.path()).unwrap().ends_with(b"sk-LEAK"));
    }
}
