//! A full first-run → login → refresh → change-password → refresh → logout cycle against a real
//! data dir (SQLite in WAL mode, the fallback secrets file, the log file at TRACE), then a search
//! of the database files and the log for every password, token and signing key: none may appear.
//!
//! Built without `cfg(test)` in the library, so this also runs the real argon2id parameters.
//! One test in this binary: it installs the process-wide log subscriber.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine as _;
use loris_auth::secrets::{FileSecrets, SecretStore, open_secrets_with};
use loris_auth::{Auth, Error, Result, SecretBackendInfo};

const SIGNING_KEY: &str = "auth.jwt-signing-key";

/// No keychain on this "machine": `open_secrets` must fall back to the file.
struct NoKeychain;

impl SecretStore for NoKeychain {
    fn get(&self, _: &str) -> Result<Option<Vec<u8>>> {
        Err(unreachable_keychain())
    }
    fn set(&self, _: &str, _: &[u8]) -> Result<()> {
        Err(unreachable_keychain())
    }
    fn delete(&self, _: &str) -> Result<()> {
        Err(unreachable_keychain())
    }
    fn backend(&self) -> SecretBackendInfo {
        SecretBackendInfo::new("secret-service")
    }
}

fn unreachable_keychain() -> Error {
    Error::SecretStore {
        backend: "secret-service".into(),
        reason: "no D-Bus session bus".into(),
    }
}

/// The ways a secret could be written: as text, and a key also raw, hex and base64.
fn forms(secret: &[u8]) -> Vec<Vec<u8>> {
    let mut forms = vec![secret.to_vec()];
    if std::str::from_utf8(secret).is_err() {
        let hex: String = secret.iter().map(|b| format!("{b:02x}")).collect();
        forms.push(hex.into_bytes());
        forms.push(
            base64::engine::general_purpose::STANDARD
                .encode(secret)
                .into_bytes(),
        );
        forms.push(
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(secret)
                .into_bytes(),
        );
    }
    forms
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn files_named(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(prefix))
        })
        .collect();
    files.sort();
    files
}

fn assert_clean(files: &[PathBuf], secrets: &[(String, Vec<u8>)]) {
    for file in files {
        let bytes = std::fs::read(file).unwrap();
        for (label, secret) in secrets {
            for form in forms(secret) {
                assert!(
                    !contains(&bytes, &form),
                    "{label} found in clear in {}",
                    file.display()
                );
            }
        }
    }
}

#[test]
fn no_password_token_or_key_in_sqlite_or_the_log() {
    // Before any thread starts: log everything, so a leak at any level would be caught.
    // SAFETY: this test binary has one test and sets the variable before spawning threads.
    unsafe { std::env::set_var("LORIS_LOG", "trace") };
    let home = tempfile::tempdir().unwrap();
    let data_dir = loris_core::DataDir::at(home.path().join("loris"));
    data_dir.ensure().unwrap();
    let log_guard = loris_core::logging::init(&data_dir.log_dir(), false).unwrap();
    let service = loris_core::Service::open(data_dir.clone()).unwrap();

    let (secrets, info) = open_secrets_with(data_dir.root(), Arc::new(NoKeychain));
    assert_eq!(info.name, "file");
    assert!(info.is_fallback);
    let auth = Auth::new(service.store().clone(), secrets, info).unwrap();
    let file = FileSecrets::in_data_dir(data_dir.root());

    let mut leaks: Vec<(String, Vec<u8>)> = Vec::new();
    let mut remember = |label: &str, value: &[u8]| leaks.push((label.to_owned(), value.to_vec()));

    let creds = auth.first_run().unwrap();
    remember("first-run passphrase", creds.passphrase.as_bytes());

    let wrong = "Wrong-Guess-7f3a9c";
    remember("a wrong password", wrong.as_bytes());
    assert_eq!(
        auth.login("admin", wrong).unwrap_err().code(),
        "invalid_credentials"
    );
    // A password typed into the username box must not be logged as a username.
    let typo = "Typed-Into-The-Username-Box-51d2";
    remember("a password typed as a username", typo.as_bytes());
    assert_eq!(
        auth.login(typo, wrong).unwrap_err().code(),
        "invalid_credentials"
    );

    let s1 = auth.login("admin", &creds.passphrase).unwrap();
    let key_before = file
        .get(SIGNING_KEY)
        .unwrap()
        .expect("key created at login");
    remember("signing key before the change", &key_before);
    let s2 = auth.refresh(&s1.refresh_token).unwrap();

    let new_password = "Second-Password-c0ffee";
    remember("the new password", new_password.as_bytes());
    let s3 = auth
        .change_password(&s2.access_token, &creds.passphrase, new_password)
        .unwrap();
    let key_after = file.get(SIGNING_KEY).unwrap().expect("rotated key");
    assert_ne!(key_after, key_before);
    remember("signing key after the change", &key_after);
    let s4 = auth.refresh(&s3.refresh_token).unwrap();
    assert_eq!(auth.verify(&s4.access_token).unwrap().username, "admin");
    auth.logout(&s4.access_token).unwrap();
    assert_eq!(
        auth.login("admin", &creds.passphrase).unwrap_err().code(),
        "invalid_credentials"
    );

    for (i, s) in [&s1, &s2, &s3, &s4].into_iter().enumerate() {
        remember(
            &format!("access token {}", i + 1),
            s.access_token.as_bytes(),
        );
        // The signature alone would be enough to forge nothing, but it must not be stored either.
        let signature = s.access_token.rsplit('.').next().unwrap();
        remember(
            &format!("access token {} signature", i + 1),
            signature.as_bytes(),
        );
        remember(
            &format!("refresh token {}", i + 1),
            s.refresh_token.as_bytes(),
        );
    }

    // While the database is open, recent writes are in the -wal file.
    let db_files = || files_named(data_dir.root(), "loris.db");
    let open_files = db_files();
    assert!(
        open_files
            .iter()
            .any(|p| p.to_string_lossy().ends_with("-wal")),
        "{open_files:?}"
    );
    assert_clean(&open_files, &leaks);

    drop(auth);
    drop(service);
    drop(log_guard);
    assert_clean(&db_files(), &leaks);

    let logs = files_named(&data_dir.log_dir(), "loris");
    let text: String = logs
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    // The log did record the cycle, so finding nothing in it means something.
    for expected in [
        "first run: created the admin user",
        "login failed: no such user",
        "wrong password",
        "login succeeded",
        "password changed",
        "logged out",
        "secrets fall back to a file",
    ] {
        assert!(text.contains(expected), "log lacks {expected:?}:\n{text}");
    }
    assert_clean(&logs, &leaks);

    // The fallback file does hold the key (that is its job), and only the user can read it.
    let stored = std::fs::read_to_string(file.path()).unwrap();
    assert!(stored.contains(&base64::engine::general_purpose::STANDARD.encode(&key_after)));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(file.path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
