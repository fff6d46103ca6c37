//! TLS configuration, on rustls 0.23: shared, immutable once built, and the
//! source of every session (`session.rs`).
//!
//! Client verification is on by default, against the system's trust store
//! (rustls-native-certs: it follows what the administrator installs and
//! updates, corporate CAs included, where a compiled-in list such as
//! webpki-roots would silently diverge), or against CA certificates the user
//! gives. Turning it off exists only as [`TlsConfigBuilder::dangerous_skip_verify`].

use std::fmt;
use std::sync::{Arc, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{self, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, ClientConnection, Connection, DigitallySignedStruct, RootCertStore, ServerConfig,
             ServerConnection, SignatureScheme};

use super::session::Session;
use crate::{Error, Result};

fn provider() -> Arc<CryptoProvider> {
    static P: OnceLock<Arc<CryptoProvider>> = OnceLock::new();
    P.get_or_init(|| Arc::new(crypto::ring::default_provider())).clone()
}

fn tls_err(what: &str, e: impl fmt::Display) -> Error {
    Error::Tls(format!("{what}: {e}"))
}

/// The system trust store, loaded once per process.
fn system_roots() -> Result<Arc<RootCertStore>> {
    static ROOTS: OnceLock<std::result::Result<Arc<RootCertStore>, String>> = OnceLock::new();
    ROOTS
        .get_or_init(|| {
            let found = rustls_native_certs::load_native_certs();
            let mut store = RootCertStore::empty();
            let (added, _) = store.add_parsable_certificates(found.certs);
            if added == 0 {
                let why = found.errors.first().map(|e| e.to_string()).unwrap_or_else(|| "none found".into());
                return Err(format!("no system CA certificates could be loaded ({why}); give a CA file"));
            }
            Ok(Arc::new(store))
        })
        .clone()
        .map_err(Error::Tls)
}

/// TLS settings shared by any number of channels: a certificate and key for
/// the server side, trust anchors for the client side, ALPN protocols.
/// Cheap to clone.
///
/// ```no_run
/// let server = mnet::TlsConfig::builder()
///     .cert_chain_file("server.crt")?
///     .private_key_file("server.key")?
///     .build()?;
/// let client = mnet::TlsConfig::builder().ca_file("ca.crt")?.alpn(&[b"http/1.1"]).build()?;
/// # Ok::<(), mnet::Error>(())
/// ```
#[derive(Clone)]
pub struct TlsConfig {
    server: Option<Arc<ServerConfig>>,
    client: Arc<ClientConfig>,
}

impl fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConfig").field("server", &self.server.is_some()).finish_non_exhaustive()
    }
}

impl TlsConfig {
    /// Starts a configuration.
    pub fn builder() -> TlsConfigBuilder {
        TlsConfigBuilder::default()
    }

    /// A client configuration that verifies servers against the system's
    /// trust store (the default of TLS channels without a configuration).
    pub fn system_client() -> Result<TlsConfig> {
        static DEFAULT: OnceLock<std::result::Result<TlsConfig, String>> = OnceLock::new();
        DEFAULT
            .get_or_init(|| TlsConfig::builder().build().map_err(|e| e.to_string()))
            .clone()
            .map_err(Error::Tls)
    }

    /// Whether this configuration can serve (has a certificate and key).
    pub fn is_server(&self) -> bool {
        self.server.is_some()
    }

    /// A session for the server side of a new connection.
    pub(crate) fn server_session(&self) -> Result<Session> {
        let cfg = self
            .server
            .as_ref()
            .ok_or_else(|| Error::Tls("a TLS listener needs a certificate chain and a private key".into()))?;
        let conn = ServerConnection::new(cfg.clone()).map_err(|e| tls_err("server session", e))?;
        Ok(Session::new(Connection::Server(conn)))
    }

    /// A session for a client connecting to the server called `name` (SNI
    /// and the certificate check).
    pub(crate) fn client_session(&self, name: &str) -> Result<Session> {
        let sn = ServerName::try_from(name.to_owned())
            .map_err(|_| Error::Tls(format!("'{name}' is not a valid TLS server name")))?;
        let conn = ClientConnection::new(self.client.clone(), sn).map_err(|e| tls_err("client session", e))?;
        Ok(Session::new(Connection::Client(conn)))
    }
}

/// Collects TLS settings; [`TlsConfigBuilder::build`] checks and freezes them.
#[derive(Default)]
pub struct TlsConfigBuilder {
    chain: Vec<CertificateDer<'static>>,
    key: Option<PrivateKeyDer<'static>>,
    ca: Vec<CertificateDer<'static>>,
    alpn: Vec<Vec<u8>>,
    skip_verify: bool,
}

impl fmt::Debug for TlsConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsConfigBuilder")
            .field("chain", &self.chain.len())
            .field("key", &self.key.is_some())
            .field("ca", &self.ca.len())
            .field("skip_verify", &self.skip_verify)
            .finish_non_exhaustive()
    }
}

fn read_file(what: &str, path: &str) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| tls_err(&format!("read {what} '{path}'"), e))
}

fn certs_from_pem(what: &str, pem: &[u8]) -> Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| tls_err(what, e))?;
    if certs.is_empty() {
        return Err(Error::Tls(format!("{what}: no PEM certificate found")));
    }
    Ok(certs)
}

impl TlsConfigBuilder {
    /// The server's certificate chain (leaf first), PEM.
    pub fn cert_chain_pem(mut self, pem: &[u8]) -> Result<Self> {
        self.chain = certs_from_pem("certificate chain", pem)?;
        Ok(self)
    }

    /// The server's certificate chain from a PEM file.
    pub fn cert_chain_file(self, path: &str) -> Result<Self> {
        let pem = read_file("certificate chain", path)?;
        self.cert_chain_pem(&pem)
    }

    /// The server's private key (PKCS#8, PKCS#1 or SEC1), PEM.
    pub fn private_key_pem(mut self, pem: &[u8]) -> Result<Self> {
        self.key = Some(PrivateKeyDer::from_pem_slice(pem).map_err(|e| tls_err("private key", e))?);
        Ok(self)
    }

    /// The server's private key from a PEM file.
    pub fn private_key_file(self, path: &str) -> Result<Self> {
        let pem = read_file("private key", path)?;
        self.private_key_pem(&pem)
    }

    /// Trust these CA certificates (PEM) instead of the system store.
    pub fn ca_pem(mut self, pem: &[u8]) -> Result<Self> {
        self.ca.extend(certs_from_pem("CA certificates", pem)?);
        Ok(self)
    }

    /// Trust the CA certificates of a PEM file instead of the system store.
    pub fn ca_file(self, path: &str) -> Result<Self> {
        let pem = read_file("CA certificates", path)?;
        self.ca_pem(&pem)
    }

    /// ALPN protocols to offer (client) or accept (server), by preference.
    pub fn alpn(mut self, protocols: &[&[u8]]) -> Self {
        self.alpn = protocols.iter().map(|p| p.to_vec()).collect();
        self
    }

    /// Accept any server certificate, for any name. For tests against
    /// throw-away certificates only: it removes all protection against an
    /// attacker in the middle.
    pub fn dangerous_skip_verify(mut self) -> Self {
        self.skip_verify = true;
        self
    }

    /// Checks the settings and builds the configuration.
    pub fn build(self) -> Result<TlsConfig> {
        let p = provider();
        let server = match (self.chain.is_empty(), self.key) {
            (true, None) => None,
            (false, Some(key)) => {
                let mut cfg = ServerConfig::builder_with_provider(p.clone())
                    .with_safe_default_protocol_versions()
                    .map_err(|e| tls_err("server config", e))?
                    .with_no_client_auth()
                    .with_single_cert(self.chain, key)
                    .map_err(|e| tls_err("certificate and key", e))?;
                cfg.alpn_protocols = self.alpn.clone();
                Some(Arc::new(cfg))
            }
            (true, Some(_)) => return Err(Error::Tls("a private key without a certificate chain".into())),
            (false, None) => return Err(Error::Tls("a certificate chain without its private key".into())),
        };
        let builder = ClientConfig::builder_with_provider(p.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| tls_err("client config", e))?;
        let mut client = if self.skip_verify {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(SkipVerify(p)))
                .with_no_client_auth()
        } else if !self.ca.is_empty() {
            let mut roots = RootCertStore::empty();
            for c in self.ca {
                roots.add(c).map_err(|e| tls_err("CA certificate", e))?;
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        } else if server.is_some() {
            // A server-only configuration need not load the system store;
            // it fails at connect time if used as a client.
            builder.with_root_certificates(RootCertStore::empty()).with_no_client_auth()
        } else {
            builder.with_root_certificates(system_roots()?).with_no_client_auth()
        };
        client.alpn_protocols = self.alpn;
        Ok(TlsConfig {
            server,
            client: Arc::new(client),
        })
    }
}

/// The verifier behind `dangerous_skip_verify`: signatures are still
/// checked (the handshake stays well-formed), the certificate is not.
#[derive(Debug)]
struct SkipVerify(Arc<CryptoProvider>);

impl ServerCertVerifier for SkipVerify {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
