//! The lockstep runner can fail, and cannot be taken down: engines that are
//! wrong on purpose (`engine::faulty`) must be caught, and engines that
//! abort, panic or hang must become findings while the run goes on.

use std::process::Command;

use lockstep::engine;
use lockstep::limits::Limits;
use lockstep::wast::{ScriptReport, run_script};

const SHARED_TABLE: &str = include_str!("scripts/shared-table.wast");

fn lockstep_run(engines: &[&str], script: &str) -> ScriptReport {
    let engines = engines.iter().map(|e| engine::make(e, Limits::default()).unwrap()).collect();
    run_script("shared-table.wast", script, engines)
}

#[test]
fn the_model_agrees_with_itself() {
    let r = lockstep_run(&["model", "model"], SHARED_TABLE);
    assert!(r.ok(), "{r:?}");
    assert!(r.divergences.is_empty());
}

#[test]
fn a_dropped_table_write_is_a_divergence_naming_the_slot() {
    let r = lockstep_run(&["model", "faulty-drop-table-write"], SHARED_TABLE);
    let d = r.divergences.first().expect("the dropped write is caught");
    assert_eq!(d.engine, "faulty-drop-table-write");
    assert!(d.what.contains("table 0 of instance #0 ($main)"), "{}", d.what);
    assert!(d.what.contains("slot 1: (ref.func func 0 of instance #1)"), "{}", d.what);
    assert!(d.directive.starts_with("(module $side"), "{}", d.directive);
}

#[test]
fn a_wrong_result_is_a_divergence_and_a_failed_check() {
    let r = lockstep_run(&["model", "faulty-wrong-result"], SHARED_TABLE);
    assert!(r.divergences.iter().any(|d| d.what.contains("(i32.const 7)  vs  returned (i32.const 8)")), "{r:?}");
    assert!(r.failed.iter().any(|n| n.what.starts_with("faulty-wrong-result: expected")), "{r:?}");
}

fn run_binary(args: &[&str]) -> (String, bool) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/scripts");
    let out = Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .args(args)
        .arg(format!("{dir}/shared-table.wast"))
        .arg(format!("{dir}/no-calls.wast"))
        .output()
        .expect("lockstep runs");
    (String::from_utf8_lossy(&out.stdout).into_owned(), out.status.success())
}

#[test]
fn an_engine_that_aborts_is_a_finding_and_the_run_goes_on() {
    let (out, ok) = run_binary(&["wast", "--engines", "model,faulty-abort"]);
    assert!(!ok, "{out}");
    assert!(out.contains("DIVERGENCE at line 11 (faulty-abort vs the reference model)"), "{out}");
    assert!(out.contains("crashed: killed by SIGABRT"), "{out}");
    // The checks before the crash are kept, and the next script still runs.
    assert!(out.contains("shared-table.wast: 3 passed, 1 failed"), "{out}");
    assert!(out.contains("ok   ") && out.contains("no-calls.wast: 1 passed"), "{out}");
}

#[test]
fn an_engine_that_panics_is_a_finding() {
    let (out, _) = run_binary(&["wast", "--engines", "model,faulty-panic"]);
    assert!(out.contains("(faulty-panic vs the reference model)"), "{out}");
    assert!(out.contains("a deliberate panic"), "{out}");
}

#[test]
fn an_engine_that_hangs_is_a_finding_after_the_timeout() {
    let (out, _) = run_binary(&["wast", "--timeout", "2", "--engines", "model,faulty-hang"]);
    assert!(out.contains("did not finish within 2s"), "{out}");
    assert!(out.contains("no-calls.wast: 1 passed"), "{out}");
}
