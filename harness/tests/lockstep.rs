//! The lockstep runner can fail, and cannot be taken down: engines that are
//! wrong on purpose (`engine::faulty`) must be caught, and engines that
//! abort, panic or hang must become findings while the run goes on. Each
//! accounting rule has a test here that would fail if it masked a difference.

use std::process::Command;

use lockstep::engine;
use lockstep::limits::Limits;
use lockstep::wast::{ScriptReport, StopKind, run_script};

const SHARED_TABLE: &str = include_str!("scripts/shared-table.wast");
const NAN_MOVES: &str = include_str!("scripts/nan-moves.wast");

fn lockstep_run(engines: &[&str], script: &str) -> ScriptReport {
    let engines = engines.iter().map(|e| engine::make(e, Limits::default()).unwrap()).collect();
    run_script("script.wast", script, engines)
}

#[test]
fn the_model_agrees_with_itself() {
    let r = lockstep_run(&["model", "model"], SHARED_TABLE);
    assert!(r.ok(), "{r:?}");
    assert!(r.divergences.is_empty());
    assert_eq!(r.lanes[1].compared, 4, "every step compared: {r:?}");
}

#[test]
fn a_dropped_table_write_is_a_divergence_naming_the_slot() {
    let r = lockstep_run(&["model", "faulty-drop-table-write"], SHARED_TABLE);
    let d = r.divergences.first().expect("the dropped write is caught");
    assert_eq!(d.engine, "faulty-drop-table-write");
    let diff = &d.diffs[0];
    assert_eq!(diff.object, "table 0 of instance #0 ($main)");
    assert_eq!(diff.signature, "table:#0.0:slots");
    assert_eq!(diff.reference, "slot 1 (ref.func func 0 of instance #1)");
    assert_eq!(diff.engine, "slot 1 (ref.null func)");
    assert!(d.directive.starts_with("(module $side"), "{}", d.directive);
    // The later step leaves the table as it was: the difference is not reported again.
    assert_eq!(r.divergences.len(), 1, "{r:?}");
}

#[test]
fn a_wrong_result_and_the_state_it_leaves_are_one_divergence_and_a_failed_check() {
    let r = lockstep_run(&["model", "faulty-wrong-result"], SHARED_TABLE);
    let d = r.divergences.iter().find(|d| d.line == 11).expect("the wrong result is caught");
    assert_eq!(d.diffs[0].signature, "outcome:returned/returned");
    assert_eq!(
        (d.diffs[0].reference.as_str(), d.diffs[0].engine.as_str()),
        ("returned (i32.const 7)", "returned (i32.const 8)")
    );
    let failed = r.failed.iter().find(|n| n.line == 11).expect("the check fails");
    assert_eq!(failed.engines, ["faulty-wrong-result"]);
}

#[test]
fn an_engine_that_fails_to_link_stops_alone() {
    let r = lockstep_run(&["model", "faulty-link-error", "model"], SHARED_TABLE);
    let stop = r.lanes[1].stop.as_ref().expect("the faulty engine stops");
    assert_eq!((stop.line, stop.kind), (2, StopKind::Diverged));
    // The other engine runs and is compared on every step.
    assert!(r.lanes[2].stop.is_none());
    assert_eq!(r.lanes[2].compared, 4, "{r:?}");
    assert_eq!(r.passed, 3, "the checks go on for the others: {r:?}");
    assert!(r.divergences.iter().all(|d| d.engine == "faulty-link-error"), "{r:?}");
}

#[test]
fn nans_are_exact_where_the_spec_fixes_them() {
    let r = lockstep_run(&["model", "faulty-nan-payload"], NAN_MOVES);
    let lines: Vec<usize> = r.divergences.iter().map(|d| d.line).collect();
    assert_eq!(
        lines,
        [7, 12],
        "the move (line 7) and the canonical rule (line 12) diverge, the arithmetic NaN (line 9) may differ: {r:?}"
    );
    assert_eq!(r.divergences[0].diffs[0].signature, "outcome:returned/returned");
}

fn run_binary(args: &[&str], scripts: &[&str]) -> (String, bool) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/scripts");
    let out = Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .args(args)
        .args(scripts.iter().map(|s| format!("{dir}/{s}")))
        .output()
        .expect("lockstep runs");
    (String::from_utf8_lossy(&out.stdout).into_owned(), out.status.success())
}

#[test]
fn an_engine_that_aborts_is_a_finding_and_the_run_goes_on() {
    let (out, ok) = run_binary(&["wast", "--engines", "model,faulty-abort"], &["shared-table.wast", "no-calls.wast"]);
    assert!(!ok, "{out}");
    assert!(out.contains("DIVERGENCE at line 11: faulty-abort differs from the reference model"), "{out}");
    assert!(out.contains("crashed: killed by SIGABRT"), "{out}");
    // Every check counted once: the step it crashed at is the reference's pass.
    assert!(out.contains("shared-table.wast: 4 passed, 0 failed, 0 skipped; 1 divergences"), "{out}");
    assert!(out.contains("faulty-abort: 3 steps compared; crashed at line 11"), "{out}");
    assert!(out.contains("ok   ") && out.contains("no-calls.wast: 1 passed"), "{out}");
}

#[test]
fn a_divergence_before_a_crash_of_the_same_engine_is_kept() {
    let engines = "model,faulty-wrong-then-abort,faulty-wrong-result";
    let (out, _) = run_binary(&["wast", "--json", "/dev/stdout", "--engines", engines], &["two-steps.wast"]);
    let json = out.lines().skip_while(|l| !l.starts_with('{')).collect::<Vec<_>>().join("\n");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {out}"));
    let r: ScriptReport = serde_json::from_value(v["scripts"][0].clone()).unwrap();
    let of = |e: &str| r.divergences.iter().filter(|d| d.engine == e).map(|d| d.line).collect::<Vec<_>>();
    // Wrong at line 6, then crashed at line 7: both shown.
    assert_eq!(of("faulty-wrong-then-abort"), [6, 7], "{r:?}");
    assert!(r.divergences.iter().any(|d| d.line == 7 && d.is_crash()), "{r:?}");
    // The other faulty engine is compared on every step, after the crash too.
    assert_eq!(of("faulty-wrong-result"), [6, 7, 8], "{r:?}");
    assert_eq!(r.lanes[2].compared, 4, "{r:?}");
    assert_eq!(r.lanes[1].stop.as_ref().map(|s| (s.line, s.kind)), Some((7, StopKind::Crashed)));
}

#[test]
fn an_engine_that_panics_is_a_finding() {
    let (out, _) = run_binary(&["wast", "--engines", "model,faulty-panic"], &["shared-table.wast"]);
    assert!(out.contains("faulty-panic differs from the reference model"), "{out}");
    assert!(out.contains("a deliberate panic"), "{out}");
}

#[test]
fn an_engine_that_hangs_is_a_finding_after_the_timeout() {
    let (out, _) = run_binary(
        &["wast", "--timeout", "2", "--engines", "model,faulty-hang"],
        &["shared-table.wast", "no-calls.wast"],
    );
    assert!(out.contains("did not finish within 2s"), "{out}");
    assert!(out.contains("no-calls.wast: 1 passed"), "{out}");
}

#[test]
fn every_check_is_counted_once_for_what_it_is() {
    let r = lockstep_run(&["model"], include_str!("scripts/honest-counts.wast"));
    let lines = |notes: &[lockstep::wast::Note]| notes.iter().map(|n| n.line).collect::<Vec<_>>();
    assert_eq!(r.passed, 3, "{r:?}");
    assert_eq!(lines(&r.by_text), [4], "{r:?}");
    assert_eq!(lines(&r.failed), [8, 14, 16], "{r:?}");
    assert_eq!(lines(&r.skipped), [19, 20, 21, 22], "{r:?}");
    assert!(r.skipped[2].what.contains("imports from a skipped module"), "{r:?}");
}

fn lockstep_cmd(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_lockstep")).args(args).output().expect("lockstep runs")
}

#[test]
fn a_run_that_checks_nothing_is_not_green() {
    let empty = std::env::temp_dir().join(format!("lockstep-empty-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    let out = lockstep_cmd(&["wast", empty.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("no .wast scripts there"), "{out:?}");
    // A script whose only module the reference skips checks nothing.
    let simd = empty.join("simd.wast");
    std::fs::write(&simd, "(module (func (result v128) (v128.const i64x2 0 0)))\n").unwrap();
    let out = lockstep_cmd(&["wast", simd.to_str().unwrap()]);
    let _ = std::fs::remove_dir_all(&empty);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("nothing was checked"), "{stdout}");
}

#[test]
fn an_unwritable_json_path_fails_before_the_run() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/scripts");
    let out = lockstep_cmd(&["wast", "--json", "/nonexistent/dir/report.json", dir]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(out.stdout.is_empty(), "no script ran: {}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn a_closed_output_pipe_ends_the_run_quietly() {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .args(["wast", "--engines", "model", "spec:wasm-v2"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("lockstep runs");
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    // The reader is gone (as with `| head -1`): no panic, no backtrace.
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_ne!(out.status.code(), Some(101), "{stderr}");
}

#[test]
fn trace_rejects_what_it_cannot_run() {
    let dir = std::env::temp_dir().join(format!("lockstep-trace-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    };
    // A syntax error and an empty script: errors (exit 2) with a message.
    for (name, text) in [("syntax.wast", "(module (func (i32.const)"), ("empty.wast", "")] {
        let out = lockstep_cmd(&["trace", &write(name, text)]);
        assert_eq!(out.status.code(), Some(2), "{name}: {out:?}");
        assert!(!out.stderr.is_empty(), "{name}: a message");
    }
    // A malformed binary module: the model's failed check, exit 1.
    let out = lockstep_cmd(&["trace", &write("malformed.wast", "(module binary \"\\00asm\\02\")")]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains(";; failed line 1"), "{out:?}");
}

#[test]
fn trace_says_why_a_host_call_answered_minus_one() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/scenarios/dlsym-missing-export.wast");
    let out = lockstep_cmd(&["trace", script]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("= -1 ;; handle 0 exports no function \"nope\""), "{stdout}");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/scenarios/dlopen-unknown-name.wast");
    let stdout = String::from_utf8_lossy(&lockstep_cmd(&["trace", script]).stdout).into_owned();
    assert!(stdout.contains("= -1 ;; no module definition named \"nosuch\""), "{stdout}");
}
