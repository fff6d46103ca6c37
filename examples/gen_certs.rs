//! Writes a throw-away test PKI for the TLS examples and tests: a CA
//! (`ca.crt`) and a server certificate it signed (`server.crt`,
//! `server.key`) for `localhost`, `127.0.0.1` and `::1`.
//!
//!     cargo run --example gen_certs -- certs
//!     build/tls_svr 127.0.0.1:8443 certs/server.crt certs/server.key
//!     curl --cacert certs/ca.crt https://localhost:8443/
//!
//! Never use these for anything real: the key is written unprotected.
use std::fs;
use std::path::PathBuf;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "certs".into()));
    fs::create_dir_all(&dir)?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    // A distinct name per run: two runs make two CAs that a verifier tells
    // apart (one trusting the other's namesake would see a known issuer with
    // a bad signature, not an unknown CA).
    let run = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_nanos();
    ca_params
        .distinguished_name
        .push(DnType::CommonName, format!("mnet example CA {}-{run:x}", std::process::id()));
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate()?)?;
    let key = KeyPair::generate()?;
    let names = vec!["localhost".to_string(), "127.0.0.1".to_string(), "::1".to_string()];
    let cert = CertificateParams::new(names)?.signed_by(&key, &ca)?;
    fs::write(dir.join("ca.crt"), ca.pem())?;
    fs::write(dir.join("server.crt"), cert.pem())?;
    fs::write(dir.join("server.key"), key.serialize_pem())?;
    println!("wrote {0}/ca.crt {0}/server.crt {0}/server.key", dir.display());
    Ok(())
}
