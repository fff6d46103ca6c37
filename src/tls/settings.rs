//! TLS settings made through the C++ or the C face (`mnet::TlsConfig`,
//! `mnet_tls_config_t`): kept as PEM text under a process-wide number and
//! built into a shared [`TlsConfig`] on first use (again after a change).
//! Process-wide: one set of settings may serve channels on several threads.
//! Each setting is checked when it is made, so a bad file is reported by the
//! call that named it.

use std::sync::{Mutex, MutexGuard, PoisonError};

use slab::Slab;

use super::config::TlsConfig;
use crate::{Error, Result};

/// What `set` changes (the numbers the faces pass).
pub(crate) const CERT_FILE: i32 = 1;
pub(crate) const CERT_PEM: i32 = 2;
pub(crate) const KEY_FILE: i32 = 3;
pub(crate) const KEY_PEM: i32 = 4;
pub(crate) const CA_FILE: i32 = 5;
pub(crate) const CA_PEM: i32 = 6;
pub(crate) const ALPN_ADD: i32 = 7;
pub(crate) const ALPN_CLEAR: i32 = 8;
pub(crate) const SKIP_VERIFY: i32 = 9;

#[derive(Default)]
struct Settings {
    chain: Option<Vec<u8>>,
    key: Option<Vec<u8>>,
    ca: Vec<u8>,
    alpn: Vec<Vec<u8>>,
    skip_verify: bool,
    built: Option<TlsConfig>,
}

impl Settings {
    fn build(&mut self) -> Result<TlsConfig> {
        if let Some(c) = &self.built {
            return Ok(c.clone());
        }
        let mut b = TlsConfig::builder();
        if let Some(chain) = &self.chain {
            b = b.cert_chain_pem(chain)?;
        }
        if let Some(key) = &self.key {
            b = b.private_key_pem(key)?;
        }
        if !self.ca.is_empty() {
            b = b.ca_pem(&self.ca)?;
        }
        let alpn: Vec<&[u8]> = self.alpn.iter().map(Vec::as_slice).collect();
        b = b.alpn(&alpn);
        if self.skip_verify {
            b = b.dangerous_skip_verify();
        }
        let built = b.build()?;
        self.built = Some(built.clone());
        Ok(built)
    }
}

static ALL: Mutex<Slab<Settings>> = Mutex::new(Slab::new());

fn all() -> MutexGuard<'static, Slab<Settings>> {
    ALL.lock().unwrap_or_else(PoisonError::into_inner)
}

fn slot(id: u64) -> usize {
    (id as usize).wrapping_sub(1)
}

/// New, empty settings; their number (never 0).
pub(crate) fn new() -> u64 {
    all().insert(Settings::default()) as u64 + 1
}

/// Forgets settings `id` (channels configured with them keep their copy).
pub(crate) fn free(id: u64) {
    let mut all = all();
    if all.contains(slot(id)) {
        all.remove(slot(id));
    }
}

fn read_pem(what: &str, path: &[u8]) -> Result<Vec<u8>> {
    let path = std::str::from_utf8(path).map_err(|_| Error::InvalidArgument("file name is not valid UTF-8"))?;
    std::fs::read(path).map_err(|e| Error::Tls(format!("cannot read {what} '{path}': {e}")))
}

/// Changes one setting of `id` (`what`: one of the constants above; the
/// value is a file name or PEM text as the constant says).
pub(crate) fn set(id: u64, what: i32, value: &[u8]) -> Result<()> {
    let mut all = all();
    let s = all
        .get_mut(slot(id))
        .ok_or(Error::InvalidArgument("unknown TLS configuration"))?;
    let check_key = |pem: &[u8]| -> Result<()> { TlsConfig::builder().private_key_pem(pem).map(drop) };
    match what {
        CERT_FILE | CERT_PEM => {
            let pem = if what == CERT_FILE { read_pem("certificate chain", value)? } else { value.to_vec() };
            TlsConfig::builder().cert_chain_pem(&pem).map(drop)?;
            s.chain = Some(pem);
        }
        KEY_FILE | KEY_PEM => {
            let pem = if what == KEY_FILE { read_pem("private key", value)? } else { value.to_vec() };
            check_key(&pem)?;
            s.key = Some(pem);
        }
        CA_FILE | CA_PEM => {
            let pem = if what == CA_FILE { read_pem("CA certificates", value)? } else { value.to_vec() };
            TlsConfig::builder().ca_pem(&pem).map(drop)?;
            s.ca.extend_from_slice(&pem);
            s.ca.push(b'\n');
        }
        ALPN_ADD => s.alpn.push(value.to_vec()),
        ALPN_CLEAR => s.alpn.clear(),
        SKIP_VERIFY => s.skip_verify = true,
        _ => return Err(Error::InvalidArgument("unknown TLS setting")),
    }
    s.built = None;
    Ok(())
}

/// The configuration settings `id` make.
pub(crate) fn config(id: u64) -> Result<TlsConfig> {
    all()
        .get_mut(slot(id))
        .ok_or(Error::InvalidArgument("unknown TLS configuration"))?
        .build()
}
