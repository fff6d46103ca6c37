//! Test certificates, generated at test time (no private key is committed):
//! a CA, and a server certificate it signed for "localhost" and 127.0.0.1.

use std::net::SocketAddr;

use mnet::{Handle, Kind, Reactor, TlsConfig};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};

/// PEM texts of one test PKI.
pub struct TestPki {
    pub ca_pem: String,
    pub server_cert_pem: String,
    pub server_key_pem: String,
}

/// A CA and a server certificate for `names` (host names or IP addresses).
pub fn pki(names: &[&str]) -> TestPki {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    // A distinct name per CA, so two test CAs are two issuers to a verifier.
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, format!("mnet test CA {} {n}", std::process::id()));
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    let cert = CertificateParams::new(names).unwrap().signed_by(&key, &ca).unwrap();
    TestPki {
        ca_pem: ca.pem(),
        server_cert_pem: cert.pem(),
        server_key_pem: key.serialize_pem(),
    }
}

/// The server configuration of `p` (its certificate and key).
pub fn server_config(p: &TestPki) -> TlsConfig {
    TlsConfig::builder()
        .cert_chain_pem(p.server_cert_pem.as_bytes())
        .unwrap()
        .private_key_pem(p.server_key_pem.as_bytes())
        .unwrap()
        .build()
        .unwrap()
}

/// A client configuration trusting `p`'s CA.
pub fn client_config(p: &TestPki) -> TlsConfig {
    TlsConfig::builder().ca_pem(p.ca_pem.as_bytes()).unwrap().build().unwrap()
}

/// A TLS listener on 127.0.0.1 with `p`'s certificate.
pub fn tls_listener(r: &mut Reactor, p: &TestPki, backlog: i32) -> (Handle, SocketAddr) {
    let l = r.open(Kind::Tls);
    r.set_tls_config(l, server_config(p)).unwrap();
    r.listen(l, "127.0.0.1:0", backlog).unwrap();
    let a = r.local_addr(l).unwrap();
    (l, a)
}

/// A blocking rustls client connected to `addr` as "localhost", trusting
/// `p`'s CA, with its handshake done: a TLS peer that the test drives byte
/// by byte from a thread of its own (the reactor under test must be polled
/// meanwhile for the handshake to finish).
pub fn blocking_client(p: &TestPki, addr: SocketAddr) -> (rustls::ClientConnection, std::net::TcpStream) {
    use rustls_pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for c in rustls_pki_types::CertificateDer::pem_slice_iter(p.ca_pem.as_bytes()) {
        roots.add(c.unwrap()).unwrap();
    }
    let conf = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = rustls_pki_types::ServerName::try_from("localhost").unwrap();
    let mut conn = rustls::ClientConnection::new(std::sync::Arc::new(conf), name).unwrap();
    let mut sock = std::net::TcpStream::connect(addr).unwrap();
    while conn.is_handshaking() {
        conn.complete_io(&mut sock).unwrap();
    }
    (conn, sock)
}

/// The same PKI again (its PEM texts), for a thread of its own.
impl Clone for TestPki {
    fn clone(&self) -> TestPki {
        TestPki {
            ca_pem: self.ca_pem.clone(),
            server_cert_pem: self.server_cert_pem.clone(),
            server_key_pem: self.server_key_pem.clone(),
        }
    }
}
