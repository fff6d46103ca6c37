//! Autobahn|Testsuite's cases, run by kosoku (a Python 3 runner of
//! Autobahn's case files), against `examples/ws_echo_server.rs` served
//! from a thread of this test: every case must come out OK, NON-STRICT
//! or INFORMATIONAL with a clean close, none FAILED or UNIMPLEMENTED.
//!
//! Runs groups 1-7 and 10, and 12/13 (permessage-deflate) with messages
//! up to 64 KiB: 403 cases. Left to `bench/ws_autobahn.sh` (which runs all
//! 517): 9.* (performance: messages up to 16 MiB) and the 12/13 cases of
//! 128 KiB messages (12.*.10, 12.*.15-18, 13.*.10, 13.*.15-18).
mod common;

#[allow(dead_code)]
#[path = "../examples/ws_echo_server.rs"]
mod echo;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

/// The cases this test leaves out, as kosoku's `-x` globs.
fn excluded() -> Vec<String> {
    let mut x = vec!["9.*".to_owned()];
    for size in ["10", "15", "16", "17", "18"] {
        x.push(format!("12.*.{size}"));
        x.push(format!("13.*.{size}"));
    }
    x
}

/// 517 cases in all, less 54 of group 9 and 60 of the large 12/13 ones.
const CASES: usize = 403;

#[test]
fn every_autobahn_case_passes() {
    let Some(python) = common::web::python() else {
        return;
    };
    let kosoku = Path::new(&python).with_file_name("kosoku");
    let stop = Arc::new(AtomicBool::new(false));
    let (tx, rx) = mpsc::channel();
    let server = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            echo::serve("127.0.0.1:0", |a| tx.send(a).unwrap(), || stop.load(Ordering::Relaxed)).map_err(|e| e.to_string())
        })
    };
    let addr = rx.recv_timeout(Duration::from_secs(10)).expect("the echo server listens");
    let dir: PathBuf = std::env::temp_dir().join(format!("mnet-autobahn-{}", std::process::id()));
    let mut cmd = Command::new(&kosoku);
    cmd.arg(format!("ws://{addr}")).arg("-o").arg(&dir);
    for x in excluded() {
        cmd.arg("-x").arg(x);
    }
    let out = run_bounded(cmd, Duration::from_secs(1200));
    stop.store(true, Ordering::Relaxed);
    server.join().unwrap().expect("the echo server ran without error");
    let summary = Command::new(&python)
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/py/autobahn_summary.py"))
        .arg(dir.join("index.json"))
        .output()
        .expect("run the summary");
    let summary = String::from_utf8_lossy(&summary.stdout).into_owned();
    println!("Autobahn (kosoku), {CASES} cases:\n{summary}");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(out.status.success(), "kosoku failed:\n{}\n{summary}", String::from_utf8_lossy(&out.stderr));
    assert!(summary.contains(&format!("cases {CASES}\n")), "every case ran:\n{summary}");
    assert!(!summary.contains("\nbad "), "cases that did not pass:\n{summary}");
    assert!(!summary.contains("UNIMPLEMENTED") && !summary.contains("FAILED"), "{summary}");
}

/// Runs `cmd` to its end, failing the test if it takes longer than `limit`.
fn run_bounded(mut cmd: Command, limit: Duration) -> std::process::Output {
    let child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let id = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || tx.send(child.wait_with_output()));
    match rx.recv_timeout(limit) {
        Ok(out) => out.expect("kosoku's output"),
        Err(_) => {
            // SIGKILL to the child this test started, by its pid.
            let _ = Command::new("kill").arg("-9").arg(id.to_string()).status();
            panic!("kosoku did not finish within {limit:?}");
        }
    }
}
