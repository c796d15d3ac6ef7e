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
    assert!(out.contains("did not finish the step within 2s"), "{out}");
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
fn trace_says_why_a_host_call_answered_minus_one() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/scenarios/dlsym-missing-export.wast");
    let out = lockstep_cmd(&["trace", script]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("= -1 ;; handle 0 exports no function \"nope\""), "{stdout}");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/scenarios/dlopen-unknown-name.wast");
    let stdout = String::from_utf8_lossy(&lockstep_cmd(&["trace", script]).stdout).into_owned();
    assert!(stdout.contains("= -1 ;; no module definition named \"nosuch\""), "{stdout}");
    // A name read from memory is shown escaped: a NUL byte as `\0`.
    assert!(stdout.contains("no module definition named \"side\\0\""), "{stdout}");
}

#[test]
fn a_lasting_difference_is_reported_once_and_listed_where_it_still_differs() {
    let script = "(module (table (export \"t\") 1 funcref) (func $f) (elem (i32.const 0) $f) (func (export \"g\")))\n\
                  (invoke \"g\")\n\
                  (invoke \"g\")\n";
    let r = lockstep_run(&["model", "faulty-drop-table-write"], script);
    assert_eq!(r.divergences.len(), 1, "{r:?}");
    let d = &r.divergences[0];
    assert_eq!((d.line, d.diffs[0].signature.as_str()), (1, "table:#0.0:slots"));
    assert_eq!(d.still_differs, [2, 3]);
}

#[test]
fn a_write_beyond_a_steps_reach_is_caught_at_the_end_of_the_script() {
    // Instance #1 reaches nothing of #0, so its steps do not observe #0's
    // memory; the engine's write there shows when every object is observed.
    let script = "(module $a (memory (export \"m\") 1))\n\
                  (module $b (func (export \"f\")))\n\
                  (invoke $b \"f\")\n\
                  (invoke $b \"f\")\n";
    let r = lockstep_run(&["model", "faulty-wild-write"], script);
    assert_eq!(r.divergences.len(), 1, "{r:?}");
    let d = &r.divergences[0];
    assert_eq!((d.line, d.diffs[0].signature.as_str()), (4, "memory:#0.0:bytes"));
    assert!(d.directive.contains("the end of the script"), "{}", d.directive);
    // Where #0 is in reach (b imports a's memory), the step that wrote shows it.
    let linked = "(module $a (memory (export \"m\") 1))\n\
                  (register \"a\" $a)\n\
                  (module $b (import \"a\" \"m\" (memory 1)) (func (export \"f\")))\n\
                  (invoke $b \"f\")\n\
                  (invoke $b \"f\")\n";
    let r = lockstep_run(&["model", "faulty-wild-write"], linked);
    assert_eq!(r.divergences.len(), 1, "{r:?}");
    assert_eq!((r.divergences[0].line, r.divergences[0].still_differs.as_slice()), (4, &[5][..]));
}

#[test]
fn a_step_observes_what_it_can_reach() {
    use lockstep::engine::{Engine, ImportRef, Scope, model::ModelEngine};
    let mut m = ModelEngine::default();
    let module = |m: &mut ModelEngine, wat: &str| m.compile(&wat::parse_str(wat).unwrap()).unwrap();
    // #0 and #1 alone; #2 imports #0's table and puts #1's function in it.
    let lone = module(&mut m, "(module (memory 1) (func (export \"f\")) (table (export \"t\") 2 funcref))");
    for _ in 0..2 {
        assert!(m.instantiate(lone, &[]).0.is_some());
    }
    let set = module(
        &mut m,
        "(module (import \"a\" \"t\" (table 2 funcref)) (import \"b\" \"f\" (func $f)) (elem (i32.const 1) $f))",
    );
    let held = |v: &[u32], since| Scope::Held { instances: v.iter().copied().collect(), since };
    assert_eq!(m.reach(&[0]), held(&[0], 2));
    let imports =
        [ImportRef::Export { instance: 0, name: "t".into() }, ImportRef::Export { instance: 1, name: "f".into() }];
    assert!(m.instantiate(set, &imports).0.is_some());
    // #0's table now holds a function of #1: a call through it can reach #1.
    assert_eq!(m.reach(&[0]), held(&[0, 1], 3));
    assert_eq!(m.reach(&[1]), held(&[1], 3));
}

#[test]
fn the_time_limit_is_per_step_and_a_slow_harness_is_no_engines_hang() {
    let dir = std::env::temp_dir().join(format!("lockstep-slow-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let three = dir.join("three-steps.wast");
    std::fs::write(&three, "(module (func (export \"f\")))\n(invoke \"f\")\n(invoke \"f\")\n(invoke \"f\")\n").unwrap();
    let run = |engines: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_lockstep"))
            .args(["wast", "--timeout", "1", "--engines", engines])
            .arg(&three)
            .output()
            .expect("lockstep runs");
        (String::from_utf8_lossy(&out.stdout).into_owned(), out.status.success())
    };
    // 1.8 s in all, 0.6 s per step: within a 1 s limit per step.
    let (out, ok) = run("model,faulty-slow");
    assert!(ok, "{out}");
    // Two slow engines make each step 1.2 s, each with the reference 0.6 s:
    // the harness's time, not a hang of either engine.
    let (out, ok) = run("model,faulty-slow,faulty-slow");
    assert!(!ok, "{out}");
    assert!(out.contains("not attributed to an engine"), "{out}");
    assert!(!out.contains("DIVERGENCE"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_result_the_script_asserts_passes_when_a_shared_limit_chose_it() {
    // The spec lets memory.grow fail; the shared limits (1024 pages) refuse
    // this grow in every engine, and the script asserts that -1.
    let grow = "(module (memory 1) (func (export \"grow\") (param i32) (result i32) (memory.grow (local.get 0))))\n";
    let r = lockstep_run(
        &["model", "wasmi", "wasmtime"],
        &format!("{grow}(assert_return (invoke \"grow\" (i32.const 60000)) (i32.const -1))\n"),
    );
    assert_eq!((r.passed, r.failed.len(), r.skipped.len()), (2, 0, 0), "{r:?}");
    assert!(r.lanes.iter().all(|l| l.stop.is_none() && l.compared == 2), "{r:?}");
    // Where the script asserts the grow succeeds, the limit decided: skipped, with the limit named.
    let r = lockstep_run(
        &["model", "wasmi", "wasmtime"],
        &format!("{grow}(assert_return (invoke \"grow\" (i32.const 60000)) (i32.const 1))\n"),
    );
    assert_eq!((r.passed, r.failed.len()), (1, 0), "{r:?}");
    assert!(r.skipped[0].what.contains("memory growth to 60001 pages exceeds the limit of 1024 pages"), "{r:?}");
}

#[test]
fn a_report_names_a_dlopened_instance_and_why_a_host_call_failed() {
    let example = include_str!("../../book/examples/dlopen-dlsym-call.wast");
    let r = lockstep_run(&["model", "faulty-stale-global"], example);
    // `square` counts its calls in a global of the library dlopen loaded at line 27.
    let d = r.divergences.iter().find(|d| d.line == 28).expect("the dropped global write is caught");
    assert_eq!(d.diffs[0].object, "global 0 of instance #1 ($libsq, loaded by lockstep.dlopen at line 27)");
    assert_eq!(d.still_differs, [30, 32], "{r:?}");
    assert_eq!(r.divergences.len(), 1, "{r:?}");
    // Host calls that answered differently: both answers, with the reason for -1.
    use lockstep::compare::{Floats, host_calls};
    use lockstep::engine::{HostCall, Observation, Val};
    let call = |r: i32, why: Option<&str>| HostCall {
        func: "lockstep.dlopen".into(),
        args: vec![Val::I32(0), Val::I32(3)],
        results: vec![Val::I32(r as u32)],
        observation: Observation::default(),
        why: why.map(String::from),
        opened: None,
    };
    let reason = "\"lib\" imports env.memory: the caller exports no \"memory\"";
    let diffs = host_calls(&[call(-1, Some(reason))], &[call(0, None)], &|o| format!("{o:?}"), &Floats::Exact);
    assert_eq!(diffs[0].signature, "host-call:lockstep.dlopen:results");
    assert_eq!(diffs[0].reference, format!("(i32.const -1) ({reason})"));
    assert_eq!(diffs[0].engine, "(i32.const 0)");
}

#[test]
fn features_past_wasm_2_are_named_in_plain_words() {
    let cases = [
        ("(module (memory 1) (memory 1))", "multi-memory is past Wasm 2.0"),
        (
            "(module (memory 1) (memory 1) (func (drop (i32.load 1 (i32.const 0)))))",
            "the bytes decode with multi_memory, past Wasm 2.0",
        ),
        ("(module (func $f (return_call $f)))", "return_call (an operator of the tail_call proposal)"),
        ("(module (global i32 (i32.add (i32.const 1) (i32.const 2))))", "found i32.add (extended constant"),
        ("(module (tag))", "a tag section (of the exceptions proposal)"),
    ];
    for (module, named) in cases {
        let r = lockstep_run(&["model"], module);
        let what = &r.failed.first().unwrap_or_else(|| panic!("{module}: {r:?}")).what;
        assert!(what.contains(named), "{module}: {what}");
        // No Rust `Debug` text: no struct braces, no `Variant(` forms.
        assert!(!what.contains('{') && !what.contains("Section(") && !what.contains("IBinop"), "{what}");
    }
}
