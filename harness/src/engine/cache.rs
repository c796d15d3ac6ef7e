//! Compiled modules by content, kept across engines: each distinct module
//! is compiled once per process and engine configuration.
//!
//! Engines are made fresh for every script ([`super::make`]), but compiling
//! is most of a generated case's time (wasmtime's Cranelift above all), and
//! the same bytes come back: a script that declares a module twice, a
//! campaign's minimiser rerunning a case with one step less, the streaming
//! worker's next case. An adapter asks [`ModuleCache::get_or_compile`] for
//! what it keeps per compiled module (wasmtime's and wasmi's `Module`, the
//! model's `ValidModule`, with the [`ModuleInfo`](super::book::ModuleInfo)
//! the adapter reads, or the rejection): a hit hands back a clone of what
//! the first compile made. Everything per script (stores, fuel, limits,
//! host functions, instance numbering) stays in the adapter.
//!
//! Correctness rests on compiling being a function of the bytes and the
//! engine's configuration: the key is a SHA-256 of both, so a hit is the
//! same module compiled the same way, and a cached module must behave
//! exactly as a fresh one (`harness/tests/cache.rs` compares reports).

use std::any::Any;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use sha2::{Digest, Sha256};

/// How much a [`ModuleCache`] keeps. The least recently used module goes
/// first when either bound would be passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheLimit {
    /// Compiled modules kept, over every engine configuration (a module
    /// compiled by three engines is three). 0: nothing is kept, every
    /// compile is fresh. Defaults to 512.
    pub entries: usize,
    /// The summed size of the wasm bytes of the modules kept, in bytes: a
    /// proxy for what their compiled forms hold (wasmtime's machine code
    /// and metadata are a small multiple of it). A module larger than this
    /// is compiled but not kept. Defaults to 64 MiB.
    pub bytes: usize,
}

impl Default for CacheLimit {
    fn default() -> Self {
        // A generated case compiles a handful of modules of a few KiB per
        // engine: 512 holds the last few dozen cases, and all of a
        // minimiser's candidates, at some tens of MiB of compiled code.
        CacheLimit { entries: 512, bytes: 64 << 20 }
    }
}

impl CacheLimit {
    /// A limit that keeps nothing: every compile is fresh.
    pub const NONE: CacheLimit = CacheLimit { entries: 0, bytes: 0 };
}

/// What a cache has done since it was made.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Compiles answered from the cache.
    pub hits: u64,
    /// Compiles that ran (kept or not).
    pub misses: u64,
    /// Modules dropped to stay within the [`CacheLimit`].
    pub evictions: u64,
}

/// A handle on a cache of compiled modules; clones share the cache. It is
/// per thread (the model's modules are `Rc`), meant to be made once per
/// worker process and handed to every engine made there
/// ([`super::make_cached`]).
#[derive(Clone)]
pub struct ModuleCache(Rc<RefCell<Inner>>);

struct Inner {
    limit: CacheLimit,
    entries: HashMap<[u8; 32], Entry>,
    /// Every entry's key by its `used`, least recent first.
    by_use: BTreeMap<u64, [u8; 32]>,
    /// The summed `weight` of the entries.
    bytes: usize,
    /// Counts lookups; an entry's `used` is the count at its last use.
    clock: u64,
    stats: CacheStats,
}

struct Entry {
    /// The engine configuration that compiled it ([`ModuleCache::forget`]).
    engine: String,
    value: Rc<dyn Any>,
    /// The length of the wasm bytes.
    weight: usize,
    used: u64,
}

impl ModuleCache {
    /// An empty cache within `limit`.
    pub fn new(limit: CacheLimit) -> ModuleCache {
        ModuleCache(Rc::new(RefCell::new(Inner {
            limit,
            entries: HashMap::new(),
            by_use: BTreeMap::new(),
            bytes: 0,
            clock: 0,
            stats: CacheStats::default(),
        })))
    }

    /// A cache that keeps nothing ([`CacheLimit::NONE`]): what
    /// [`super::make`] gives engines.
    pub fn disabled() -> ModuleCache {
        ModuleCache::new(CacheLimit::NONE)
    }

    /// What `compile` makes of `bytes` for the engine configuration
    /// `engine` (a name that differs whenever compiling could: the engine,
    /// its compiler, its settings, the engine object modules belong to):
    /// from the cache if these bytes were compiled for `engine` before,
    /// else `compile()`, kept (as least recently used goes) and returned.
    ///
    /// `compile` must be a function of `bytes` and `engine` alone; it runs
    /// without the cache borrowed, so it may use the cache itself.
    pub fn get_or_compile<T: Clone + 'static>(&self, engine: &str, bytes: &[u8], compile: impl FnOnce() -> T) -> T {
        let key = key(engine, bytes);
        {
            let mut inner = self.0.borrow_mut();
            inner.clock += 1;
            let now = inner.clock;
            // A value of another type under the same key would take a
            // SHA-256 collision: compiled afresh, and replaced.
            let Inner { entries, by_use, .. } = &mut *inner;
            let hit = entries.get_mut(&key).and_then(|e| {
                by_use.remove(&e.used);
                by_use.insert(now, key);
                e.used = now;
                e.value.downcast_ref::<T>().cloned()
            });
            if let Some(value) = hit {
                inner.stats.hits += 1;
                return value;
            }
            inner.stats.misses += 1;
        }
        let value = compile();
        self.0.borrow_mut().insert(key, engine, bytes.len(), Rc::new(value.clone()));
        value
    }

    /// Drops every module compiled for `engine`: its engine object is gone
    /// for good (wasmi's is renewed), so they can never be hit again.
    pub fn forget(&self, engine: &str) {
        let mut inner = self.0.borrow_mut();
        let Inner { entries, by_use, bytes, .. } = &mut *inner;
        entries.retain(|_, e| {
            let keep = e.engine != engine;
            if !keep {
                *bytes -= e.weight;
                by_use.remove(&e.used);
            }
            keep
        });
    }

    /// What the cache has done so far.
    pub fn stats(&self) -> CacheStats {
        self.0.borrow().stats
    }

    /// How many compiled modules it holds, and their wasm bytes.
    pub fn size(&self) -> (usize, usize) {
        let inner = self.0.borrow();
        (inner.entries.len(), inner.bytes)
    }

    /// Its bounds.
    pub fn limit(&self) -> CacheLimit {
        self.0.borrow().limit
    }
}

impl Inner {
    /// Keeps `value`, evicting the least recently used entries until it
    /// fits; a value that cannot fit (a bound of 0, or larger than the
    /// byte bound) is not kept.
    fn insert(&mut self, key: [u8; 32], engine: &str, weight: usize, value: Rc<dyn Any>) {
        if self.limit.entries == 0 || weight > self.limit.bytes {
            return;
        }
        if let Some(old) = self.entries.remove(&key) {
            self.bytes -= old.weight;
            self.by_use.remove(&old.used);
        }
        while self.entries.len() + 1 > self.limit.entries || self.bytes + weight > self.limit.bytes {
            let (_, oldest) = self.by_use.pop_first().expect("over a bound, so not empty");
            let old = self.entries.remove(&oldest).expect("every key in by_use is an entry's");
            self.bytes -= old.weight;
            self.stats.evictions += 1;
        }
        self.bytes += weight;
        // A tick of its own: `compile` may have used the cache since the lookup.
        self.clock += 1;
        let entry = Entry { engine: engine.to_string(), value, weight, used: self.clock };
        self.by_use.insert(self.clock, key);
        self.entries.insert(key, entry);
    }
}

/// The key of `bytes` compiled by `engine`: SHA-256 of the configuration's
/// name, a 0 byte (names hold none), and the bytes.
fn key(engine: &str, bytes: &[u8]) -> [u8; 32] {
    Sha256::new().chain_update(engine).chain_update([0]).chain_update(bytes).finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The index agrees with the entries, and the byte count with their weights.
    fn check(cache: &ModuleCache) {
        let inner = cache.0.borrow();
        assert_eq!(inner.by_use.len(), inner.entries.len());
        assert!(inner.by_use.iter().all(|(used, k)| inner.entries[k].used == *used));
        assert_eq!(inner.bytes, inner.entries.values().map(|e| e.weight).sum::<usize>());
    }

    #[test]
    fn the_books_stay_straight_under_any_sequence() {
        let cache = ModuleCache::new(CacheLimit { entries: 5, bytes: 40 });
        let mut x = 7u64;
        for _ in 0..2000 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let (n, engine) = ((x >> 33) % 9, ["e", "f"][(x >> 20) as usize % 2]);
            let bytes = vec![n as u8; 1 + (n as usize * 3)];
            if (x >> 40).is_multiple_of(50) {
                cache.forget(engine);
            } else {
                assert_eq!(cache.get_or_compile(engine, &bytes, || (engine, n)), (engine, n));
            }
            check(&cache);
            assert!(cache.size().0 <= 5 && cache.size().1 <= 40);
        }
        assert!(cache.stats().hits > 0 && cache.stats().evictions > 0, "{:?}", cache.stats());
    }

    /// Counts the compiles it was asked to run.
    fn compile_counting<'a>(runs: &'a std::cell::Cell<u32>, out: &'a str) -> impl FnOnce() -> String + 'a {
        move || {
            runs.set(runs.get() + 1);
            out.to_string()
        }
    }

    #[test]
    fn the_same_bytes_hit_and_other_bytes_or_engines_miss() {
        let cache = ModuleCache::new(CacheLimit::default());
        let runs = std::cell::Cell::new(0);
        assert_eq!(cache.get_or_compile("e", b"abc", compile_counting(&runs, "A")), "A");
        assert_eq!(cache.get_or_compile("e", b"abc", compile_counting(&runs, "not run")), "A");
        assert_eq!(cache.stats(), CacheStats { hits: 1, misses: 1, evictions: 0 });
        assert_eq!(cache.get_or_compile("e", b"abd", compile_counting(&runs, "B")), "B");
        // Another engine configuration compiles the same bytes its own way.
        assert_eq!(cache.get_or_compile("f", b"abc", compile_counting(&runs, "C")), "C");
        // A name and bytes that concatenate alike are still another key.
        assert_eq!(cache.get_or_compile("ea", b"bc", compile_counting(&runs, "D")), "D");
        assert_eq!(runs.get(), 4);
        assert_eq!(cache.stats(), CacheStats { hits: 1, misses: 4, evictions: 0 });
        assert_eq!(cache.size(), (4, 3 + 3 + 3 + 2));
    }

    #[test]
    fn the_entry_bound_evicts_the_least_recently_used() {
        let cache = ModuleCache::new(CacheLimit { entries: 2, bytes: 1 << 20 });
        let runs = std::cell::Cell::new(0);
        cache.get_or_compile("e", b"1", compile_counting(&runs, "1"));
        cache.get_or_compile("e", b"2", compile_counting(&runs, "2"));
        // 1 is used again, so 2 is the least recently used when 3 comes.
        cache.get_or_compile("e", b"1", compile_counting(&runs, "x"));
        cache.get_or_compile("e", b"3", compile_counting(&runs, "3"));
        assert_eq!(cache.size().0, 2);
        assert_eq!(cache.stats(), CacheStats { hits: 1, misses: 3, evictions: 1 });
        assert_eq!(cache.get_or_compile("e", b"1", compile_counting(&runs, "x")), "1");
        assert_eq!(cache.get_or_compile("e", b"2", compile_counting(&runs, "2 again")), "2 again");
        assert_eq!(runs.get(), 4);
    }

    #[test]
    fn the_byte_bound_evicts_and_keeps_nothing_larger() {
        let cache = ModuleCache::new(CacheLimit { entries: 100, bytes: 10 });
        let runs = std::cell::Cell::new(0);
        cache.get_or_compile("e", b"aaaa", compile_counting(&runs, "a"));
        cache.get_or_compile("e", b"bbbb", compile_counting(&runs, "b"));
        assert_eq!(cache.size(), (2, 8));
        cache.get_or_compile("e", b"cccc", compile_counting(&runs, "c"));
        assert_eq!(cache.size(), (2, 8));
        assert_eq!(cache.stats().evictions, 1);
        // Larger than the bound: compiled every time, never kept, nothing evicted.
        for _ in 0..2 {
            cache.get_or_compile("e", b"eleven bytes", compile_counting(&runs, "big"));
        }
        assert_eq!(cache.size(), (2, 8));
        assert_eq!(runs.get(), 5);
    }

    #[test]
    fn a_disabled_cache_compiles_every_time() {
        let cache = ModuleCache::disabled();
        let runs = std::cell::Cell::new(0);
        for _ in 0..3 {
            cache.get_or_compile("e", b"abc", compile_counting(&runs, "A"));
        }
        assert_eq!(runs.get(), 3);
        assert_eq!(cache.stats(), CacheStats { hits: 0, misses: 3, evictions: 0 });
        assert_eq!(cache.size(), (0, 0));
    }

    #[test]
    fn forgetting_an_engine_drops_only_its_modules() {
        let cache = ModuleCache::new(CacheLimit::default());
        let runs = std::cell::Cell::new(0);
        cache.get_or_compile("old", b"abc", compile_counting(&runs, "A"));
        cache.get_or_compile("other", b"abcd", compile_counting(&runs, "B"));
        cache.forget("old");
        assert_eq!(cache.size(), (1, 4));
        assert_eq!(cache.get_or_compile("old", b"abc", compile_counting(&runs, "A2")), "A2");
        assert_eq!(cache.get_or_compile("other", b"abcd", compile_counting(&runs, "x")), "B");
    }
}
