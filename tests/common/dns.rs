//! A tiny DNS responder for the resolver tests: a thread answering A and
//! AAAA queries on 127.0.0.1 from a fixed table, with names that fail in
//! each way a real server fails.
//!
//! * `table` names: their addresses (NOERROR; no address of the asked type
//!   gives an empty NOERROR answer).
//! * any other name: NXDOMAIN.
//! * `Mode::Silent`: never answers. `Mode::DropFirst`: ignores the first
//!   query of each type, answers the repeats. `Mode::ServFail`: SERVFAIL.
//!
//! Every query it receives is also sent to `queries` (name, type), so a test
//! can count tries without sleeping.

use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use simple_dns::rdata::{RData, A, AAAA};
use simple_dns::{Packet, PacketFlag, ResourceRecord, CLASS, QTYPE, RCODE, TYPE};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Answer,
    Silent,
    DropFirst,
    ServFail,
}

pub struct Responder {
    pub addr: SocketAddr,
    pub queries: Receiver<(String, u16)>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Responder {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Responder {
    pub fn start(mode: Mode, table: &[(&str, &str)]) -> Responder {
        let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
        // Only so the thread notices `stop`; nothing waits on this timeout.
        sock.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
        let addr = sock.local_addr().unwrap();
        let table: Vec<(String, IpAddr)> = table
            .iter()
            .map(|(n, ip)| (n.to_string(), ip.parse().unwrap()))
            .collect();
        let stop = Arc::new(AtomicBool::new(false));
        let (tx, queries) = channel();
        let stopping = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut seen: Vec<(String, u16)> = Vec::new();
            let mut buf = [0u8; 1500];
            while !stopping.load(Ordering::SeqCst) {
                let Ok((n, from)) = sock.recv_from(&mut buf) else {
                    continue;
                };
                let Ok(q) = Packet::parse(&buf[..n]) else {
                    continue;
                };
                let question = q.questions[0].clone();
                let name = question.qname.to_string();
                let qtype: u16 = question.qtype.into();
                let _ = tx.send((name.clone(), qtype));
                let first = !seen.contains(&(name.clone(), qtype));
                seen.push((name.clone(), qtype));
                match mode {
                    Mode::Silent => continue,
                    Mode::DropFirst if first => continue,
                    _ => {}
                }
                let mut reply = Packet::new_reply(q.id());
                reply.set_flags(PacketFlag::RECURSION_AVAILABLE);
                reply.questions.push(question.clone());
                if mode == Mode::ServFail {
                    *reply.rcode_mut() = RCODE::ServerFailure;
                } else {
                    let known: Vec<IpAddr> = table
                        .iter()
                        .filter(|(n, _)| n.eq_ignore_ascii_case(&name))
                        .map(|(_, ip)| *ip)
                        .collect();
                    if known.is_empty() {
                        *reply.rcode_mut() = RCODE::NameError;
                    }
                    for ip in known {
                        let rdata = match (ip, question.qtype) {
                            (IpAddr::V4(v4), QTYPE::TYPE(TYPE::A)) => RData::A(A::from(v4)),
                            (IpAddr::V6(v6), QTYPE::TYPE(TYPE::AAAA)) => RData::AAAA(AAAA::from(v6)),
                            _ => continue,
                        };
                        reply
                            .answers
                            .push(ResourceRecord::new(question.qname.clone(), CLASS::IN, 60, rdata));
                    }
                }
                let _ = sock.send_to(&reply.build_bytes_vec().unwrap(), from);
            }
        });
        Responder {
            addr,
            queries,
            stop,
            thread: Some(thread),
        }
    }

    /// Waits (bounded) for the next `n` queries the responder received.
    pub fn take_queries(&self, n: usize) -> Vec<(String, u16)> {
        (0..n)
            .map(|i| {
                self.queries
                    .recv_timeout(Duration::from_secs(10))
                    .unwrap_or_else(|_| panic!("query {} of {n} never reached the responder", i + 1))
            })
            .collect()
    }
}
