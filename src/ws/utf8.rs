//! UTF-8 checked as a text message arrives, piece by piece, so a bad byte
//! fails the connection at once (RFC 6455 §8.1: fail fast), even when a
//! character is split across frames.

/// The state between pieces: the bytes of a character not complete yet.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Utf8 {
    pending: [u8; 4],
    n: u8,
}

/// Bytes in the character a lead byte starts (2 to 4; the lead was
/// checked when it arrived).
fn width(lead: u8) -> usize {
    match lead {
        0xf0..=0xff => 4,
        0xe0..=0xef => 3,
        _ => 2,
    }
}

impl Utf8 {
    /// Checks the next piece; false as soon as the text can no longer be
    /// UTF-8, whatever follows.
    pub fn feed(&mut self, mut b: &[u8]) -> bool {
        if self.n > 0 {
            let n = usize::from(self.n);
            let take = (width(self.pending[0]) - n).min(b.len());
            self.pending[n..n + take].copy_from_slice(&b[..take]);
            match std::str::from_utf8(&self.pending[..n + take]) {
                Ok(_) => {
                    self.n = 0;
                    b = &b[take..];
                }
                Err(e) if e.error_len().is_none() => {
                    self.n = (n + take) as u8;
                    return true;
                }
                Err(_) => return false,
            }
        }
        match std::str::from_utf8(b) {
            Ok(_) => true,
            Err(e) if e.error_len().is_none() => {
                let rest = &b[e.valid_up_to()..];
                self.pending[..rest.len()].copy_from_slice(rest);
                self.n = rest.len() as u8;
                true
            }
            Err(_) => false,
        }
    }

    /// Whether the text ended on a character boundary (then the state is
    /// ready for the next message).
    pub fn finish(&mut self) -> bool {
        std::mem::take(&mut self.n) == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn whole(b: &[u8]) -> bool {
        let mut u = Utf8::default();
        u.feed(b) && u.finish()
    }

    fn byte_by_byte(b: &[u8]) -> (bool, Option<usize>) {
        let mut u = Utf8::default();
        for (i, x) in b.iter().enumerate() {
            if !u.feed(std::slice::from_ref(x)) {
                return (false, Some(i));
            }
        }
        (u.finish(), None)
    }

    #[test]
    fn agrees_with_std_in_any_split() {
        let samples: [&[u8]; 8] = [
            "κόσμε".as_bytes(),
            b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80\x65\x64\x69\x74\x65\x64",
            b"\xf4\x90\x80\x80",
            b"\xf0\x9f\x98\x80 ok",
            b"\xc0\xaf",
            b"abc\xe2\x82",
            b"\xed\x9f\xbf",
            b"\xef\xbf\xbf\xf4\x8f\xbf\xbf",
        ];
        for s in samples {
            let want = std::str::from_utf8(s).is_ok();
            assert_eq!(whole(s), want, "{s:x?}");
            assert_eq!(byte_by_byte(s).0, want, "{s:x?} byte by byte");
            for cut in 0..=s.len() {
                let mut u = Utf8::default();
                let ok = u.feed(&s[..cut]) && u.feed(&s[cut..]) && u.finish();
                assert_eq!(ok, want, "{s:x?} cut at {cut}");
            }
        }
    }

    #[test]
    fn fails_at_the_first_impossible_byte() {
        // Autobahn 6.4.1: the surrogate's second byte (0xa0 after 0xed)
        // already rules the text out, before the message ends.
        let s = b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited";
        assert_eq!(byte_by_byte(s), (false, Some(12)));
        assert_eq!(byte_by_byte(b"\xf4\x90\x80\x80"), (false, Some(1)));
    }

    #[test]
    fn a_truncated_character_fails_at_the_end() {
        let mut u = Utf8::default();
        assert!(u.feed(b"ok\xe2\x82"));
        assert!(!u.finish());
        assert!(u.feed(b"fresh") && u.finish(), "the state is reset for the next message");
    }
}
