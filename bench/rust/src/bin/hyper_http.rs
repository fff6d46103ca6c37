//! The hyper peer of the TechEmpower-style HTTP loads (bench/run.sh --only
//! http): hyper 1.x's HTTP/1 server on a tokio current-thread runtime, so it
//! uses one core like mnet.
//!
//!     hyper_http IP:PORT
//!
//! `GET /plaintext` answers "Hello, World!" (text/plain), `GET /json`
//! answers {"message":"Hello, World!"} (application/json), anything else 404.
//! hyper adds Date (cached per second) and Content-Length itself; the
//! handler adds Server. `pipeline_flush` lets hyper gather the responses to
//! pipelined requests into one write (as the TechEmpower hyper entry does).
use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderValue, CONTENT_TYPE, SERVER};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

static PLAINTEXT: &[u8] = b"Hello, World!";
static JSON: &[u8] = br#"{"message":"Hello, World!"}"#;

async fn answer(req: Request<hyper::body::Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let (status, ctype, body) = match (req.method(), req.uri().path()) {
        (&Method::GET, "/plaintext") => (StatusCode::OK, "text/plain", PLAINTEXT),
        (&Method::GET, "/json") => (StatusCode::OK, "application/json", JSON),
        _ => (StatusCode::NOT_FOUND, "text/plain", &b"not found\n"[..]),
    };
    let mut res = Response::new(Full::new(Bytes::from_static(body)));
    *res.status_mut() = status;
    let h = res.headers_mut();
    h.insert(SERVER, HeaderValue::from_static("hyper"));
    h.insert(CONTENT_TYPE, HeaderValue::from_static(ctype));
    Ok(res)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args().nth(1).ok_or("usage: hyper_http IP:PORT")?;
    let rt = tokio::runtime::Builder::new_current_thread().enable_io().enable_time().build()?;
    rt.block_on(async move {
        let listener = TcpListener::bind(&addr).await?;
        println!("hyper_http listening on {addr}");
        loop {
            let (sock, _) = listener.accept().await?;
            sock.set_nodelay(true)?;
            tokio::spawn(async move {
                let _ = http1::Builder::new()
                    .pipeline_flush(true)
                    .serve_connection(TokioIo::new(sock), service_fn(answer))
                    .await;
            });
        }
    })
}
