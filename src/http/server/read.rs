//! The input side of a connection: bytes read, heads parsed, bodies
//! framed, requests handed to the program, and what is refused.

use super::*;

impl Server {
    pub(super) fn readable(&mut self, r: &mut Reactor, h: Handle) {
        let Some(c) = self.conns.get_mut(&h) else {
            return;
        };
        let cap = self.limits.max_head.max(READ_CHUNK) + READ_CHUNK;
        loop {
            if c.buf.len() >= cap {
                break; // a full buffer: parse before reading more
            }
            let start = c.buf.len();
            c.buf.resize(start + READ_CHUNK, 0);
            let got = r.recv(h, &mut c.buf[start..]);
            match got {
                Ok(n) => {
                    c.buf.truncate(start + n);
                    if n < READ_CHUNK {
                        break;
                    }
                }
                Err(_) => {
                    c.buf.truncate(start);
                    break;
                }
            }
        }
        if matches!(c.reading, Reading::Closing) {
            c.buf.clear();
            return;
        }
        self.parse(r, h);
    }

    /// Turns the bytes a connection received into requests.
    pub(super) fn parse(&mut self, r: &mut Reactor, h: Handle) {
        let limits = self.limits;
        loop {
            let Some(c) = self.conns.get_mut(&h) else {
                return;
            };
            if c.paused || matches!(c.reading, Reading::Closing) {
                return;
            }
            match c.reading {
                Reading::Closing => return,
                Reading::Head => {
                    if c.buf.is_empty() {
                        return;
                    }
                    if c.queue.len() >= limits.max_pipelined {
                        c.paused = true;
                        let _ = r.set_recv_event(h, false);
                        return;
                    }
                    let head_limits = HeadLimits {
                        max_head: limits.max_head,
                        max_uri: limits.max_uri,
                        max_headers: limits.max_headers,
                    };
                    match head::parse(&c.buf, head_limits) {
                        Parsed::Partial => {
                            if c.clock != Clock::Head && c.queue.is_empty() {
                                c.clock = Clock::Head;
                                c.deadline = crate::now_micros().saturating_add(limits.head_timeout_ms.saturating_mul(1000));
                            }
                            return;
                        }
                        Parsed::Refused(rej) => return self.refuse(r, h, rej),
                        Parsed::Complete(head) => self.new_request(r, h, head),
                    }
                }
                Reading::Body(id, mut body) => {
                    let Some(c) = self.conns.get_mut(&h) else {
                        return;
                    };
                    if c.buf.is_empty() {
                        return;
                    }
                    let Some(q) = self.reqs.get_mut(id.slot as usize).filter(|q| q.gen == id.gen) else {
                        return;
                    };
                    let max = limits.max_body.saturating_add(q.head.len as u64);
                    match body.feed(&c.buf, &mut q.buf, max) {
                        Ok(used) => {
                            c.buf.drain(..used);
                            if body == Body::Done {
                                c.reading = Reading::Head;
                                self.ready(id);
                            } else {
                                c.reading = Reading::Body(id, body);
                                return;
                            }
                        }
                        Err(rej) => return self.refuse(r, h, rej),
                    }
                }
            }
        }
    }

    /// A complete head at the front of the connection's buffer: a request.
    pub(super) fn new_request(&mut self, r: &mut Reactor, h: Handle, head: Head) {
        let mut buf = self.take_buf();
        let Some(c) = self.conns.get_mut(&h) else {
            return;
        };
        buf.extend_from_slice(&c.buf[..head.len]);
        c.buf.drain(..head.len);
        let method = &buf[head.method.start as usize..head.method.end as usize];
        let target = &buf[head.target.start as usize..head.target.end as usize];
        let path_len = target.iter().position(|&b| b == b'?').unwrap_or(target.len());
        let path_end = head.target.start + path_len as u32;
        let (route, params) = self.router.find(method, &target[..path_len], head.target.start);
        let head_only = method == b"HEAD";
        let close = !head.keep_alive || self.stopping;
        let framing = head.framing;
        let expect = head.expect_continue;
        let upgrade = head.upgrade;
        if let Framing::Length(n) = framing {
            if n > self.limits.max_body {
                self.recycle(buf);
                return self.refuse(r, h, Reject { status: 413, why: "body larger than the limit" });
            }
        }
        self.next_gen = self.next_gen.wrapping_add(1);
        let gen = self.next_gen;
        let slot = self.reqs.insert(Req {
            gen,
            conn: h,
            buf,
            head,
            route,
            params,
            path_end,
            out: Out::Waiting,
            head_only,
            close,
            internal: false,
        });
        let id = RequestId { slot: slot as u32, gen };
        let c = self.conns.get_mut(&h).expect("the connection is there");
        c.queue.push_back(id);
        if close {
            c.reading = Reading::Closing;
        }
        match framing {
            Framing::None => {
                if !close {
                    c.reading = Reading::Head;
                }
                if upgrade {
                    // What follows may be another protocol's (upgrade.rs):
                    // parsing waits for the answer, as for a full pipeline.
                    c.paused = true;
                    let _ = r.set_recv_event(h, false);
                }
                self.ready(id);
            }
            Framing::Length(n) => {
                c.reading = Reading::Body(id, Body::Length(n));
                self.start_body(r, h, expect);
            }
            Framing::Chunked => {
                c.reading = Reading::Body(id, Body::chunked());
                self.start_body(r, h, expect);
            }
        }
        if close {
            // Reading goes on only for the body of this, the last request.
            if let Some(c) = self.conns.get_mut(&h) {
                if matches!(c.reading, Reading::Head) {
                    c.reading = Reading::Closing;
                }
            }
        }
    }

    pub(super) fn start_body(&mut self, r: &mut Reactor, h: Handle, expect_continue: bool) {
        let limits = self.limits;
        let Some(c) = self.conns.get_mut(&h) else {
            return;
        };
        c.clock = Clock::Body;
        c.deadline = crate::now_micros().saturating_add(limits.body_timeout_ms.saturating_mul(1000));
        if expect_continue && c.buf.is_empty() {
            let _ = r.send(h, b"HTTP/1.1 100 Continue\r\n\r\n");
        }
    }

    /// A request is complete: the program hears of it.
    pub(super) fn ready(&mut self, id: RequestId) {
        if let Some(q) = self.reqs.get(id.slot as usize) {
            if let Some(c) = self.conns.get_mut(&q.conn) {
                c.clock = Clock::Busy;
            }
        }
        self.events.push_back(Event::Request(id));
    }

    /// Refuses what the connection sent: an error response after the
    /// answers to its earlier requests, then the connection closes. A
    /// request whose body was arriving gets the error as its own answer
    /// (the program never heard of it).
    pub(super) fn refuse(&mut self, r: &mut Reactor, h: Handle, rej: Reject) {
        log::info!("HTTP: {} {}", rej.status, rej.why);
        let mut buf = self.take_buf();
        let body = format!("{}\n", rej.why);
        self.write_head_strs(&mut buf, rej.status, &[("Content-Type", "text/plain")], Some(body.len() as u64), true);
        buf.extend_from_slice(body.as_bytes());
        let Some(c) = self.conns.get_mut(&h) else {
            return;
        };
        let carrier = match c.reading {
            Reading::Body(id, _) => Some(id),
            _ => None,
        };
        c.reading = Reading::Closing;
        c.buf.clear();
        c.clock = Clock::Busy;
        let carried = carrier.and_then(|id| self.reqs.get_mut(id.slot as usize).filter(|q| q.gen == id.gen));
        if let Some(q) = carried {
            q.out = Out::Ready(buf);
            q.internal = true;
            q.close = true;
        } else {
            self.next_gen = self.next_gen.wrapping_add(1);
            let gen = self.next_gen;
            let slot = self.reqs.insert(Req {
                gen,
                conn: h,
                buf: Vec::new(),
                head: Head {
                    method: 0..0,
                    target: 0..0,
                    minor: 1,
                    headers: Vec::new(),
                    framing: Framing::None,
                    keep_alive: false,
                    expect_continue: false,
                    upgrade: false,
                    len: 0,
                },
                route: RouteId::FALLBACK,
                params: Params::new(),
                path_end: 0,
                out: Out::Ready(buf),
                head_only: false,
                close: true,
                internal: true,
            });
            if let Some(c) = self.conns.get_mut(&h) {
                c.queue.push_back(RequestId { slot: slot as u32, gen });
            }
        }
        let _ = self.flush(r, h);
    }
}
