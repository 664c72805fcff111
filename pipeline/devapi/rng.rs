//! Deterministic randomness for the generator and the fault plan.
//!
//! Everything here uses integer arithmetic and SHA-256 only (no platform `libm`, no `HashMap`
//! order, no `rand` algorithm that may change between releases), so a seed gives the same bytes on
//! every platform and toolchain.

use sha2::{Digest, Sha256};

/// SplitMix64: a tiny, well-known 64-bit generator (Steele, Lea & Flood 2014).
#[derive(Debug, Clone)]
pub(crate) struct SplitMix64(u64);

impl SplitMix64 {
    /// A stream starting from `seed`.
    #[cfg(test)]
    pub(crate) fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    /// A stream keyed by `seed` and a list of labels (e.g. `["set", "base1"]`).
    pub(crate) fn keyed(seed: u64, parts: &[&str]) -> Self {
        SplitMix64(hash64(seed, parts))
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`), by multiply-high (bias below 2^-40 for our small `n`).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// Uniform in `lo..=hi`.
    pub(crate) fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    /// Uniform in `[0, 1)` with 53 bits.
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `[lo, hi)`.
    pub(crate) fn between(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// True with probability `p`.
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Fisher–Yates shuffle in place.
    pub(crate) fn shuffle<T>(&mut self, xs: &mut [T]) {
        for i in (1..xs.len()).rev() {
            xs.swap(i, self.below(i + 1));
        }
    }

    /// One element of a non-empty slice.
    pub(crate) fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

/// Draws from a list without replacement, reshuffling when it runs out (fewer repeats than
/// independent picks, like a real set's card list).
pub(crate) struct Bag<T: Copy> {
    items: Vec<T>,
    next: usize,
}

impl<T: Copy> Bag<T> {
    /// A bag over `items` (must be non-empty to draw).
    pub(crate) fn new(items: Vec<T>) -> Self {
        let next = items.len();
        Bag { items, next }
    }

    pub(crate) fn draw(&mut self, rng: &mut SplitMix64) -> T {
        if self.next >= self.items.len() {
            rng.shuffle(&mut self.items);
            self.next = 0;
        }
        self.next += 1;
        self.items[self.next - 1]
    }
}

/// SHA-256 of `seed` (little-endian) and the parts (each followed by a 0x1F separator).
pub(crate) fn digest(seed: u64, parts: &[&str]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(seed.to_le_bytes());
    for p in parts {
        h.update(p.as_bytes());
        h.update([0x1F]);
    }
    h.finalize().into()
}

/// First 8 bytes (big-endian) of [`digest`].
pub(crate) fn hash64(seed: u64, parts: &[&str]) -> u64 {
    let d = digest(seed, parts);
    u64::from_be_bytes(d[..8].try_into().expect("8 bytes"))
}

/// [`hash64`] mapped to `[0, 1)`.
pub(crate) fn hash_unit(seed: u64, parts: &[&str]) -> f64 {
    (hash64(seed, parts) >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_reference_values() {
        // Published SplitMix64 outputs for seed 0.
        let mut r = SplitMix64::new(0);
        assert_eq!(r.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(r.next_u64(), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn keyed_hashes_differ_by_part_boundaries() {
        assert_ne!(hash64(1, &["ab", "c"]), hash64(1, &["a", "bc"]));
        assert_eq!(hash64(1, &["x"]), hash64(1, &["x"]));
        let u = hash_unit(9, &["y"]);
        assert!((0.0..1.0).contains(&u));
    }
}
