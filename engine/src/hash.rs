//! A stable 64-bit hash (FNV-1a) over a canonical byte encoding.
//!
//! Invariant: the hash of a value depends only on the bytes its [`Canon`] implementation writes
//! (little-endian integers, length-prefixed strings), never on std's `Hasher`, whose output may
//! change between Rust releases.

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// A running FNV-1a 64-bit hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fnv64(u64);

impl Default for Fnv64 {
    fn default() -> Self {
        Fnv64(FNV_OFFSET)
    }
}

impl Fnv64 {
    /// A fresh hash.
    pub fn new() -> Fnv64 {
        Fnv64::default()
    }
    /// Feed bytes.
    #[inline]
    pub fn bytes(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(FNV_PRIME);
        }
    }
    /// Feed one byte (a tag).
    #[inline]
    pub fn u8(&mut self, v: u8) {
        self.bytes(&[v]);
    }
    /// Feed a `u64` as 8 little-endian bytes.
    #[inline]
    pub fn u64(&mut self, v: u64) {
        self.bytes(&v.to_le_bytes());
    }
    /// Feed a `u32` as 4 little-endian bytes.
    #[inline]
    pub fn u32(&mut self, v: u32) {
        self.bytes(&v.to_le_bytes());
    }
    /// Feed a length-prefixed string.
    pub fn str(&mut self, s: &str) {
        self.u64(s.len() as u64);
        self.bytes(s.as_bytes());
    }
    /// The hash so far.
    pub fn finish(&self) -> u64 {
        self.0
    }
}

/// A canonical encoding fed to [`Fnv64`]: two values are equal for the trace hash exactly when
/// they write the same bytes.
pub trait Canon {
    /// Write this value's canonical bytes.
    fn canon(&self, h: &mut Fnv64);
}

macro_rules! canon_int {
    ($($t:ty),*) => {$(
        impl Canon for $t {
            fn canon(&self, h: &mut Fnv64) {
                h.bytes(&self.to_le_bytes());
            }
        }
    )*};
}
canon_int!(u8, u16, u32, u64, i32, i64);

impl Canon for bool {
    fn canon(&self, h: &mut Fnv64) {
        h.u8(u8::from(*self));
    }
}

impl Canon for String {
    fn canon(&self, h: &mut Fnv64) {
        h.str(self);
    }
}

/// Format a hash the way every tool prints it: 16 lowercase hex digits.
pub fn hex(hash: u64) -> String {
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_published_fnv1a_vectors() {
        let mut h = Fnv64::new();
        assert_eq!(h.finish(), 0xcbf29ce484222325);
        h.bytes(b"a");
        assert_eq!(h.finish(), 0xaf63dc4c8601ec8c);
        let mut h = Fnv64::new();
        h.bytes(b"foobar");
        assert_eq!(h.finish(), 0x85944171f73967e8);
        assert_eq!(hex(0xab), "00000000000000ab");
    }
}
