//! An HTTP/1.1 server on mnet (Rust): the TechEmpower routes, a POST echo,
//! a streamed chunked response, a static file, and an upload whose body is
//! taken as it arrives (counted, never held whole).
//!
//!     cargo run --release --example http_server -- 127.0.0.1:8080 [file]
//!     curl http://127.0.0.1:8080/plaintext       # Hello, World!
//!     curl http://127.0.0.1:8080/json            # {"message":"Hello, World!"}
//!     curl --data-binary @README.md http://127.0.0.1:8080/echo
//!     curl http://127.0.0.1:8080/stream          # three chunks
//!     curl http://127.0.0.1:8080/file            # the file given (README.md by default)
//!     curl -T README.md http://127.0.0.1:8080/upload   # "N bytes"
use std::collections::HashMap;

use mnet::http::{Event, Limits, Response, Server};
use mnet::Reactor;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:8080".into());
    let file = args.next().unwrap_or_else(|| "README.md".into());
    let mut r = Reactor::new()?;
    // Bodies up to Limits::max_body (8 MiB): /echo holds its whole; /upload
    // streams, so a program taking larger uploads there can raise the limit.
    let mut http = Server::new(Limits::default());
    let plaintext = http.route(Some("GET"), "/plaintext")?;
    let json = http.route(Some("GET"), "/json")?;
    let echo = http.route(Some("POST"), "/echo")?;
    let stream = http.route(Some("GET"), "/stream")?;
    let static_file = http.route(Some("GET"), "/file")?;
    let upload = http.route(Some("PUT"), "/upload")?;
    http.stream_body(upload)?;
    let mut uploaded: HashMap<_, usize> = HashMap::new();
    http.listen(&mut r, &addr)?;
    println!("listening on http://{addr}/");
    loop {
        r.poll(1000)?;
        while let Some(m) = r.next() {
            http.handle(&mut r, m);
            while let Some(ev) = http.next_event() {
                let id = match ev {
                    Event::Request(id) => id,
                    // /upload's body, part by part, then its end.
                    Event::Body(id) => {
                        *uploaded.entry(id).or_default() += http.take_body(&mut r, id)?.len();
                        continue;
                    }
                    Event::BodyEnd(id) => {
                        let n = http.take_body(&mut r, id)?.len() + uploaded.remove(&id).unwrap_or(0);
                        http.respond_bytes(&mut r, id, 200, "text/plain", format!("{n} bytes\n").as_bytes())?;
                        continue;
                    }
                    Event::Aborted(id) => {
                        uploaded.remove(&id);
                        continue;
                    }
                    Event::Drain(_) => continue,
                };
                let Some(q) = http.request(id) else { continue };
                let (route, body) = (q.route(), q.body().to_vec());
                if route == plaintext {
                    http.respond_bytes(&mut r, id, 200, "text/plain", b"Hello, World!")?;
                } else if route == json {
                    http.respond_bytes(&mut r, id, 200, "application/json", br#"{"message":"Hello, World!"}"#)?;
                } else if route == echo {
                    http.respond(&mut r, id, Response::new(200).header("Content-Type", "application/octet-stream").body(body))?;
                } else if route == stream {
                    http.respond_stream(&mut r, id, 200, &[("Content-Type", "text/plain")])?;
                    for part in ["one\n", "two\n", "three\n"] {
                        http.write_chunk(&mut r, id, part.as_bytes())?;
                    }
                    http.end_stream(&mut r, id)?;
                } else if route == static_file {
                    http.respond_file(&mut r, id, &file, "text/plain")?;
                } else if route == upload {
                    // The body follows (Event::Body, Event::BodyEnd).
                } else {
                    http.respond_bytes(&mut r, id, 404, "text/plain", b"not found\n")?;
                }
            }
        }
    }
}
