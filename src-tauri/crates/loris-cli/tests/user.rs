//! `loris user` as a headless set-up script would use it.

use std::process::Command;

fn loris(home: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_loris"))
        .args(args)
        .env("LORIS_HOME", home)
        // No keychain in the test: secrets go to the fallback file, quickly.
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .output()
        .unwrap()
}

fn json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[test]
fn init_once_then_list_then_reset() {
    let home = tempfile::tempdir().unwrap();
    let first = loris(home.path(), &["user", "init", "--json"]);
    assert!(first.status.success());
    let created = json(&first);
    assert_eq!(created["created"], true);
    assert_eq!(created["username"], "admin");
    let passphrase = created["passphrase"].as_str().unwrap().to_owned();
    assert!(passphrase.len() >= 20);

    let again = loris(home.path(), &["user", "init", "--json"]);
    assert!(again.status.success(), "init twice is not an error");
    assert_eq!(
        json(&again),
        serde_json::json!({"created": false, "reason": "already_initialized"})
    );
    let text = loris(home.path(), &["user", "init"]);
    assert!(String::from_utf8_lossy(&text.stdout).contains("already set up"));

    let list = json(&loris(home.path(), &["user", "list", "--json"]));
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["username"], "admin");
    assert_eq!(list[0]["mustChangePassword"], true);
    assert!(list[0].get("passwordHash").is_none());

    let reset = loris(home.path(), &["user", "reset-password", "--json"]);
    assert!(reset.status.success());
    let reset = json(&reset);
    assert_eq!(reset["username"], "admin");
    assert_ne!(reset["passphrase"].as_str().unwrap(), passphrase);

    // The passphrases reached stdout only: not the log.
    let logs = std::fs::read_dir(home.path().join("logs")).unwrap();
    for entry in logs {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        assert!(!text.contains(&passphrase));
        assert!(!text.contains(reset["passphrase"].as_str().unwrap()));
    }
}

#[test]
fn resetting_an_unknown_user_is_not_found() {
    let home = tempfile::tempdir().unwrap();
    let out = loris(
        home.path(),
        &["user", "reset-password", "--username", "nobody", "--json"],
    );
    assert!(!out.status.success());
    assert_eq!(json(&out)["error"]["code"], "not_found");
}

#[test]
fn list_before_init_says_so() {
    let home = tempfile::tempdir().unwrap();
    let out = loris(home.path(), &["user", "list"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("loris user init"));
}
