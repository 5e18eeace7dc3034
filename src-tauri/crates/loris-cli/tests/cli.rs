//! The `loris` binary as a script would use it.

use std::process::Command;

fn loris(home: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_loris"))
        .args(args)
        .env("LORIS_HOME", home)
        .output()
        .unwrap()
}

#[test]
fn info_json_names_the_data_dir_and_database() {
    let home = tempfile::tempdir().unwrap();
    let out = loris(home.path(), &["info", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let info: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    assert_eq!(info["dataDir"], home.path().to_str().unwrap());
    assert_eq!(
        info["databasePath"],
        home.path().join("loris.db").to_str().unwrap()
    );
    assert!(info["hardware"]["logicalCores"].as_u64().unwrap() >= 1);
    assert!(home.path().join("loris.db").is_file());
}

#[test]
fn jobs_list_json_is_an_array() {
    let home = tempfile::tempdir().unwrap();
    let out = loris(home.path(), &["jobs", "list", "--json"]);
    assert!(out.status.success());
    let jobs: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(jobs, serde_json::json!([]));
}

#[test]
fn a_corrupt_database_is_a_clear_error() {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join("loris.db"), vec![b'x'; 4096]).unwrap();
    let out = loris(home.path(), &["info", "--json"]);
    assert!(!out.status.success());
    let err: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(err["error"]["code"], "database_corrupt");
    let text = loris(home.path(), &["info"]);
    let stderr = String::from_utf8_lossy(&text.stderr);
    assert!(
        stderr.contains("database_corrupt") && stderr.contains("loris.db"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"));
}

#[test]
fn cancelling_an_unknown_job_says_not_found() {
    let home = tempfile::tempdir().unwrap();
    let out = loris(home.path(), &["jobs", "cancel", "nope", "--json"]);
    let err: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(err["error"]["code"], "not_found");
}
