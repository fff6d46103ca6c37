//! The `Date` header (IMF-fixdate, RFC 9110 §5.6.7), formatted once per
//! second and reused by every response of that second.
//!
//! The wall clock is read once per second too: between changes, the time
//! the reactor read at the start of its round ([`crate::now_micros`]'s
//! monotonic clock) says whether the second is over, so a round's worth of
//! responses costs no clock read at all. A Date is therefore as old as the
//! round at most, as nginx's, whose clock is also updated once per round.

use std::time::{SystemTime, UNIX_EPOCH};

/// `Thu, 01 Jan 1970 00:00:00 GMT`: 29 bytes.
pub(crate) const DATE_LEN: usize = 29;

#[derive(Debug, Default)]
pub(crate) struct DateCache {
    /// When (on the monotonic clock, µs) the wall clock's second changes.
    until: u64,
    text: [u8; DATE_LEN],
}

impl DateCache {
    /// Brings the date up to the monotonic time `now` (µs); true when its
    /// text changed.
    pub(crate) fn refresh(&mut self, now: u64) -> bool {
        if now < self.until {
            return false;
        }
        let wall = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        self.until = crate::now_micros() + 1_000_000 - u64::from(wall.subsec_micros());
        let text = format(wall.as_secs());
        let changed = text != self.text;
        self.text = text;
        changed
    }

    /// The date as of the last [`DateCache::refresh`].
    pub(crate) fn text(&self) -> &[u8; DATE_LEN] {
        &self.text
    }
}

/// IMF-fixdate of a Unix time.
pub(crate) fn format(unix: u64) -> [u8; DATE_LEN] {
    const DAYS: [&[u8; 3]; 7] = [b"Thu", b"Fri", b"Sat", b"Sun", b"Mon", b"Tue", b"Wed"];
    const MONTHS: [&[u8; 3]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
    ];
    let days = unix / 86_400;
    let secs = unix % 86_400;
    // Civil from days (Howard Hinnant's algorithm), days since 1970-01-01.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let mut out = [b' '; DATE_LEN];
    out[..3].copy_from_slice(DAYS[(days % 7) as usize]);
    out[3] = b',';
    two(&mut out[5..7], day as u64);
    out[8..11].copy_from_slice(MONTHS[(month - 1) as usize]);
    let y = year.clamp(0, 9999) as u64;
    two(&mut out[12..14], y / 100);
    two(&mut out[14..16], y % 100);
    two(&mut out[17..19], secs / 3600);
    out[19] = b':';
    two(&mut out[20..22], secs / 60 % 60);
    out[22] = b':';
    two(&mut out[23..25], secs % 60);
    out[26..29].copy_from_slice(b"GMT");
    out
}

fn two(out: &mut [u8], v: u64) {
    out[0] = b'0' + (v / 10 % 10) as u8;
    out[1] = b'0' + (v % 10) as u8;
}

#[cfg(test)]
mod tests {
    use super::DateCache;

    #[test]
    fn the_wall_clock_is_read_once_per_second() {
        let mut d = DateCache::default();
        let now = crate::now_micros();
        assert!(d.refresh(now), "the first refresh formats a date");
        let first = *d.text();
        assert_eq!(&first[25..], b" GMT");
        assert!(!d.refresh(now), "same round");
        assert!(d.until > now && d.until <= crate::now_micros() + 1_000_000, "until the second's end");
    }

    #[test]
    fn imf_fixdate() {
        assert_eq!(&super::format(0), b"Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(&super::format(784_111_777), b"Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(&super::format(1_796_288_334), b"Thu, 03 Dec 2026 08:58:54 GMT");
        assert_eq!(&super::format(951_782_400), b"Tue, 29 Feb 2000 00:00:00 GMT");
    }
}
