//! Fetches URLs with mnet's HTTP client (Rust) and prints each response:
//! status line, headers, then the body.
//!
//!     cargo run --example http_client -- http://127.0.0.1:8080/json [URL...]
//!     cargo run --example http_client -- --ca ca.pem https://localhost:8443/
//!
//! Several URLs are fetched at once (one connection per origin is reused
//! when they share one). `https://` is verified against the system's roots,
//! or against the CA file given with `--ca`. Exits 1 if any request failed.
use std::io::Write;

use mnet::http::{Client, ClientEvent, ClientOptions};
use mnet::{Reactor, TlsConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut client = Client::new(ClientOptions::default());
    if args.first().map(String::as_str) == Some("--ca") && args.len() > 1 {
        client.set_tls_config(TlsConfig::builder().ca_file(&args[1])?.build()?)?;
        args.drain(..2);
    }
    if args.is_empty() {
        eprintln!("usage: http_client [--ca ca.pem] URL...");
        std::process::exit(2);
    }
    let mut r = Reactor::new()?;
    let mut ids = Vec::new();
    for url in &args {
        ids.push((client.get(&mut r, url)?, url.clone()));
    }
    let mut failed = false;
    while client.pending() > 0 {
        r.poll(1000)?;
        while let Some(m) = r.next() {
            client.handle(&mut r, m);
        }
        while let Some(ev) = client.next_event() {
            let out = &mut std::io::stdout().lock();
            match ev {
                ClientEvent::Response(id, resp) => {
                    let url = ids.iter().find(|(i, _)| *i == id).map_or("", |(_, u)| u.as_str());
                    writeln!(out, "== {url}")?;
                    writeln!(out, "HTTP/1.{} {} {}", resp.minor_version, resp.status, resp.reason)?;
                    for (name, value) in &resp.headers {
                        writeln!(out, "{name}: {value}")?;
                    }
                    writeln!(out)?;
                    out.write_all(&resp.body)?;
                    writeln!(out)?;
                }
                ClientEvent::Failed(id, why) => {
                    let url = ids.iter().find(|(i, _)| *i == id).map_or("", |(_, u)| u.as_str());
                    eprintln!("{url}: {why}");
                    failed = true;
                }
            }
        }
    }
    std::process::exit(i32::from(failed));
}
