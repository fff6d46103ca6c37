//! The output side: responses serialized and written in request order,
//! streamed and file bodies, and what a connection does after its last
//! answer.

use super::heads::push_num;
use super::*;

impl Server {
    /// Answers request `id` with `response`; it goes out now when every
    /// earlier request of its connection has been answered, else when they
    /// have been.
    pub fn respond(&mut self, r: &mut Reactor, id: RequestId, response: Response) -> Result<()> {
        let (head_only, close) = self.unanswered(id)?;
        let mut buf = self.take_buf();
        self.write_head(r.now, &mut buf, response.status, &response.headers, Some(response.body.len() as u64), close);
        if !head_only {
            buf.extend_from_slice(&response.body);
        }
        self.answer(r, id, buf)
    }

    /// Answers request `id` with a body of `body` bytes (a fast path of
    /// [`Server::respond`]: no builder, one copy).
    pub fn respond_bytes(&mut self, r: &mut Reactor, id: RequestId, status: u16, content_type: &str, body: &[u8]) -> Result<()> {
        let (head_only, close) = self.unanswered(id)?;
        let mut buf = self.take_buf();
        if has_length(status) {
            buf.extend_from_slice(self.heads.typed(r.now, status, content_type, body.len() as u64));
            buf.extend_from_slice(if close { b"Connection: close\r\n\r\n" } else { b"\r\n" });
        } else {
            let ct = [("Content-Type", content_type)];
            let headers: &[(&str, &str)] = if content_type.is_empty() { &[] } else { &ct };
            self.write_head(r.now, &mut buf, status, headers, Some(body.len() as u64), close);
        }
        if !head_only {
            buf.extend_from_slice(body);
        }
        self.answer(r, id, buf)
    }

    /// Whether request `id` is live and not answered yet; then whether it
    /// is a HEAD request and whether its connection closes after it.
    fn unanswered(&mut self, id: RequestId) -> Result<(bool, bool)> {
        let q = self.req_mut(id)?;
        if !matches!(q.out, Out::Waiting) {
            return Err(Error::InvalidArgument("this HTTP request was answered already"));
        }
        early_close(q);
        Ok((q.head_only, q.close))
    }

    /// `bytes` is the whole response to `id` (live, not answered): it is
    /// sent at once when `id` is first in line on its connection (the
    /// usual case: answers in request order), else kept until the answers
    /// before it are sent.
    fn answer(&mut self, r: &mut Reactor, id: RequestId, bytes: Vec<u8>) -> Result<()> {
        let q = self.reqs.get_mut(id).ok_or_else(stale)?;
        let conn = q.conn;
        if self.conns.get(conn).and_then(|c| c.queue.front()) != Some(&id) {
            q.out = Out::Ready(bytes);
            self.resume(r, conn);
            return Ok(());
        }
        let sent = r.send(conn, &bytes);
        self.recycle(bytes);
        if sent.is_err() {
            self.resume(r, conn); // the connection failed: DISCONNECT follows
            return Ok(());
        }
        if self.finished(r, id) {
            self.flush(r, conn)?;
            self.resume(r, conn);
        }
        Ok(())
    }

    /// Answers request `id` with the file at `path` (`content_type` for its
    /// Content-Type); a large file is read and sent as the connection
    /// drains, never held in memory whole. A missing file gives 404.
    pub fn respond_file(&mut self, r: &mut Reactor, id: RequestId, path: &str, content_type: &str) -> Result<()> {
        let opened = File::open(path).and_then(|f| f.metadata().map(|m| (f, m.len())));
        let Ok((mut file, len)) = opened else {
            return self.respond_bytes(r, id, 404, "text/plain", b"not found\n");
        };
        if len <= SMALL_FILE {
            let mut body = Vec::with_capacity(len as usize);
            file.read_to_end(&mut body).map_err(|e| Error::io(format!("read {path}"), e))?;
            return self.respond_bytes(r, id, 200, content_type, &body);
        }
        let (head_only, close) = self.unanswered(id)?;
        let mut head = self.take_buf();
        self.write_head(r.now, &mut head, 200, &[("Content-Type", content_type)], Some(len), close);
        if head_only {
            return self.answer(r, id, head);
        }
        self.req_mut(id)?.out = Out::File { head, file, left: len };
        self.advance(r, id)
    }

    /// Sends the next piece of the file answering `id` (at the front of its
    /// connection); true when the file is all sent.
    pub(super) fn pump_file(&mut self, r: &mut Reactor, id: RequestId) -> bool {
        let Some(q) = self.reqs.get_mut(id) else {
            return false;
        };
        let conn = q.conn;
        let Out::File { head, file, left } = &mut q.out else {
            return false;
        };
        if !head.is_empty() {
            let sent = r.send(conn, head);
            head.clear();
            if sent.is_err() {
                return false;
            }
        }
        let mut chunk = vec![0u8; FILE_CHUNK.min(usize::try_from(*left).unwrap_or(usize::MAX))];
        match file.read(&mut chunk) {
            Ok(n) if n > 0 => {
                *left -= n as u64;
                if r.send(conn, &chunk[..n]).is_err() {
                    return false;
                }
            }
            _ => {
                // The file shrank or failed while being sent: the response
                // cannot be completed, nor the connection kept.
                log::error!("HTTP: a file being sent could not be read to its end");
                let _ = r.close(conn);
                self.drop_conn(r, conn);
                return false;
            }
        }
        if *left == 0 {
            return true;
        }
        let _ = r.set_send_event(conn, true);
        false
    }

    /// Starts a streamed response to `id`: chunked (HTTP/1.1) with these
    /// headers; the body follows with [`Server::write_chunk`] and ends with
    /// [`Server::end_stream`]. [`Event::Drain`] says when the connection's
    /// queue emptied (backpressure: write when drained).
    pub fn respond_stream(&mut self, r: &mut Reactor, id: RequestId, status: u16, headers: &[(&str, &str)]) -> Result<()> {
        let mut buf = self.take_buf();
        let q = self.req_mut(id)?;
        if !matches!(q.out, Out::Waiting) {
            return Err(Error::InvalidArgument("this HTTP request was answered already"));
        }
        early_close(q);
        let close = q.close || q.head.minor == 0;
        q.close = close;
        let length = if q.head_only { Some(0) } else { None };
        self.write_head(r.now, &mut buf, status, headers, length, close);
        let head_only = self.req_mut(id)?.head_only;
        self.req_mut(id)?.out = Out::Streaming {
            pending: buf,
            ended: head_only,
        };
        let conn = self.req_mut(id)?.conn;
        let _ = r.set_send_event(conn, true);
        self.flush(r, conn)
    }

    /// Writes `data` to a streamed response.
    pub fn write_chunk(&mut self, r: &mut Reactor, id: RequestId, data: &[u8]) -> Result<()> {
        if data.is_empty() {
            return Ok(());
        }
        let q = self.req_mut(id)?;
        let chunked = q.head.minor == 1;
        let head_only = q.head_only;
        let Out::Streaming { pending, ended } = &mut q.out else {
            return Err(Error::InvalidArgument("no streamed response was started for this request"));
        };
        if *ended {
            return Err(Error::InvalidArgument("the streamed response was ended"));
        }
        if !head_only {
            if chunked {
                pending.extend_from_slice(format!("{:x}\r\n", data.len()).as_bytes());
                pending.extend_from_slice(data);
                pending.extend_from_slice(b"\r\n");
            } else {
                pending.extend_from_slice(data);
            }
        }
        let conn = q.conn;
        self.flush(r, conn)
    }

    /// Ends a streamed response.
    pub fn end_stream(&mut self, r: &mut Reactor, id: RequestId) -> Result<()> {
        let q = self.req_mut(id)?;
        let chunked = q.head.minor == 1 && !q.head_only;
        let Out::Streaming { pending, ended } = &mut q.out else {
            return Err(Error::InvalidArgument("no streamed response was started for this request"));
        };
        if !*ended {
            if chunked {
                pending.extend_from_slice(b"0\r\n\r\n");
            }
            *ended = true;
        }
        let conn = q.conn;
        self.flush(r, conn)
    }

    /// Writes out the answers at the front of a connection's queue that are
    /// ready, in order.
    pub(super) fn flush(&mut self, r: &mut Reactor, h: Handle) -> Result<()> {
        loop {
            let Some(c) = self.conns.get(h) else {
                return Ok(());
            };
            let Some(&id) = c.queue.front() else {
                return Ok(());
            };
            let Some(q) = self.reqs.get_mut(id) else {
                return Ok(());
            };
            match &mut q.out {
                Out::Waiting => return Ok(()),
                Out::File { .. } => {
                    if !self.pump_file(r, id) {
                        return Ok(());
                    }
                    self.finished(r, id);
                }
                Out::Ready(_) => {
                    let Out::Ready(bytes) = std::mem::take(&mut q.out) else {
                        unreachable!("matched above")
                    };
                    let sent = r.send(h, &bytes);
                    self.recycle(bytes);
                    if sent.is_err() {
                        return Ok(()); // the connection failed: DISCONNECT follows
                    }
                    self.finished(r, id);
                }
                Out::Streaming { pending, ended } => {
                    if !pending.is_empty() {
                        let sent = r.send(h, pending);
                        pending.clear();
                        if sent.is_err() {
                            return Ok(());
                        }
                    }
                    if !*ended {
                        return Ok(());
                    }
                    self.finished(r, id);
                }
            }
        }
    }

    pub(super) fn advance(&mut self, r: &mut Reactor, id: RequestId) -> Result<()> {
        let conn = self.req_mut(id)?.conn;
        self.flush(r, conn)?;
        self.resume(r, conn);
        Ok(())
    }

    /// The response to the request at the front of its connection's queue
    /// is all written: the request goes, the connection moves on. True
    /// when the connection has more to do at once: the next answer is
    /// ready, or input waits to be parsed. Most answers leave nothing: the
    /// next request waits for its own answer (or there is none).
    pub(super) fn finished(&mut self, r: &mut Reactor, id: RequestId) -> bool {
        let Some(q) = self.reqs.remove(id) else {
            return false;
        };
        let (h, close) = (q.conn, q.close);
        let limits = self.limits;
        let Some(c) = self.conns.get_mut(h) else {
            return false;
        };
        c.queue.pop_front();
        if close {
            // The last answer of this connection: FIN once it is written,
            // then wait (bounded) for the client's end.
            c.shut = true;
            c.reading = Reading::Closing;
            c.clock = Clock::Linger;
            c.deadline = r.now.saturating_add(LINGER_US);
            let _ = r.set_send_event(h, false);
            if r.shutdown_write(h).is_err() || c.peer_done {
                let _ = r.close(h);
                self.drop_conn(r, h);
            }
            return false;
        }
        let read_on = c.paused || !c.input.is_empty();
        let Some(&next) = c.queue.front() else {
            let _ = r.set_send_event(h, false);
            if c.peer_done {
                let _ = r.close(h);
                self.drop_conn(r, h);
                return false;
            }
            if matches!(c.reading, Reading::Head) {
                c.clock = if c.input.is_empty() { Clock::Idle } else { Clock::Head };
                let ms = if c.input.is_empty() { limits.keep_alive_ms } else { limits.head_timeout_ms };
                c.deadline = r.now.saturating_add(ms.saturating_mul(1000));
            }
            return read_on;
        };
        read_on || self.reqs.get(next).is_some_and(|q| !matches!(q.out, Out::Waiting))
    }

    /// Parsing resumes once the pipeline has room (and bytes already read
    /// are parsed without waiting for more).
    pub(super) fn resume(&mut self, r: &mut Reactor, h: Handle) {
        let max = self.limits.max_pipelined;
        let Some(c) = self.conns.get_mut(h) else {
            return;
        };
        if c.paused && c.queue.len() < max {
            c.paused = false;
            let _ = r.set_recv_event(h, true);
        }
        if !c.paused && !c.input.is_empty() {
            self.parse(r, h);
            self.give_back(h);
        }
    }

    /// The connection's queue emptied (SEND): more of a streamed response.
    pub(super) fn drained(&mut self, r: &mut Reactor, h: Handle) {
        let Some(&id) = self.conns.get(h).and_then(|c| c.queue.front()) else {
            let _ = r.set_send_event(h, false);
            return;
        };
        let Some(q) = self.reqs.get(id) else {
            return;
        };
        let (file, streaming) = (matches!(q.out, Out::File { .. }), matches!(q.out, Out::Streaming { ended: false, .. }));
        if file && self.pump_file(r, id) {
            self.finished(r, id);
            let _ = self.flush(r, h);
            self.resume(r, h);
        } else if streaming {
            self.events.push_back(Event::Drain(id));
        }
    }

    pub(super) fn take_buf(&mut self) -> Vec<u8> {
        self.spare.pop().unwrap_or_default()
    }

    pub(super) fn recycle(&mut self, mut buf: Vec<u8>) {
        if buf.capacity() <= 64 * 1024 && self.spare.len() < 256 {
            buf.clear();
            self.spare.push(buf);
        }
    }

    /// Status line and headers: the program's, plus Date (as of `now`, the
    /// round's time), Server, Content-Length (or chunked when `length` is
    /// None) and Connection.
    pub(super) fn write_head<N: AsRef<str>, V: AsRef<str>>(
        &mut self,
        now: u64,
        buf: &mut Vec<u8>,
        status: u16,
        headers: &[(N, V)],
        length: Option<u64>,
        close: bool,
    ) {
        self.heads.write_start(now, buf, status);
        for (n, v) in headers {
            let (n, v) = (n.as_ref().as_bytes(), v.as_ref().as_bytes());
            if head::eq_ignore_case(n, "content-length") || head::eq_ignore_case(n, "transfer-encoding") {
                continue; // the server frames the body itself
            }
            buf.extend_from_slice(n);
            buf.extend_from_slice(b": ");
            buf.extend_from_slice(v);
            buf.extend_from_slice(b"\r\n");
        }
        match length {
            Some(n) if has_length(status) => {
                buf.extend_from_slice(b"Content-Length: ");
                push_num(buf, n);
                buf.extend_from_slice(b"\r\n");
            }
            Some(_) => {}
            None if !close => buf.extend_from_slice(b"Transfer-Encoding: chunked\r\n"),
            None => {}
        }
        if close {
            buf.extend_from_slice(b"Connection: close\r\n");
        }
        buf.extend_from_slice(b"\r\n");
    }
}

/// Whether a response of `status` says its length (1xx, 204 and 304 do not).
fn has_length(status: u16) -> bool {
    !(100..200).contains(&status) && status != 204 && status != 304
}

/// A streamed request answered before its body ended: the connection
/// closes after the answer (the rest of the body is never read).
fn early_close(q: &mut Req) {
    if q.streamed && !q.body_done {
        q.close = true;
    }
}
