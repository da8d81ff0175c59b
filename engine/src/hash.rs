//! A stable 64-bit hash in the FNV-1a family over a canonical encoding.
//!
//! Byte strings are absorbed byte by byte exactly as FNV-1a 64 does (so [`Fnv64::bytes`] gives the
//! published FNV-1a values). Integers, which are most of a trace, are absorbed a whole 64-bit
//! word at a time — FNV-1a's xor-then-multiply step applied to the word, followed by a xor-shift
//! fold so high bits reach low bits — one multiply per field instead of eight, because hashing is
//! on the simulator's hot path.
//!
//! Invariant: the hash of a value depends only on what its [`Canon`] implementation feeds (words
//! and length-prefixed strings), never on std's `Hasher`, whose output may change between Rust
//! releases, nor on the platform's endianness or pointer width.

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
    /// Feed one 64-bit word.
    #[inline]
    pub fn u64(&mut self, v: u64) {
        let h = (self.0 ^ v).wrapping_mul(FNV_PRIME);
        self.0 = h ^ (h >> 29);
    }
    /// Feed a `u32` as one word.
    #[inline]
    pub fn u32(&mut self, v: u32) {
        self.u64(u64::from(v));
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
                // Sign-extended for signed types: the same word on every platform.
                h.u64(*self as u64);
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
        // Words: pinned, because every recorded trace hash depends on them.
        let mut h = Fnv64::new();
        h.u64(1);
        h.u64(u64::MAX);
        assert_eq!(h.finish(), 0xdd32_c540_014a_edc2);
        assert_eq!(hex(0xab), "00000000000000ab");
    }
}
