//! An HTTP/1.1 server on mnet (Rust): the TechEmpower routes, a POST echo,
//! a streamed chunked response and a static file.
//!
//!     cargo run --release --example http_server -- 127.0.0.1:8080 [file]
//!     curl http://127.0.0.1:8080/plaintext       # Hello, World!
//!     curl http://127.0.0.1:8080/json            # {"message":"Hello, World!"}
//!     curl --data-binary @README.md http://127.0.0.1:8080/echo
//!     curl http://127.0.0.1:8080/stream          # three chunks
//!     curl http://127.0.0.1:8080/file            # the file given (README.md by default)
use mnet::http::{Event, Limits, Response, Server};
use mnet::Reactor;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:8080".into());
    let file = args.next().unwrap_or_else(|| "README.md".into());
    let mut r = Reactor::new()?;
    let mut http = Server::new(Limits::default());
    let plaintext = http.route(Some("GET"), "/plaintext")?;
    let json = http.route(Some("GET"), "/json")?;
    let echo = http.route(Some("POST"), "/echo")?;
    let stream = http.route(Some("GET"), "/stream")?;
    let static_file = http.route(Some("GET"), "/file")?;
    http.listen(&mut r, &addr)?;
    println!("listening on http://{addr}/");
    loop {
        r.poll(1000)?;
        while let Some(m) = r.next() {
            http.handle(&mut r, m);
            while let Some(ev) = http.next_event() {
                let Event::Request(id) = ev else { continue };
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
                } else {
                    http.respond_bytes(&mut r, id, 404, "text/plain", b"not found\n")?;
                }
            }
        }
    }
}
