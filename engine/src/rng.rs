//! The engine's own pseudo-random number generator: xoshiro256** seeded through SplitMix64.
//!
//! Invariant: the sequence depends only on the seed, never on the platform, the pointer width or
//! a dependency's version, so a seed replays the same run natively and in WebAssembly.
//! Probabilities are integer parts per million; no floating point is involved in any choice.

use crate::limits::PPM_ONE;

/// One step of SplitMix64: used to expand a 64-bit seed into xoshiro's 256-bit state.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// xoshiro256** (Blackman and Vigna, 2018).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// A generator whose whole sequence is determined by `seed`.
    pub fn new(seed: u64) -> Rng {
        let mut sm = seed;
        Rng {
            s: [
                splitmix64(&mut sm),
                splitmix64(&mut sm),
                splitmix64(&mut sm),
                splitmix64(&mut sm),
            ],
        }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// A uniform value in `0..n` (`0` when `n == 0`), without modulo bias worth measuring:
    /// Lemire's multiply-shift, on the top 32 random bits when `n` fits 32 bits (a bias below
    /// `n / 2^32`), on all 64 otherwise.
    pub fn below(&mut self, n: u64) -> u64 {
        let x = self.next_u64();
        match u32::try_from(n) {
            // The common case, without 128-bit arithmetic (which WebAssembly emulates slowly):
            // the top 32 random bits scaled to `n`.
            Ok(small) => ((x >> 32) * u64::from(small)) >> 32,
            Err(_) => ((u128::from(x) * u128::from(n)) >> 64) as u64,
        }
    }

    /// A uniform value in `lo..=hi` (`lo` when `hi <= lo`).
    pub fn range_inclusive(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `ppm / 1_000_000`. Draws nothing when `ppm` is 0, so turning a
    /// fault off does not shift the random sequence of a run that never uses it.
    pub fn chance_ppm(&mut self, ppm: u32) -> bool {
        if ppm == 0 {
            return false;
        }
        self.below(u64::from(PPM_ONE)) < u64::from(ppm)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_is_pinned() {
        // The first outputs for seed 0 are part of the format: changing them changes every
        // recorded trace hash.
        let mut rng = Rng::new(0);
        let first: Vec<u64> = (0..3).map(|_| rng.next_u64()).collect();
        assert_eq!(
            first,
            vec![0x99EC5F36CB75F2B4, 0xBF6E1F784956452A, 0x1A5F849D4933E6E0]
        );
    }

    #[test]
    fn below_stays_in_range() {
        let mut rng = Rng::new(7);
        for n in 1..200 {
            assert!(rng.below(n) < n);
        }
        assert_eq!(rng.below(0), 0);
        assert_eq!(rng.range_inclusive(5, 5), 5);
        assert!(!rng.chance_ppm(0));
        assert!(rng.chance_ppm(PPM_ONE));
    }
}
