//! Compiled modules are kept by content across engines
//! (`engine::cache`): the same bytes are compiled once per engine, other
//! bytes are not taken for them, the bound evicts, and a script whose
//! modules all come from the cache reports exactly what it reports with
//! every module compiled afresh.

use std::path::{Path, PathBuf};

use lockstep::campaign::{self, Generator};
use lockstep::engine::{self, CacheLimit, CacheStats, Engine, ModuleCache, Outcome, Rejected, Val};
use lockstep::limits::Limits;
use lockstep::wast::run_script;

/// The engines a campaign runs.
const ENGINES: [&str; 3] = ["model", "wasmi", "wasmtime-quick"];

fn returning(n: i32) -> Vec<u8> {
    wat::parse_str(format!(r#"(module (func (export "f") (result i32) (i32.const {n})))"#)).unwrap()
}

fn make(name: &str, cache: &ModuleCache) -> Box<dyn Engine> {
    engine::make_cached(name, Limits::default(), cache).unwrap()
}

/// Compiles `bytes` in a fresh engine and runs its `f`.
fn compile_and_call(name: &str, cache: &ModuleCache, bytes: &[u8]) -> Outcome {
    let mut e = make(name, cache);
    let m = e.compile(bytes).unwrap();
    assert_eq!(e.instantiate(m, &[]), (Some(0), Outcome::Values(vec![])));
    e.invoke(0, "f", &[])
}

#[test]
fn fresh_engines_compile_the_same_bytes_once_and_other_bytes_again() {
    let cache = ModuleCache::new(CacheLimit::default());
    let (seven, eight) = (returning(7), returning(8));
    for _ in 0..2 {
        for name in ENGINES {
            assert_eq!(compile_and_call(name, &cache, &seven), Outcome::Values(vec![Val::I32(7)]), "{name}");
        }
    }
    assert_eq!(cache.stats(), CacheStats { hits: 3, misses: 3, evictions: 0 });
    for name in ENGINES {
        assert_eq!(compile_and_call(name, &cache, &eight), Outcome::Values(vec![Val::I32(8)]), "{name}");
    }
    assert_eq!(cache.stats(), CacheStats { hits: 3, misses: 6, evictions: 0 });

    // A rejection is kept too, and given back as it was.
    let invalid = wat::parse_str(r#"(module (func (result i32) (i64.const 0)))"#).unwrap();
    for name in ENGINES {
        let first = make(name, &cache).compile(&invalid).unwrap_err();
        let again = make(name, &cache).compile(&invalid).unwrap_err();
        assert_eq!(first, again, "{name}");
        assert!(!matches!(first, Rejected::Unsupported(_)), "{name}: {first}");
    }
    assert_eq!(cache.stats(), CacheStats { hits: 6, misses: 9, evictions: 0 });
}

#[test]
fn the_bound_evicts_the_least_recently_used_module() {
    let cache = ModuleCache::new(CacheLimit { entries: 2, ..CacheLimit::default() });
    let outcome = |n: i32| compile_and_call("wasmtime-quick", &cache, &returning(n));
    outcome(1);
    outcome(2);
    outcome(1);
    outcome(3);
    assert_eq!(cache.stats(), CacheStats { hits: 1, misses: 3, evictions: 1 });
    assert_eq!(cache.size().0, 2);
    // 2 was the least recently used: 1 is still there, 2 is compiled again.
    assert_eq!(outcome(1), Outcome::Values(vec![Val::I32(1)]));
    assert_eq!(outcome(2), Outcome::Values(vec![Val::I32(2)]));
    assert_eq!(cache.stats(), CacheStats { hits: 2, misses: 4, evictions: 2 });
}

/// A script's report as data, without its timings.
fn report(name: &str, text: &str, cache: &ModuleCache) -> serde_json::Value {
    let engines = ENGINES.iter().map(|e| make(e, cache)).collect();
    let mut r = serde_json::to_value(run_script(name, text, engines)).unwrap();
    r.as_object_mut().unwrap().remove("time");
    r
}

/// Scripts that a known finding says crash an engine, as canonical paths:
/// undefined behaviour (`corpus/findings/wasmi-failed-instance-state.wast`)
/// takes the test process down, or answers differently from run to run.
fn crashing() -> Vec<PathBuf> {
    let folder = lockstep::report::repository().join("corpus/findings");
    let known = std::fs::read_to_string(folder.join("known.txt")).unwrap();
    known
        .lines()
        .filter(|l| !l.starts_with('#') && l.split_whitespace().nth(3) == Some("crash"))
        // Paths are relative to the known file's folder.
        .filter_map(|l| folder.join(l.split_whitespace().next()?).canonicalize().ok())
        .collect()
}

#[test]
fn a_script_runs_the_same_with_its_modules_from_the_cache() {
    let root = lockstep::report::repository();
    let crashing = crashing();
    assert!(crashing.len() >= 3, "{crashing:?}");
    let mut scripts = Vec::new();
    for dir in ["harness/tests/scripts", "corpus/scenarios", "corpus/findings"] {
        for s in lockstep::scripts::resolve(root.join(dir).to_str().unwrap()).unwrap() {
            if !Path::new(&s.name).canonicalize().is_ok_and(|p| crashing.contains(&p)) {
                scripts.push((s.name, s.text));
            }
        }
    }
    // Generated cases, but none with a function a failed instantiation left
    // behind (the same undefined behaviour).
    for n in 0..16 {
        if let Some(case) = campaign::case(Generator::Both, 1, n)
            && case.left_behind_from.is_none()
        {
            scripts.push((format!("case {n}"), case.text));
        }
    }
    assert!(scripts.len() > 40, "{} scripts", scripts.len());

    let cache = ModuleCache::new(CacheLimit::default());
    for (name, text) in &scripts {
        let fresh = report(name, text, &ModuleCache::disabled());
        // The first run fills the cache (a module declared twice already hits).
        let first = report(name, text, &cache);
        let misses = cache.stats().misses;
        let cached = report(name, text, &cache);
        assert_eq!(cache.stats().misses, misses, "{name}: compiled again");
        assert_eq!(first, fresh, "{name}: the first run with the cache");
        assert_eq!(cached, fresh, "{name}: every module from the cache");
    }
    assert!(cache.stats().hits > 100, "{:?}", cache.stats());
}
