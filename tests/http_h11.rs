//! The HTTP server under a strict client: Python's h11 checks every byte of
//! every response on a keep-alive connection (tests/py/h11_client.py).

mod common;

use std::process::Command;

use common::web::{python, Web};
use mnet::http::Limits;

#[test]
fn h11_accepts_every_response() {
    let Some(py) = python() else {
        return;
    };
    let mut web = Web::new(Limits::default());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/py/h11_client.py");
    let port = web.addr.port().to_string();
    let out = web.run(Command::new(py).args([script, &port]));
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "h11 client failed:\n{stdout}\n{stderr}");
    assert_eq!(stdout.matches("ok: ").count(), 6, "{stdout}");
}
