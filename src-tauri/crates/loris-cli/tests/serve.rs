//! `loris serve` refuses unsafe settings before it loads anything. (Serving itself is checked
//! by tests/conformance/run.sh with the official SDKs.)

use std::process::Command;

fn serve(home: &std::path::Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_loris"))
        .arg("serve")
        .args(args)
        .env("LORIS_HOME", home)
        .env_remove("LORIS_API_KEY")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn lan_access_without_any_key_is_refused() {
    let home = tempfile::tempdir().unwrap();
    // The model does not exist: the settings are checked first.
    let (ok, text) = serve(home.path(), &["--model", "missing.gguf", "--lan"]);
    assert!(!ok);
    assert!(text.contains("LAN access needs an API key"), "{text}");
}

#[test]
fn a_public_address_needs_lan_access() {
    let home = tempfile::tempdir().unwrap();
    let (ok, text) = serve(
        home.path(),
        &[
            "--model",
            "missing.gguf",
            "--host",
            "0.0.0.0",
            "--api-key",
            "k",
        ],
    );
    assert!(!ok);
    assert!(text.contains("turn LAN access on"), "{text}");
}
