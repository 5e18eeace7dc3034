//! A round trip through the real OS keychain. Ignored by default: CI and developers run it where a
//! keychain answers. On a headless Linux box (the command CI uses, verified on Debian 12):
//!
//! ```sh
//! KR=$(mktemp -d) && mkdir -p -m 700 "$KR/run"
//! XDG_DATA_HOME=$KR/data XDG_RUNTIME_DIR=$KR/run dbus-run-session -- bash -c '
//!   printf ci-pass | gnome-keyring-daemon --unlock --components=secrets >/dev/null
//!   keyctl session - cargo test -p loris-auth --test keyring_real -- --ignored'
//! ```
//!
//! Without a D-Bus session, or with a locked keyring and nobody to unlock it, it fails within a
//! second (no hang); `open_secrets` then falls back to the file.

use loris_auth::secrets::{KeyringSecrets, SecretStore, open_secrets};

const TEST_SERVICE: &str = "dev.loris.studio.test";

#[test]
#[ignore = "needs a real keychain (see the file header for the headless command)"]
fn keyring_real() {
    let name = format!("test.round-trip-{}", std::process::id());
    // Not UTF-8 on purpose: secrets are bytes (a signing key is).
    let value: Vec<u8> = (0u8..=255).rev().take(48).collect();

    let store = KeyringSecrets::with_service(TEST_SERVICE);
    store.delete(&name).unwrap();
    assert_eq!(store.get(&name).unwrap(), None);
    store.set(&name, &value).unwrap();
    // A fresh handle reads it back: the value is in the keychain, not in this object.
    let reader = KeyringSecrets::with_service(TEST_SERVICE);
    assert_eq!(reader.get(&name).unwrap(), Some(value.clone()));
    store.set(&name, b"replaced").unwrap();
    assert_eq!(reader.get(&name).unwrap(), Some(b"replaced".to_vec()));
    store.delete(&name).unwrap();
    assert_eq!(reader.get(&name).unwrap(), None);
    store.delete(&name).unwrap();

    // And open_secrets chooses the keychain, not the fallback file.
    let dir = tempfile::tempdir().unwrap();
    let (secrets, info) = open_secrets(dir.path());
    assert!(!info.is_fallback, "fell back: {:?}", info.reason);
    assert_eq!(secrets.backend().name, info.name);
    #[cfg(target_os = "linux")]
    assert_eq!(info.name, "secret-service");
    assert!(!dir.path().join("secrets.json").exists());
}
