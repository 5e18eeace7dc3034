//! A job running when its process is killed is reported `interrupted` after a restart, and a
//! subscriber reconnecting with its last sequence number gets exactly the events it missed.
//!
//! The test re-runs its own binary as the "app" process (filtered to `child_process`), kills it
//! with SIGKILL while its job runs, then opens the same data dir again.

use std::process::{Command, Stdio};
use std::time::Duration;

use loris_core::{DataDir, JobState, Service};

const CHILD_ENV: &str = "LORIS_TEST_CHILD_HOME";

#[test]
fn child_process() {
    // Only does something when started by the parent test below.
    let Ok(home) = std::env::var(CHILD_ENV) else {
        return;
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let home_for_announce = home.clone();
    runtime.block_on(async move {
        let service = Service::open(DataDir::at(home)).unwrap();
        let handle = service
            .jobs()
            .spawn("test.forever", serde_json::json!({}), |ctx| async move {
                for step in 0.. {
                    ctx.progress(serde_json::json!({ "step": step }))?;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Ok(serde_json::Value::Null)
            })
            .unwrap();
        // Announce the job through a file: the test harness shares stdout with its own output.
        let announce = std::path::Path::new(&home_for_announce).join("job-id");
        std::fs::write(announce.with_extension("tmp"), &handle.id).unwrap();
        std::fs::rename(announce.with_extension("tmp"), announce).unwrap();
        std::future::pending::<()>().await;
    });
}

#[tokio::test]
async fn killed_job_is_interrupted_and_missed_events_replay() {
    let home = tempfile::tempdir().unwrap();
    // The UI's subscriber: connected before the crash, it read up to some cursor.
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "child_process",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, home.path())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let announce = home.path().join("job-id");
    let mut job_id = None;
    for _ in 0..600 {
        if let Ok(id) = std::fs::read_to_string(&announce) {
            job_id = Some(id);
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let Some(job_id) = job_id else {
        let _ = child.kill();
        panic!("the child process never started its job");
    };
    // Let it publish a few progress events, then kill it without warning.
    std::thread::sleep(Duration::from_millis(300));
    child.kill().unwrap();
    child.wait().unwrap();

    let service = Service::open(DataDir::at(home.path())).unwrap();
    let record = service.jobs().get(&job_id).unwrap();
    assert_eq!(record.state, JobState::Interrupted);

    // A subscriber that had seen events up to the second progress event reconnects.
    let all = service
        .events()
        .since(0, Some(&job_id), usize::MAX)
        .unwrap();
    assert!(
        all.len() >= 4,
        "expected created, progress events and finished, got {all:?}"
    );
    let cursor = all[2].seq;
    let mut sub = service.events().resume(cursor, Some(&job_id));
    let mut replayed = Vec::new();
    while let Ok(Some(event)) = tokio::time::timeout(Duration::from_millis(100), sub.next()).await {
        replayed.push(event.unwrap());
    }
    assert_eq!(
        replayed,
        all[3..].to_vec(),
        "exactly the missed events, in order"
    );
    let last = replayed.last().unwrap();
    assert_eq!(last.kind, "job.finished");
    assert_eq!(last.payload["state"], "interrupted");
    // Sequence numbers never go backwards.
    assert!(all.windows(2).all(|w| w[0].seq < w[1].seq));
}
