//! What mnet adds in C (`include/mnet/mnet_ext.h`): addresses as text (IPv6
//! and host names), asynchronous name lookups, TLS settings, half-close,
//! idle timeouts, send limits, SO_REUSEPORT, multicast, log levels; and the
//! helpers the m_net calls share (UDP peers, the log hand-off).

use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::{c_char, c_int, c_void, CString};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Mutex;

use super::{buf_len, fail, guard, handle, text, ChannT};
use crate::local::{lock, with, Failure, Outcome};
use crate::{logging, tls, Error, Handle, Reactor, Result};

type LogFn = extern "C" fn(*mut ChannT, c_int, *const c_char);

/// The program's log receiver (`mnet_setlog`); None: stderr.
static LOG: Mutex<Option<LogFn>> = Mutex::new(None);

thread_local! {
    /// The last peer of each UDP chann: its connect target, the sender of
    /// the datagram last read, or the destination last sent to (m_net's
    /// "stored address", which `mnet_chann_send` on a bound chann uses).
    static UDP_PEERS: RefCell<HashMap<Handle, SocketAddr>> = RefCell::new(HashMap::new());
}

/// Hands this thread's queued log records to the program's receiver.
pub(super) fn drain_log() {
    let cb = *lock(&LOG);
    while let Some((level, line)) = logging::next() {
        match cb {
            Some(cb) => {
                let line = CString::new(line.replace('\0', " ")).unwrap_or_default();
                cb(std::ptr::null_mut(), level, line.as_ptr());
            }
            None => {
                let tag = match level {
                    logging::ERROR => 'E',
                    logging::INFO => 'I',
                    _ => 'V',
                };
                eprintln!("mnet: [{tag}] {line}");
            }
        }
    }
}

/// `mnet_setlog`.
#[no_mangle]
pub extern "C" fn mnet_setlog(level: c_int, cb: Option<LogFn>) {
    *lock(&LOG) = cb;
    if !logging::set_level(level) {
        crate::local::set_last_error("another log backend was installed first; mnet's records go there");
    }
    drain_log();
}

/// Remembers the numeric destination of a UDP connect.
pub(super) fn note_udp_peer(h: Handle, addr: &str) {
    if let Ok(a) = crate::parse_addr(addr) {
        let _ = UDP_PEERS.try_with(|m| m.borrow_mut().insert(h, a));
    }
}

/// Forgets a closed chann's peer.
pub(super) fn forget(h: Handle) {
    let _ = UDP_PEERS.try_with(|m| m.borrow_mut().remove(&h));
}

/// Reads one datagram and notes its sender.
pub(super) fn recv_datagram(h: Handle, buf: &mut [u8]) -> Outcome<Option<(usize, SocketAddr)>> {
    let got = with(|r| r.recv_from(h, buf))?;
    if let Some((_, from)) = got {
        UDP_PEERS.with(|m| m.borrow_mut().insert(h, from));
    }
    Ok(got)
}

/// Sends one datagram to `to` ("ip:port") and notes it as the peer.
pub(super) fn send_datagram(h: Handle, to: &str, buf: &[u8]) -> Outcome<c_int> {
    let to = crate::parse_addr(to)?;
    let n = with(|r| r.send_to(h, buf, to))?;
    UDP_PEERS.with(|m| m.borrow_mut().insert(h, to));
    Ok(c_int::try_from(n).unwrap_or(c_int::MAX))
}

/// `mnet_chann_send` on a bound UDP chann: to its last peer.
pub(super) fn send_to_last_peer(r: &mut Reactor, h: Handle, buf: &[u8]) -> Result<usize> {
    let peer = UDP_PEERS.try_with(|m| m.borrow().get(&h).copied()).ok().flatten();
    let Some(peer) = peer else {
        return Err(Error::InvalidArgument(
            "send on a bound UDP chann before any datagram came: use mnet_dgram_send with an address",
        ));
    };
    r.send_to(h, buf, peer)
}

/// Copies `s` into `out` (`outlen` bytes with the NUL); the length of `s`,
/// or -1 when it does not fit.
///
/// # Safety
/// `out` is NULL or points to `outlen` writable bytes.
unsafe fn copy_out(s: &str, out: *mut c_char, outlen: c_int) -> Outcome<c_int> {
    let cap = out_cap(outlen)?;
    if out.is_null() {
        return fail("NULL output buffer");
    }
    fits(s, cap)?;
    // SAFETY: `out` has `cap` > s.len() writable bytes (the contract).
    unsafe {
        std::ptr::copy_nonoverlapping(s.as_ptr().cast::<c_char>(), out, s.len());
        *out.add(s.len()) = 0;
    }
    Ok(c_int::try_from(s.len()).unwrap_or(c_int::MAX))
}

/// The size of an output buffer, from its C length.
fn out_cap(outlen: c_int) -> Outcome<usize> {
    usize::try_from(outlen).map_err(|_| Failure(format!("negative length {outlen}")))
}

/// Whether `s` and its NUL fit in `cap` bytes; if not, why.
fn fits(s: &str, cap: usize) -> Outcome<()> {
    if s.len() >= cap {
        return fail(&format!("'{s}' needs {} bytes, the buffer has {cap}", s.len() + 1));
    }
    Ok(())
}

fn ok(r: Outcome<()>) -> Outcome<c_int> {
    r.map(|()| 1)
}

// ---- addresses as text ----------------------------------------------------

/// `mnet_chann_listen_addr`: listens on "ip:port", "[v6]:port", ":port" or
/// a hosts-file name. 1, or 0 with `mnet_last_error()`.
///
/// # Safety
/// `addr` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn mnet_chann_listen_addr(n: *mut ChannT, addr: *const c_char, backlog: c_int) -> c_int {
    guard(0, || {
        // SAFETY: per the contract.
        let addr = unsafe { text(addr, "mnet_chann_listen_addr") }?;
        let h = handle(n);
        ok(with(|r| r.listen(h, addr, backlog)))?;
        super::ext::after(h, super::ext::Op::Listen);
        Ok(1)
    })
}

/// `mnet_chann_connect_addr`: connects to "ip:port", "[v6]:port" or
/// "host:port" (resolved on the loop). 1, or 0 with `mnet_last_error()`.
///
/// # Safety
/// `addr` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn mnet_chann_connect_addr(n: *mut ChannT, addr: *const c_char) -> c_int {
    guard(0, || {
        // SAFETY: per the contract.
        let addr = unsafe { text(addr, "mnet_chann_connect_addr") }?;
        let h = handle(n);
        ok(with(|r| r.connect(h, addr)))?;
        note_udp_peer(h, addr);
        super::ext::after(h, super::ext::Op::Connect);
        Ok(1)
    })
}

/// `mnet_chann_addr_text`: this end's (peer 0) or the peer's (peer != 0)
/// address as "ip:port" or "[v6]:port"; its length, or -1.
///
/// # Safety
/// `out` is NULL or points to `outlen` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn mnet_chann_addr_text(n: *mut ChannT, peer: c_int, out: *mut c_char, outlen: c_int) -> c_int {
    guard(-1, || {
        let h = handle(n);
        let a = with(|r| if peer != 0 { r.peer_addr(h) } else { r.local_addr(h) })?;
        // SAFETY: per the contract.
        unsafe { copy_out(&a.to_string(), out, outlen) }
    })
}

/// The longest sender text ("[" IPv6 "%" scope id "]:" port) and its NUL:
/// a `from` buffer this big needs no look at the sender first.
const SENDER_TEXT_MAX: usize = "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff%4294967295]:65535".len() + 1;

/// `mnet_dgram_recv_text`: one datagram and its sender as text. A `from`
/// buffer too small for the sender is refused before the datagram is
/// taken, so a retry with a bigger one gets it.
///
/// # Safety
/// `from` is NULL or points to `fromlen` writable bytes; `buf` is NULL or
/// points to `len` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn mnet_dgram_recv_text(
    n: *mut ChannT,
    from: *mut c_char,
    fromlen: c_int,
    buf: *mut c_void,
    len: c_int,
) -> c_int {
    guard(-1, || {
        let len = buf_len(buf, len, "mnet_dgram_recv_text")?;
        // SAFETY: `buf` is non-NULL and holds `len` writable bytes.
        let buf = unsafe { std::slice::from_raw_parts_mut(buf.cast::<u8>(), len) };
        let h = handle(n);
        if !from.is_null() {
            let cap = out_cap(fromlen)?;
            if cap < SENDER_TEXT_MAX {
                match with(|r| r.peek_sender(h))? {
                    Some(sender) => fits(&sender.to_string(), cap)?,
                    None => return Ok(0),
                }
            }
        }
        match recv_datagram(h, buf)? {
            Some((got, sender)) => {
                if !from.is_null() {
                    // SAFETY: per the contract.
                    unsafe { copy_out(&sender.to_string(), from, fromlen) }?;
                }
                Ok(c_int::try_from(got).unwrap_or(c_int::MAX))
            }
            None => Ok(0),
        }
    })
}

/// `mnet_dgram_send_text`: one datagram to "ip:port" or "[v6]:port".
///
/// # Safety
/// `to` is NULL or a NUL-terminated string; `buf` is NULL or points to `len`
/// readable bytes.
#[no_mangle]
pub unsafe extern "C" fn mnet_dgram_send_text(n: *mut ChannT, to: *const c_char, buf: *const c_void, len: c_int) -> c_int {
    guard(-1, || {
        let len = buf_len(buf, len, "mnet_dgram_send_text")?;
        // SAFETY: `buf` is non-NULL and holds `len` readable bytes.
        let buf = unsafe { std::slice::from_raw_parts(buf.cast::<u8>(), len) };
        // SAFETY: per the contract.
        let to = unsafe { text(to, "mnet_dgram_send_text destination") }?;
        send_datagram(handle(n), to, buf)
    })
}

// ---- DNS ------------------------------------------------------------------

/// `mnet_chann_resolve`: looks "host" or "host:port" up without blocking;
/// CHANN_EVENT_RESOLVED follows. 1, or 0 with `mnet_last_error()`.
///
/// # Safety
/// `host` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn mnet_chann_resolve(n: *mut ChannT, host: *const c_char) -> c_int {
    guard(0, || {
        // SAFETY: per the contract.
        let host = unsafe { text(host, "mnet_chann_resolve") }?;
        ok(with(|r| r.lookup(handle(n), host)))
    })
}

/// `mnet_chann_resolved`: address `i` of the last finished lookup as text
/// into `out` (nothing written for i < 0); the number of addresses, or -1
/// (the lookup failed: `mnet_last_error()` says why).
///
/// # Safety
/// `out` is NULL or points to `outlen` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn mnet_chann_resolved(n: *mut ChannT, i: c_int, out: *mut c_char, outlen: c_int) -> c_int {
    guard(-1, || {
        let addrs = with(|r| {
            r.lookup_result(handle(n))
                .ok_or(Error::InvalidArgument("no lookup has finished on this chann"))?
        })?;
        if let Ok(i) = usize::try_from(i) {
            let a = addrs.get(i).ok_or_else(|| Failure(format!("address {i} of {}: out of range", addrs.len())))?;
            // SAFETY: per the contract.
            unsafe { copy_out(&a.to_string(), out, outlen) }?;
        }
        Ok(c_int::try_from(addrs.len()).unwrap_or(c_int::MAX))
    })
}

/// `mnet_chann_error`: why the chann's last connection failed (TLS
/// handshake or certificate, DNS), or "" when it did not; valid until the
/// next call of `mnet_last_error` or this function on the thread.
#[no_mangle]
pub extern "C" fn mnet_chann_error(n: *mut ChannT) -> *const c_char {
    let h = handle(n);
    let why = with(|r| {
        let tls = r.tls_error(h)?.map(|t| format!("TLS: {t}"));
        Ok(tls.or_else(|| r.resolve_error(h).map(str::to_owned)).unwrap_or_default())
    })
    .unwrap_or_default();
    crate::local::set_last_error(&why);
    super::mnet_last_error()
}

// ---- TLS ------------------------------------------------------------------

/// `mnet_tls_config_t`: never dereferenced; the pointer's value is the
/// settings' number.
#[repr(C)]
pub struct TlsConfigT {
    _private: [u8; 0],
}

fn tls_id(cfg: *mut TlsConfigT) -> u64 {
    cfg as usize as u64
}

/// `mnet_tls_config_new`: new TLS settings (client settings with the
/// system trust store until changed).
#[no_mangle]
pub extern "C" fn mnet_tls_config_new() -> *mut TlsConfigT {
    tls::settings::new() as usize as *mut TlsConfigT
}

/// `mnet_tls_config_free`: channs configured with them keep their copy.
#[no_mangle]
pub extern "C" fn mnet_tls_config_free(cfg: *mut TlsConfigT) {
    tls::settings::free(tls_id(cfg));
}

/// Sets one TLS setting from a C string.
///
/// # Safety
/// `value` is NULL or a NUL-terminated string.
unsafe fn tls_set(cfg: *mut TlsConfigT, what: i32, value: *const c_char, name: &str) -> c_int {
    guard(0, || {
        // SAFETY: per the contract.
        let value = unsafe { text(value, name) }?;
        tls::settings::set(tls_id(cfg), what, value.as_bytes())?;
        Ok(1)
    })
}

/// `mnet_tls_config_set_cert_file`: the server's certificate chain and key
/// (PEM files). 1, or 0 with `mnet_last_error()`.
///
/// # Safety
/// `cert` and `key` are NULL or NUL-terminated strings.
#[no_mangle]
pub unsafe extern "C" fn mnet_tls_config_set_cert_file(cfg: *mut TlsConfigT, cert: *const c_char, key: *const c_char) -> c_int {
    // SAFETY: per the contract.
    unsafe {
        c_int::from(
            tls_set(cfg, tls::settings::CERT_FILE, cert, "certificate file") == 1
                && tls_set(cfg, tls::settings::KEY_FILE, key, "key file") == 1,
        )
    }
}

/// `mnet_tls_config_set_cert_pem`: the same from PEM text.
///
/// # Safety
/// `cert` and `key` are NULL or NUL-terminated strings.
#[no_mangle]
pub unsafe extern "C" fn mnet_tls_config_set_cert_pem(cfg: *mut TlsConfigT, cert: *const c_char, key: *const c_char) -> c_int {
    // SAFETY: per the contract.
    unsafe {
        c_int::from(
            tls_set(cfg, tls::settings::CERT_PEM, cert, "certificate PEM") == 1
                && tls_set(cfg, tls::settings::KEY_PEM, key, "key PEM") == 1,
        )
    }
}

/// `mnet_tls_config_set_ca_file`: trust these CAs (PEM file) instead of
/// the system store.
///
/// # Safety
/// `path` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn mnet_tls_config_set_ca_file(cfg: *mut TlsConfigT, path: *const c_char) -> c_int {
    // SAFETY: per the contract.
    unsafe { tls_set(cfg, tls::settings::CA_FILE, path, "CA file") }
}

/// `mnet_tls_config_set_ca_pem`: the same from PEM text.
///
/// # Safety
/// `pem` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn mnet_tls_config_set_ca_pem(cfg: *mut TlsConfigT, pem: *const c_char) -> c_int {
    // SAFETY: per the contract.
    unsafe { tls_set(cfg, tls::settings::CA_PEM, pem, "CA PEM") }
}

/// `mnet_tls_config_add_alpn`: one more ALPN protocol, by preference.
///
/// # Safety
/// `protocol` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn mnet_tls_config_add_alpn(cfg: *mut TlsConfigT, protocol: *const c_char) -> c_int {
    // SAFETY: per the contract.
    unsafe { tls_set(cfg, tls::settings::ALPN_ADD, protocol, "ALPN protocol") }
}

/// `mnet_tls_config_dangerous_skip_verify`: accept any server certificate
/// (tests against throw-away certificates only).
#[no_mangle]
pub extern "C" fn mnet_tls_config_dangerous_skip_verify(cfg: *mut TlsConfigT) -> c_int {
    guard(0, || {
        tls::settings::set(tls_id(cfg), tls::settings::SKIP_VERIFY, b"")?;
        Ok(1)
    })
}

/// `mnet_chann_set_tls`: the TLS settings of a CHANN_TYPE_TLS chann for its
/// next listen or connect.
#[no_mangle]
pub extern "C" fn mnet_chann_set_tls(n: *mut ChannT, cfg: *mut TlsConfigT) -> c_int {
    guard(0, || {
        let config = tls::settings::config(tls_id(cfg))?;
        ok(with(|r| r.set_tls_config(handle(n), config)))
    })
}

/// `mnet_chann_set_server_name`: SNI and the name the certificate must have.
///
/// # Safety
/// `name` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn mnet_chann_set_server_name(n: *mut ChannT, name: *const c_char) -> c_int {
    guard(0, || {
        // SAFETY: per the contract.
        let name = unsafe { text(name, "mnet_chann_set_server_name") }?;
        ok(with(|r| r.set_server_name(handle(n), name)))
    })
}

/// Applies a setting taking a count or milliseconds (negative refused).
fn setting(n: *mut ChannT, value: i64, what: &str, f: impl FnOnce(&mut Reactor, Handle, u64) -> Result<()>) -> c_int {
    guard(0, || {
        let v = u64::try_from(value).map_err(|_| Failure(format!("{what}: negative value {value}")))?;
        ok(with(|r| f(r, handle(n), v)))
    })
}

/// `mnet_chann_set_handshake_timeout` (TLS, ms; default 10000).
#[no_mangle]
pub extern "C" fn mnet_chann_set_handshake_timeout(n: *mut ChannT, ms: i64) -> c_int {
    setting(n, ms, "handshake timeout", |r, h, v| r.set_handshake_timeout(h, v))
}

/// `mnet_chann_set_max_handshakes` (TLS listeners; default 256).
#[no_mangle]
pub extern "C" fn mnet_chann_set_max_handshakes(n: *mut ChannT, count: i64) -> c_int {
    setting(n, count, "handshake cap", |r, h, v| r.set_max_handshakes(h, usize::try_from(v).unwrap_or(usize::MAX)))
}

// ---- flow and lifetime ----------------------------------------------------

/// `mnet_chann_set_half_close`.
#[no_mangle]
pub extern "C" fn mnet_chann_set_half_close(n: *mut ChannT, on: c_int) -> c_int {
    guard(0, || ok(with(|r| r.set_half_close(handle(n), on != 0))))
}

/// `mnet_chann_shutdown_write`.
#[no_mangle]
pub extern "C" fn mnet_chann_shutdown_write(n: *mut ChannT) -> c_int {
    guard(0, || ok(with(|r| r.shutdown_write(handle(n)))))
}

/// `mnet_chann_set_idle_timeout` (ms; 0 off).
#[no_mangle]
pub extern "C" fn mnet_chann_set_idle_timeout(n: *mut ChannT, ms: i64) -> c_int {
    setting(n, ms, "idle timeout", |r, h, v| r.set_idle_timeout(h, v))
}

/// `mnet_chann_set_send_limit` (bytes; 0 none).
#[no_mangle]
pub extern "C" fn mnet_chann_set_send_limit(n: *mut ChannT, bytes: i64) -> c_int {
    setting(n, bytes, "send limit", |r, h, v| r.set_send_limit(h, usize::try_from(v).unwrap_or(usize::MAX)))
}

/// `mnet_chann_set_reuse_port` (before listen).
#[no_mangle]
pub extern "C" fn mnet_chann_set_reuse_port(n: *mut ChannT, on: c_int) -> c_int {
    guard(0, || ok(with(|r| r.set_reuse_port(handle(n), on != 0))))
}

// ---- multicast ------------------------------------------------------------

/// An IPv4 address argument ("" or NULL: any).
///
/// # Safety
/// `s` is NULL or a NUL-terminated string.
unsafe fn ipv4(s: *const c_char, what: &str) -> Outcome<Ipv4Addr> {
    if s.is_null() {
        return Ok(Ipv4Addr::UNSPECIFIED);
    }
    // SAFETY: per the contract.
    let t = unsafe { text(s, what) }?;
    if t.is_empty() {
        return Ok(Ipv4Addr::UNSPECIFIED);
    }
    t.parse().map_err(|_| Failure(format!("{what}: '{t}' is not an IPv4 address")))
}

/// `mnet_chann_multicast`: joins (join != 0) or leaves IPv4 group `group`
/// on the interface with address `iface` (NULL or "": the kernel's choice).
///
/// # Safety
/// `group` and `iface` are NULL or NUL-terminated strings.
#[no_mangle]
pub unsafe extern "C" fn mnet_chann_multicast(n: *mut ChannT, group: *const c_char, iface: *const c_char, join: c_int) -> c_int {
    guard(0, || {
        // SAFETY: per the contract.
        let (g, i) = unsafe { (ipv4(group, "multicast group")?, ipv4(iface, "interface address")?) };
        let h = handle(n);
        ok(with(|r| if join != 0 { r.join_multicast_v4(h, g, i) } else { r.leave_multicast_v4(h, g, i) }))
    })
}

/// `mnet_chann_set_multicast_if`: the interface multicast leaves by.
///
/// # Safety
/// `iface` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn mnet_chann_set_multicast_if(n: *mut ChannT, iface: *const c_char) -> c_int {
    guard(0, || {
        // SAFETY: per the contract.
        let i = unsafe { ipv4(iface, "interface address") }?;
        ok(with(|r| r.set_multicast_if_v4(handle(n), i)))
    })
}

/// `mnet_chann_set_multicast_loop`.
#[no_mangle]
pub extern "C" fn mnet_chann_set_multicast_loop(n: *mut ChannT, on: c_int) -> c_int {
    guard(0, || ok(with(|r| r.set_multicast_loop_v4(handle(n), on != 0))))
}

/// `mnet_chann_set_multicast_ttl`.
#[no_mangle]
pub extern "C" fn mnet_chann_set_multicast_ttl(n: *mut ChannT, ttl: c_int) -> c_int {
    guard(0, || {
        let ttl = u32::try_from(ttl).map_err(|_| Failure(format!("negative multicast TTL {ttl}")))?;
        ok(with(|r| r.set_multicast_ttl_v4(handle(n), ttl)))
    })
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv6Addr, SocketAddrV6};

    use super::SENDER_TEXT_MAX;

    #[test]
    fn sender_text_max_holds_the_longest_address() {
        let longest = SocketAddrV6::new(Ipv6Addr::from([0xffff; 8]), 65535, 0, u32::MAX);
        assert_eq!(longest.to_string().len() + 1, SENDER_TEXT_MAX);
    }
}
