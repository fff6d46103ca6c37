//! The HTTP/1.1 server against real clients (curl) and raw sockets: routes,
//! keep-alive reuse, chunked uploads and responses, 100-continue, HEAD,
//! pipelining in order, a request one byte at a time, every framing and
//! limit rule, slow heads, abandoned bodies, many connections, HTTPS with the
//! test CA. After each refused request, a normal one is answered.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use common::web::Web;
use mnet::http::Limits;

/// curl with `args`, then the URL of `path` on the fixture.
fn curl(web: &mut Web, args: &[&str], path: &str) -> (String, String) {
    let url = web.url(path);
    let out = web.run(Command::new("curl").args(["-sS", "--max-time", "20"]).args(args).arg(url));
    assert!(out.status.success(), "curl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn curl_gets_plaintext_json_params_and_query() {
    let mut web = Web::new(Limits::default());
    let (body, _) = curl(&mut web, &[], "/plaintext");
    assert_eq!(body, "Hello, World!");
    let (head, _) = curl(&mut web, &["-D", "-", "-o", "/dev/null"], "/json");
    let head = head.to_ascii_lowercase();
    for h in ["http/1.1 200 ok", "content-type: application/json", "content-length: 27", "server: mnet", "date: "] {
        assert!(head.contains(h), "{h} in {head}");
    }
    assert_eq!(curl(&mut web, &[], "/params/42/ada").0, "42 ada");
    assert_eq!(curl(&mut web, &[], "/query?a=x%20y&b=1+2").0, "x y|1 2");
    let (_, err) = curl(&mut web, &["-o", "/dev/null", "-w", "%{http_code}"], "/nope");
    assert!(err.is_empty());
    let out = web.run(Command::new("curl").args(["-s", "-o", "/dev/null", "-w", "%{http_code}", &web.url("/nope")]));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "404");
}

#[test]
fn curl_reuses_a_keep_alive_connection() {
    let mut web = Web::new(Limits::default());
    let url = web.url("/plaintext");
    let (body, err) = curl(&mut web, &["-v", &url, &url], "/plaintext");
    assert_eq!(body, "Hello, World!".repeat(3), "three answers on one connection");
    assert!(err.matches("Re-using existing connection").count() >= 2 || err.contains("Reusing existing"), "{err}");
}

#[test]
fn curl_uploads_to_a_streamed_route_arrive_in_parts_whole() {
    // Past the 8 MiB body limit would be 413; 4 MiB streams under it, taken
    // part by part by the fixture (tests/common/web.rs: /upload).
    let mut web = Web::new(Limits::default());
    let dir = std::env::temp_dir().join(format!("mnet-http-stream-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("upload.bin");
    let mut data = vec![0u8; 4 << 20];
    common::fill_pattern(&mut data, 11);
    std::fs::write(&file, &data).unwrap();
    let sum: u64 = data.iter().map(|&b| u64::from(b)).sum();
    let url = web.url("/upload");
    let file = file.display().to_string();
    for extra in [&[][..], &["-H", "Transfer-Encoding: chunked"][..]] {
        let out = web.run(Command::new("curl").args(["-sS", "--max-time", "20", "-T", &file]).args(extra).arg(&url));
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let got = String::from_utf8_lossy(&out.stdout).into_owned();
        let f: Vec<u64> = got.split(' ').map(|x| x.parse().unwrap()).collect();
        assert_eq!((f[0], f[1]), (data.len() as u64, sum), "{extra:?}: every byte arrived, in order of sum");
        assert!(f[2] > 1, "{extra:?}: the body came in parts ({} parts)", f[2]);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn curl_uploads_chunked_and_with_100_continue() {
    let mut web = Web::new(Limits::default());
    let dir = std::env::temp_dir().join(format!("mnet-http-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("upload.bin");
    let mut data = vec![0u8; 300_000];
    common::fill_pattern(&mut data, 7);
    std::fs::write(&file, &data).unwrap();
    let at = format!("@{}", file.display());
    let url = web.url("/echo");
    for extra in [&["-H", "Transfer-Encoding: chunked"][..], &["-H", "Expect: 100-continue"][..]] {
        let out = web.run(
            Command::new("curl")
                .args(["-sS", "--max-time", "20", "--data-binary", &at, "-H", "Content-Type: application/x-test"])
                .args(extra)
                .arg(&url),
        );
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(out.stdout == data, "the echo of {extra:?} is the upload ({} bytes back)", out.stdout.len());
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn head_gets_headers_without_a_body_and_streams_come_chunked() {
    let mut web = Web::new(Limits::default());
    let (head, _) = curl(&mut web, &["-I"], "/plaintext");
    assert!(head.to_ascii_lowercase().contains("content-length: 13"), "{head}");
    let (body, err) = curl(&mut web, &["-v"], "/stream");
    assert_eq!(body, "one,two,three");
    assert!(err.to_ascii_lowercase().contains("transfer-encoding: chunked"), "{err}");
}

/// A raw client: writes `req`, reads until the server closes or `want`
/// responses came (counted by status lines).
fn raw(web: &mut Web, req: &[u8], want: usize) -> String {
    let mut s = TcpStream::connect(web.addr).unwrap();
    s.write_all(req).unwrap();
    s.set_nonblocking(true).unwrap();
    let mut got = Vec::new();
    web.serve_until("the responses", |_| {
        let mut b = [0u8; 65536];
        match s.read(&mut b) {
            Ok(0) => return true,
            Ok(n) => got.extend_from_slice(&b[..n]),
            Err(_) => {}
        }
        String::from_utf8_lossy(&got).matches("HTTP/1.1 ").count() >= want && want > 0
    });
    String::from_utf8_lossy(&got).into_owned()
}

fn status_of(response: &str) -> &str {
    response.get(9..12).unwrap_or("")
}

#[test]
fn every_framing_and_limit_rule_refuses_then_the_server_still_serves() {
    let limits = Limits {
        max_head: 4096,
        max_uri: 1024,
        max_headers: 20,
        max_body: 1000,
        ..Limits::default()
    };
    let mut web = Web::new(limits);
    let many: String = (0..30).map(|i| format!("X-{i}: v\r\n")).collect();
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\nabc".to_vec(), "400"),
        (b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc".to_vec(), "400"),
        (b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: -3\r\n\r\n".to_vec(), "400"),
        (b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 18446744073709551616\r\n\r\n".to_vec(), "400"),
        (b"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n".to_vec(), "501"),
        (b"GET /plaintext HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n".to_vec(), "400"),
        (b"GET /plaintext HTTP/1.1\r\nHost : a\r\n\r\n".to_vec(), "400"),
        (b"GET /plaintext HTTP/1.1\r\nHost: a\rb\r\n\r\n".to_vec(), "400"),
        (b"GET /plaintext HTTP/1.1\r\n\r\n".to_vec(), "400"),
        (b"GET /plaintext HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n".to_vec(), "400"),
        (b"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n".to_vec(), "400"),
        (format!("GET /{} HTTP/1.1\r\nHost: a\r\n\r\n", "u".repeat(2000)).into_bytes(), "414"),
        (format!("GET / HTTP/1.1\r\nHost: a\r\nX: {}\r\n\r\n", "h".repeat(5000)).into_bytes(), "431"),
        (format!("GET / HTTP/1.1\r\nHost: a\r\n{many}\r\n").into_bytes(), "431"),
        (b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\n\r\n".to_vec(), "413"),
        (b"GET / HTTP/2.0\r\nHost: a\r\n\r\n".to_vec(), "505"),
        (b"\x16\x03\x01\x02\x00garbage\r\n\r\n".to_vec(), "400"),
    ];
    for (req, want) in cases {
        let got = raw(&mut web, &req, 0);
        assert_eq!(status_of(&got), want, "{:?} -> {got:?}", String::from_utf8_lossy(&req[..req.len().min(80)]));
        assert!(got.to_ascii_lowercase().contains("connection: close"), "{got}");
        let ok = raw(&mut web, b"GET /plaintext HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", 0);
        assert!(ok.ends_with("Hello, World!"), "still serving after a {want}: {ok}");
    }
    web.serve_until("every connection closed", |w| w.http.connections() == 0);
}

#[test]
fn pipelined_requests_are_answered_in_order_even_when_one_answers_later() {
    let mut web = Web::new(Limits::default());
    let mut req = Vec::new();
    for path in ["/plaintext", "/later", "/params/1/a", "/later", "/json"] {
        req.extend_from_slice(format!("GET {path} HTTP/1.1\r\nHost: a\r\n\r\n").as_bytes());
    }
    let got = raw(&mut web, &req, 5);
    let bodies: Vec<&str> = got.split("HTTP/1.1 200 OK").skip(1).map(|r| r.rsplit("\r\n\r\n").next().unwrap_or("")).collect();
    assert_eq!(bodies, ["Hello, World!", "answered later\n", "1 a", "answered later\n", r#"{"message":"Hello, World!"}"#]);
}

#[test]
fn a_request_one_byte_at_a_time() {
    let mut web = Web::new(Limits::default());
    let mut s = TcpStream::connect(web.addr).unwrap();
    s.set_nodelay(true).unwrap();
    for &b in b"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n" {
        s.write_all(&[b]).unwrap();
        web.round(0);
    }
    s.set_nonblocking(true).unwrap();
    let mut got = Vec::new();
    web.serve_until("the echo", |_| {
        let mut b = [0u8; 4096];
        if let Ok(n) = s.read(&mut b) {
            got.extend_from_slice(&b[..n]);
        }
        got.ends_with(b"abcde")
    });
}

#[test]
fn slow_heads_and_bodies_get_408_and_abandoned_bodies_leave_nothing() {
    let limits = Limits {
        head_timeout_ms: 300,
        body_timeout_ms: 300,
        ..Limits::default()
    };
    let mut web = Web::new(limits);
    for partial in [&b"GET /plaintext HTTP/1.1\r\nHos"[..], b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc"] {
        let start = std::time::Instant::now();
        let got = raw(&mut web, partial, 0);
        assert_eq!(status_of(&got), "408", "{got}");
        assert!(start.elapsed() >= Duration::from_millis(300), "not before the timeout");
    }
    // A body abandoned halfway: no request reaches the program, nothing stays.
    let before = web.requests;
    let mut s = TcpStream::connect(web.addr).unwrap();
    s.write_all(b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nhalf").unwrap();
    web.serve_until("the connection", |w| w.http.connections() == 1);
    drop(s);
    web.serve_until("its end", |w| w.http.connections() == 0);
    assert_eq!(web.requests, before);
    let ok = raw(&mut web, b"GET /plaintext HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", 0);
    assert!(ok.ends_with("Hello, World!"));
}

#[test]
fn a_thousand_keep_alive_connections_at_once() {
    const N: usize = 1000;
    if !common::peer::raise_nofile((common::peer::open_fds() + 2 * N + 64) as u64) {
        return;
    }
    let mut web = Web::new(Limits::default());
    let mut clients: Vec<TcpStream> = (0..N).map(|_| TcpStream::connect(web.addr).unwrap()).collect();
    for c in &mut clients {
        c.write_all(b"GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n").unwrap();
        c.set_nonblocking(true).unwrap();
    }
    let mut answered = vec![Vec::new(); N];
    web.serve_until("1000 answers", |_| {
        for (c, got) in clients.iter_mut().zip(answered.iter_mut()) {
            let mut b = [0u8; 512];
            if let Ok(n) = c.read(&mut b) {
                got.extend_from_slice(&b[..n]);
            }
        }
        answered.iter().all(|g| g.ends_with(b"Hello, World!"))
    });
    assert_eq!(web.http.connections(), N, "all kept alive");
    drop(clients);
    web.serve_until("the closes", |w| w.http.connections() == 0);
}

#[test]
fn curl_over_https_with_the_test_ca() {
    let pki = common::certs::pki(&["localhost", "127.0.0.1"]);
    let mut web = Web::with_tls(Limits::default(), Some(common::certs::server_config(&pki)));
    let dir = std::env::temp_dir().join(format!("mnet-https-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, &pki.ca_pem).unwrap();
    let url = format!("https://localhost:{}/json", web.addr.port());
    let ca_arg = ca.to_str().unwrap().to_owned();
    let out = web.run(Command::new("curl").args(["-sS", "--max-time", "20", "--cacert", &ca_arg, &url, &url]));
    assert!(out.status.success(), "curl: {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout), r#"{"message":"Hello, World!"}"#.repeat(2));
    // Without the CA, curl refuses the server's certificate.
    let out = web.run(Command::new("curl").args(["-sS", "--max-time", "20", &url]));
    assert!(!out.status.success(), "curl trusted a certificate it should not");
    std::fs::remove_dir_all(&dir).unwrap();
}
