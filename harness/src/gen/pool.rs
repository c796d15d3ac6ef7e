//! The pool of libraries that scenarios draw their side modules from.
//!
//! A campaign should spend its time instantiating, running and comparing,
//! not compiling: real programs load the same few libraries again and
//! again, and an engine compiles a module once however often it is
//! instantiated. So most side modules a scenario defines are *libraries*
//! of a pool: generated once, against a main of the pool's own (so they
//! link with most mains, and fail to link or to instantiate with some, as
//! a real library does), and written with the same text in every case
//! that draws them, so that a compile cache keyed by the module's bytes
//! compiles each once per worker process. The rest are generated fresh
//! for the scenario, against the state of the moment (`Config::pool_reuse`).
//!
//! **Determinism.** Case `n` of seed `s` must be regenerable from `(s, n)`
//! alone (`lockstep fuzz --seed S --case N`), whichever job ran it and
//! whatever ran before. So the pool is not built from earlier cases'
//! draws: it is a function of the seed and of the case's *epoch*, `n /`
//! [`Pool::EPOCH`], and library `k` of it is generated from its own bytes,
//! derived from `(seed, epoch, k)`, only when a case draws it. Jobs take
//! case numbers from one counter, so every job works in the same epoch at
//! the same time: each job's worker sees the same libraries (a per-job
//! pool in effect, without making a case depend on its job), and a new
//! epoch brings new libraries, so that a long campaign does not test the
//! same few forever.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::wat::SideDef;

/// Libraries generated so far, by pool seed and index (`None`: the bytes made none).
type Libraries = HashMap<(u64, usize), Option<Arc<SideDef>>>;

/// A pool of libraries: a seed from which library `k` is generated on demand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pool {
    /// `None`: the empty pool (every side is generated fresh).
    seed: Option<u64>,
}

impl Pool {
    /// Consecutive case numbers that share a pool.
    pub const EPOCH: u64 = 256;

    /// The most libraries a pool offers (`Config::pool_size` is capped by it).
    pub const CAPACITY: usize = 32;

    /// The empty pool: every side module is generated fresh.
    pub fn empty() -> Pool {
        Pool { seed: None }
    }

    /// The pool with this seed (a scenario's own pool, or a test's).
    pub fn from_seed(seed: u64) -> Pool {
        Pool { seed: Some(seed) }
    }

    /// The pool of case `case` of a campaign seeded with `seed`: that of
    /// its epoch, `case / EPOCH`, the same for every case of the epoch.
    pub fn for_case(seed: u64, case: u64) -> Pool {
        Pool::from_seed(mix(seed ^ mix((case / Pool::EPOCH) ^ 0x706f_6f6c)))
    }

    /// Whether it offers no library.
    pub fn is_empty(&self) -> bool {
        self.seed.is_none()
    }

    /// Library `k` (below [`Pool::CAPACITY`]), generated from its own bytes:
    /// `None` for the empty pool or bytes that make no library.
    pub(crate) fn library(&self, k: usize) -> Option<Arc<SideDef>> {
        let seed = self.seed?;
        // Generating a library takes tens of microseconds, and a scenario
        // looks at every library of its pool to pick one that links: keep
        // the latest pools' libraries (a campaign's jobs share an epoch).
        static CACHE: Mutex<Option<Libraries>> = Mutex::new(None);
        let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
        let map = cache.get_or_insert_with(HashMap::new);
        if let Some(lib) = map.get(&(seed, k)) {
            return lib.clone();
        }
        if map.len() >= 4 * Pool::CAPACITY {
            map.clear();
        }
        let lib = super::steps::library(&stream(seed, k as u64, 2048), &stream(seed, u64::MAX, 1024), k).map(Arc::new);
        map.insert((seed, k), lib.clone());
        lib
    }

    /// The bytes a pool-drawn item `k` of another kind (`salt`) is generated from.
    pub(crate) fn bytes(&self, salt: u64, k: usize, len: usize) -> Option<Vec<u8>> {
        Some(stream(self.seed? ^ mix(salt), k as u64, len))
    }
}

/// SplitMix64's finaliser.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// `len` bytes of a SplitMix64 stream keyed by `(seed, k)`.
fn stream(seed: u64, k: u64, len: usize) -> Vec<u8> {
    let mut x = seed ^ mix(k.wrapping_add(0x9e37_79b9_7f4a_7c15));
    (0..len)
        .map(|_| {
            x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
            mix(x) as u8
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases_of_an_epoch_share_a_pool_and_epochs_differ() {
        assert_eq!(Pool::for_case(7, 0), Pool::for_case(7, Pool::EPOCH - 1));
        assert_ne!(Pool::for_case(7, 0), Pool::for_case(7, Pool::EPOCH));
        assert_ne!(Pool::for_case(7, 0), Pool::for_case(8, 0));
    }

    #[test]
    fn a_library_is_the_same_text_every_time() {
        let pool = Pool::for_case(3, 5);
        let made: Vec<String> = (0..Pool::CAPACITY)
            .filter_map(|k| pool.library(k))
            .map(|l| l.render(&format!("(module definition ${}", l.name)))
            .collect();
        assert!(made.len() > Pool::CAPACITY / 2, "most bytes make a library");
        let again = Pool::for_case(3, 6).library(0).expect("library 0");
        assert_eq!(again.render(&format!("(module definition ${}", again.name)), made[0]);
        assert!(Pool::empty().library(0).is_none());
    }
}
