//! The scenario generators (`lockstep::gen`), bounded by case counts and
//! seeded so that every run sees the same cases:
//!
//! - smoke: 50 seeds per generator, each script parses and runs on the
//!   model with no failed check that the generator asserted (the model is
//!   the reference: a failed assertion there is a generator bug);
//! - lockstep agreement of the model and wasmtime, in process, as proptest
//!   properties (32 cases each, failures shrunk and kept in
//!   `proptest-regressions/gen.txt`);
//! - event coverage: over 200 scenarios of the default configuration, every
//!   linking event occurs (and with it every way modules vary: type
//!   sections, import and global orders, tables beside imported ones,
//!   constant-expression forms, host functions in tables, memory after
//!   calls into other instances);
//! - the pool: the scenarios and pairs of one epoch draw libraries with the
//!   same text (one compile per worker), and a case regenerates identically;
//! - floats: a generated NaN move catches an engine that flips NaN payloads,
//!   and the model and wasmtime agree on 50 seeds with floats;
//! - wasmi only through worker processes (wasmi 2.0.0 crashes, SIGSEGV, when
//!   a function left behind by a failed instantiation is called), and only
//!   that known crash is accepted.
//!
//! Replay a smoke seed: `LOCKSTEP_GEN_DUMP=dir cargo test -p lockstep --test gen`
//! writes every generated script to `dir`.

use std::collections::HashMap;
use std::time::Duration;

use arbitrary::Unstructured;
use lockstep::engine;
use lockstep::r#gen::{self as generate, Config, PairConfig, Pool, Scenario};
use lockstep::limits::Limits;
use lockstep::wast::{ScriptReport, run_script};
use lockstep::worker::{Isolation, run_isolated};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{FileFailurePersistence, RngAlgorithm, RngSeed, TestRng, TestRunner};

/// The generators' input for a seed: proptest's own byte strategy, drawn
/// with its ChaCha generator seeded by `seed`.
fn bytes(seed: u64) -> Vec<u8> {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    let mut runner =
        TestRunner::new_with_rng(ProptestConfig::default(), TestRng::from_seed(RngAlgorithm::ChaCha, &key));
    input().new_tree(&mut runner).expect("a byte vector").current()
}

fn input() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 256..4096)
}

fn scenario(data: &[u8], cfg: &Config) -> Scenario {
    generate::scenario(&mut Unstructured::new(data), cfg).expect("the generator takes any input")
}

fn swarm_scenario(data: &[u8]) -> Scenario {
    let mut u = Unstructured::new(data);
    let cfg = Config::swarm(&mut u).expect("any input is a configuration");
    generate::scenario(&mut u, &cfg).expect("the generator takes any input")
}

fn pair(data: &[u8]) -> Scenario {
    generate::smith_pair(&mut Unstructured::new(data), &PairConfig::default()).expect("wasm-smith takes any input")
}

fn run(engines: &[&str], name: &str, text: &str) -> ScriptReport {
    let engines = engines.iter().map(|e| engine::make(e, Limits::default()).expect("engine")).collect();
    run_script(name, text, engines)
}

fn dump(name: &str, text: &str) {
    if let Ok(dir) = std::env::var("LOCKSTEP_GEN_DUMP") {
        std::fs::create_dir_all(&dir).expect("dump dir");
        std::fs::write(format!("{dir}/{name}"), text).expect("dump");
    }
}

/// Failed checks on lines that are not plain `invoke`s: what the generator
/// asserted (a module that instantiates, an `assert_*`).
fn asserted_failures(r: &ScriptReport, text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    r.failed
        .iter()
        .filter(|n| !lines.get(n.line.wrapping_sub(1)).is_some_and(|l| l.starts_with("(invoke ")))
        .map(|n| n.to_string())
        .collect()
}

/// Runs `make(seed)` for 50 seeds on the model alone; `invokes_may_fail`
/// for generators that predict nothing.
fn smoke(what: &str, make: impl Fn(&[u8]) -> Scenario, invokes_may_fail: bool) {
    let mut bad = Vec::new();
    let mut steps = 0;
    for seed in 0..50 {
        let s = make(&bytes(seed));
        let text = s.to_wast();
        let name = format!("{what}-{seed}.wast");
        dump(&name, &text);
        steps += s.len();
        let r = run(&["model"], &name, &text);
        let failed = if invokes_may_fail {
            asserted_failures(&r, &text)
        } else {
            r.failed.iter().map(|n| n.to_string()).collect()
        };
        if !failed.is_empty() || !r.skipped.is_empty() || r.poisoned().is_some() || !r.not_reached.is_empty() {
            bad.push(format!(
                "seed {seed}: failed {failed:?} skipped {:?} poisoned {:?} not reached {:?}\n{text}",
                r.skipped,
                r.poisoned(),
                r.not_reached
            ));
        }
    }
    eprintln!("{what}: 50 seeds, {steps} steps");
    assert!(bad.is_empty(), "{} of 50 seeds:\n{}", bad.len(), bad.join("\n\n"));
}

#[test]
fn scenarios_of_50_seeds_pass_every_check_on_the_model() {
    smoke("scenario", |d| scenario(d, &Config::default()), false);
}

#[test]
fn swarm_scenarios_of_50_seeds_pass_every_check_on_the_model() {
    smoke("swarm", swarm_scenario, false);
}

#[test]
fn smith_pairs_of_50_seeds_run_on_the_model() {
    smoke("pair", pair, true);
}

/// The engine the model is compared with in process (wasmi only runs in
/// workers: see the module documentation).
const ENGINES: [&str; 2] = ["model", "wasmtime"];

fn proptest_config() -> ProptestConfig {
    ProptestConfig {
        cases: 32,
        // SourceParallel, proptest's default, needs a lib.rs beside the
        // test's folder; the same file, named directly (tests run in the
        // crate's folder):
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct("proptest-regressions/gen.txt"))),
        rng_seed: RngSeed::Fixed(0x10c4_57e9),
        max_shrink_iters: 512,
        ..ProptestConfig::default()
    }
}

fn agree(s: &Scenario) -> std::result::Result<(), TestCaseError> {
    let text = s.to_wast();
    let r = run(&ENGINES, "generated.wast", &text);
    prop_assert!(r.divergences.is_empty(), "{:#?}\n{text}", r.divergences);
    Ok(())
}

proptest! {
    #![proptest_config(proptest_config())]

    #[test]
    fn scenarios_agree_in_lockstep(data in input()) {
        let mut u = Unstructured::new(&data);
        let mut cfg = Config::swarm(&mut u).expect("any input is a configuration");
        // wasmtime compiles every module with Cranelift, slowly in a debug
        // build: fewer modules per case keep the property within its time.
        cfg.max_steps = cfg.max_steps.min(30);
        cfg.max_sides = cfg.max_sides.min(6);
        // A known wasmtime bug: its copy-on-write memory image shows a
        // side's own data segments before a trapping element segment
        // (corpus/findings/wasmtime-data-before-trapping-elem.wast).
        cfg.own_memory = false;
        agree(&generate::scenario(&mut u, &cfg).expect("the generator takes any input"))?;
    }

    #[test]
    fn smith_pairs_agree_in_lockstep(data in input()) {
        agree(&pair(&data))?;
    }
}

#[test]
fn every_linking_event_occurs_in_200_default_scenarios() {
    let mut total = generate::Events::default();
    for seed in 0..200 {
        let s = scenario(&bytes(1000 + seed), &Config::default());
        dump(&format!("events-{seed}.wast"), &s.to_wast());
        total.add(&s.events());
    }
    eprintln!("events over 200 scenarios:\n{total}");
    let missing: Vec<&str> = total.counts().into_iter().filter(|(_, n)| *n == 0).map(|(e, _)| e).collect();
    assert!(missing.is_empty(), "never generated: {missing:?}\n{total}");
}

/// The module definitions of a script, by name, with their text.
fn definitions(text: &str) -> Vec<(String, String)> {
    let mut defs = Vec::new();
    let mut current: Option<(String, String)> = None;
    for line in text.lines() {
        if line.starts_with('(') || line.starts_with(";;") {
            defs.extend(current.take());
        }
        if let Some(rest) = line.strip_prefix("(module definition $") {
            let name = rest.split_whitespace().next().unwrap_or_default().to_string();
            current = Some((name, String::new()));
        }
        if let Some((_, body)) = &mut current {
            body.push_str(line);
            body.push('\n');
        }
    }
    defs.extend(current);
    defs
}

/// The pool: 64 cases of one epoch of seed 7 (as `lockstep fuzz` makes
/// them, a pool per epoch) draw libraries, and a library has the same
/// text in every case that draws it, so that a worker compiles it once;
/// each case regenerates identically; fresh sides still appear. Pairs draw
/// their sides from the pool too.
#[test]
fn cases_of_an_epoch_share_library_texts_and_regenerate_identically() {
    let (mut texts, mut reused) = (HashMap::new(), 0);
    let mut total = generate::Events::default();
    for n in 0..64u64 {
        let pool = Pool::for_case(7, n);
        let data = bytes(5000 + n);
        let make = || generate::scenario_in(&mut Unstructured::new(&data), &Config::default(), &pool).unwrap();
        let s = make();
        let text = s.to_wast();
        assert_eq!(text, make().to_wast(), "case {n} is one script");
        total.add(&s.events());
        for (name, body) in definitions(&text).into_iter().filter(|(name, _)| name.starts_with("lib")) {
            match texts.get(&name) {
                Some(first) => {
                    assert_eq!(first, &body, "library {name} differs between cases of one epoch");
                    reused += 1;
                }
                None => {
                    texts.insert(name, body);
                }
            }
        }
    }
    eprintln!("pool: {} libraries, {reused} drawn again; {}", texts.len(), total.compact());
    assert!(reused > texts.len(), "libraries are drawn again and again: {reused} of {}", texts.len());
    assert!(total.pool_library > total.fresh_side / 2 && total.fresh_side > 0, "{total}");
    let (mut sides, mut from_pool) = (HashMap::new(), 0);
    for n in 0..32u64 {
        let pool = Pool::for_case(7, n);
        let s = generate::smith_pair_in(&mut Unstructured::new(&bytes(6000 + n)), &PairConfig::default(), &pool)
            .expect("wasm-smith takes any input");
        from_pool += s.events().pool_library.min(1);
        for (_, body) in definitions(&s.to_wast()) {
            *sides.entry(body).or_insert(0) += 1;
        }
    }
    assert!(from_pool > 0 && sides.values().any(|n| *n > 1), "pairs draw their sides from the pool: {from_pool}");
}

/// Floats (on by default): NaNs with payloads and signs move across
/// instances in generated scenarios, and the comparison is exact there: a
/// faulty engine that flips a payload bit of every NaN it returns is caught
/// (only in outcomes: it changes nothing else), and wasmtime agrees with the
/// model on 50 seeds, arithmetic NaNs included (x86 chooses other ones).
#[test]
fn generated_nan_moves_catch_a_flipped_payload_and_wasmtime_agrees() {
    let cfg = Config { own_memory: false, ..Config::default() };
    assert!(cfg.floats, "floats are on by default");
    let mut total = generate::Events::default();
    let (mut caught, mut disagree) = (Vec::new(), Vec::new());
    for seed in 0..50 {
        let s = scenario(&bytes(3000 + seed), &cfg);
        let text = s.to_wast();
        dump(&format!("floats-{seed}.wast"), &text);
        total.add(&s.events());
        let r = run(&ENGINES, "floats.wast", &text);
        if !r.divergences.is_empty() {
            disagree.push(format!("seed {seed}: {:#?}\n{text}", r.divergences));
        }
        if s.events().float_nan_move > 0 {
            let r = run(&["model", "faulty-nan-payload"], "floats.wast", &text);
            let signatures: Vec<&str> =
                r.divergences.iter().flat_map(|d| &d.diffs).map(|d| d.signature.as_str()).collect();
            assert!(
                signatures.iter().all(|s| *s == "outcome:returned/returned"),
                "seed {seed}: the faulty engine only changes returned NaNs: {signatures:?}"
            );
            if !signatures.is_empty() {
                caught.push(seed);
            }
        }
    }
    eprintln!("floats: 50 seeds, {}; flipped payloads caught in seeds {caught:?}", total.compact());
    assert!(total.float_nan_move > 0 && total.float_nan_chosen > 0, "{total}");
    assert!(!caught.is_empty(), "no generated NaN move caught the flipped payload");
    assert!(disagree.is_empty(), "{} of 50 seeds:\n{}", disagree.len(), disagree.join("\n\n"));
}

/// wasmi, isolated in workers, over 8 scenarios: a divergence is accepted
/// only if a known finding has its signature (as campaign triage decides),
/// and only at or after a step that left a failed instance's function in
/// the table (the one known wasmi bug these scenarios can reach).
#[test]
fn wasmi_in_workers_shows_only_the_known_crash() {
    let dir = std::env::temp_dir().join(format!("lockstep-gen-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let iso = Isolation { exe: env!("CARGO_BIN_EXE_lockstep").into(), timeout: Duration::from_secs(120) };
    let findings = lockstep::report::Known::load(lockstep::report::DEFAULT_KNOWN).unwrap();
    let mut unknown = Vec::new();
    let mut known = 0;
    for seed in 0..8 {
        let s = scenario(&bytes(2000 + seed), &Config::default());
        let path = dir.join(format!("wasmi-{seed}.wast"));
        std::fs::write(&path, s.to_wast()).unwrap();
        let r = run_isolated(&iso, path.to_str().unwrap(), &["model".into(), "wasmi".into()]);
        let left = s.first_left_behind_line();
        for d in &r.divergences {
            if findings.finding_by_signature(d).is_some() && left.is_some_and(|l| d.line >= l) {
                known += 1;
            } else {
                unknown.push(format!(
                    "seed {seed}, line {} (left behind from {left:?}): {}\n{}",
                    d.line,
                    d.what("model"),
                    s.to_wast()
                ));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!("wasmi: {known} known crashes in 8 scenarios");
    assert!(unknown.is_empty(), "{}", unknown.join("\n\n"));
}
