//! The input side of a connection: bytes read, heads parsed, bodies
//! framed, requests handed to the program, and what is refused.

use super::*;

impl Server {
    /// Reads what connection `h` received and parses it; false when `h`
    /// is not one of the server's connections.
    pub(super) fn readable(&mut self, r: &mut Reactor, h: Handle) -> bool {
        let Some(c) = self.conns.get_mut(h) else {
            return false;
        };
        if c.input.is_empty() && !c.input.holds_buffer() {
            std::mem::swap(&mut c.input, &mut self.lent);
        }
        let cap = self.limits.max_head.max(READ_CHUNK) + READ_CHUNK;
        // Past `cap` bytes the buffer is parsed before more is read.
        while c.input.len() < cap {
            match r.recv(h, c.input.room(READ_CHUNK)) {
                Ok(n) => {
                    c.input.filled(n);
                    if n < READ_CHUNK {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
        if matches!(c.reading, Reading::Closing) {
            c.input.clear();
        } else {
            self.parse(r, h);
        }
        self.give_back(h);
        true
    }

    /// A connection whose bytes are all parsed gives its read buffer back
    /// to the server (kept for the next read of any connection, or freed
    /// when the server holds one already), so that idle connections cost
    /// no read buffer; one with bytes pending keeps it.
    pub(super) fn give_back(&mut self, h: Handle) {
        let Some(c) = self.conns.get_mut(h) else {
            return;
        };
        if c.input.is_empty() && c.input.holds_buffer() {
            let buf = std::mem::take(&mut c.input);
            if !self.lent.holds_buffer() {
                self.lent = buf;
            }
        }
    }

    /// Turns the bytes a connection received into requests.
    pub(super) fn parse(&mut self, r: &mut Reactor, h: Handle) {
        let limits = self.limits;
        let head_limits = HeadLimits {
            max_head: limits.max_head,
            max_uri: limits.max_uri,
            max_headers: limits.max_headers,
        };
        let Some(c) = self.conns.get_mut(h) else {
            return;
        };
        loop {
            if c.paused {
                return;
            }
            match c.reading {
                Reading::Closing => return,
                Reading::Head => {
                    if c.input.is_empty() {
                        return;
                    }
                    if c.queue.len() >= limits.max_pipelined {
                        c.paused = true;
                        let _ = r.set_recv_event(h, false);
                        return;
                    }
                    let head = match head::parse(c.input.pending(), head_limits, &mut self.headers) {
                        Parsed::Complete(head) => head,
                        Parsed::Partial => {
                            if c.clock != Clock::Head && c.queue.is_empty() {
                                c.clock = Clock::Head;
                                c.deadline = r.now.saturating_add(limits.head_timeout_ms.saturating_mul(1000));
                            }
                            return;
                        }
                        Parsed::Refused(rej) => return self.refuse(r, h, rej),
                    };
                    if matches!(head.framing, Framing::Length(n) if n > limits.max_body) {
                        self.headers = head.headers;
                        return self.refuse(r, h, Reject { status: 413, why: "body larger than the limit" });
                    }
                    let (framing, expect, upgrade) = (head.framing, head.expect_continue, head.upgrade);
                    let close = !head.keep_alive || self.stopping;
                    let id = take_in(&mut self.reqs, &self.router, &mut self.headers, c, h, head, close);
                    let mut streamed = false;
                    if !self.streamed.is_empty() {
                        if let Some(q) = self.reqs.get_mut(id).filter(|q| self.streamed.contains(&q.route)) {
                            // The program hears of it now; the body (or
                            // at least BodyEnd) follows.
                            q.streamed = true;
                            q.body_done = framing == Framing::None;
                            streamed = true;
                            self.events.push_back(Event::Request(id));
                        }
                    }
                    let body = match framing {
                        Framing::None => {
                            c.reading = if close { Reading::Closing } else { Reading::Head };
                            c.clock = Clock::Busy;
                            self.events.push_back(if streamed { Event::BodyEnd(id) } else { Event::Request(id) });
                            if upgrade {
                                // What follows may be another protocol's
                                // (upgrade.rs): parsing waits for the
                                // answer, as for a full pipeline.
                                c.paused = true;
                                let _ = r.set_recv_event(h, false);
                            }
                            continue;
                        }
                        Framing::Length(n) => Body::Length(n),
                        Framing::Chunked => Body::chunked(),
                    };
                    c.reading = Reading::Body(id, body);
                    c.clock = Clock::Body;
                    c.deadline = r.now.saturating_add(limits.body_timeout_ms.saturating_mul(1000));
                    if expect && c.input.is_empty() {
                        let _ = r.send(h, b"HTTP/1.1 100 Continue\r\n\r\n");
                    }
                }
                Reading::Body(id, mut body) => {
                    if c.input.is_empty() {
                        return;
                    }
                    let Some(q) = self.reqs.get_mut(id) else {
                        return;
                    };
                    if q.streamed && q.buf.len() - q.head.len >= STREAM_HOLD {
                        // Enough waits for take_body (which resumes).
                        c.paused = true;
                        let _ = r.set_recv_event(h, false);
                        return;
                    }
                    let max = (q.head.len as u64).saturating_add(limits.max_body.saturating_sub(q.taken));
                    match body.feed(c.input.pending(), &mut q.buf, max) {
                        Ok(used) => {
                            c.input.consume(used);
                            if q.streamed && q.buf.len() > q.head.len && !q.body_event {
                                q.body_event = true;
                                self.events.push_back(Event::Body(id));
                            }
                            if body != Body::Done {
                                c.reading = Reading::Body(id, body);
                                return;
                            }
                            c.reading = Reading::Head;
                            c.clock = Clock::Busy;
                            if q.streamed {
                                q.body_done = true;
                                self.events.push_back(Event::BodyEnd(id));
                            } else {
                                self.events.push_back(Event::Request(id));
                            }
                        }
                        Err(rej) => return self.refuse(r, h, rej),
                    }
                }
            }
        }
    }

    /// Refuses what the connection sent: an error response after the
    /// answers to its earlier requests, then the connection closes. A
    /// request whose body was arriving gets the error as its own answer
    /// (the program never heard of it).
    pub(super) fn refuse(&mut self, r: &mut Reactor, h: Handle, rej: Reject) {
        log::info!("HTTP: {} {}", rej.status, rej.why);
        let mut buf = self.take_buf();
        let body = format!("{}\n", rej.why);
        self.write_head(r.now, &mut buf, rej.status, &[("Content-Type", "text/plain")], Some(body.len() as u64), true);
        buf.extend_from_slice(body.as_bytes());
        let Some(c) = self.conns.get_mut(h) else {
            return;
        };
        let carrier = match c.reading {
            Reading::Body(id, _) => Some(id),
            _ => None,
        };
        c.reading = Reading::Closing;
        c.input.clear();
        c.clock = Clock::Busy;
        let carried = carrier.and_then(|id| self.reqs.get_mut(id).map(|q| (id, q)));
        if let Some((id, q)) = carried {
            if q.streamed && !q.internal {
                // The program had the request: it hears the body failed.
                self.events.push_back(Event::Aborted(id));
            }
            q.out = Out::Ready(buf);
            q.internal = true;
            q.close = true;
        } else {
            let (id, q) = self.reqs.insert(h);
            let headers = std::mem::take(&mut q.head.headers);
            q.head = Head { minor: 1, headers, ..Head::default() };
            q.out = Out::Ready(buf);
            q.close = true;
            q.internal = true;
            c.queue.push_back(id);
        }
        let _ = self.flush(r, h);
    }
}

/// Takes in the request whose complete `head` is at the front of `c`'s
/// input (connection `h`): its bytes are copied into a request slot and
/// passed over, its route found, and it joins the connection's queue.
fn take_in(reqs: &mut Reqs, router: &Router, headers: &mut Headers, c: &mut Conn, h: Handle, head: Head, close: bool) -> RequestId {
    let (id, q) = reqs.insert(h);
    q.buf.extend_from_slice(&c.input.pending()[..head.len]);
    c.input.consume(head.len);
    let method = &q.buf[head.method.start as usize..head.method.end as usize];
    let target = &q.buf[head.target.start as usize..head.target.end as usize];
    q.route = router.find(method, target, head.target.start, &mut q.params);
    q.head_only = method == b"HEAD";
    q.close = close;
    // The slot's own (emptied) header list takes the next head.
    *headers = std::mem::replace(&mut q.head, head).headers;
    c.queue.push_back(id);
    id
}
