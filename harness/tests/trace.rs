//! `lockstep trace` as a user runs it: the binary, its output and exit code.
//! The trace streams (its first lines arrive while the model still runs),
//! `--max-steps` bounds what it prints and says what it left out, and what
//! cannot be traced is an error with a message.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// A loop the model runs until its fuel (200 million steps) ends it.
const ENDLESS: &str = "(module (func (export \"f\") (loop (br 0))))\n(invoke \"f\")\n";

/// A loop of 3 steps a turn (plus a few), 20,000 turns: about 100,000 steps.
const LONG: &str = r#"(module
  (func (export "f") (result i32) (local i32)
    (loop
      (br_if 0 (i32.ne (local.tee 0 (i32.add (local.get 0) (i32.const 1))) (i32.const 20000))))
    (local.get 0)))
(assert_return (invoke "f") (i32.const 20000))
"#;

/// `text` written to a file of its own, for one test.
fn script(test: &str, text: &str) -> PathBuf {
    // Cargo's scratch directory for integration tests, under target/.
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("trace");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{test}.wast"));
    std::fs::write(&path, text).unwrap();
    path
}

fn trace(args: &[&str], script: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lockstep")).arg("trace").args(args).arg(script).output().expect("lockstep runs")
}

/// Lines of a trace that are steps (`  <instr> ;; <place>, pc N; …`).
fn step_lines(stdout: &str) -> usize {
    stdout.lines().filter(|l| l.contains(", pc ") && l.contains("; operands [")).count()
}

#[test]
fn max_steps_prints_that_many_and_counts_the_rest() {
    let out = trace(&["--max-steps", "1000"], &script("max-steps", LONG));
    let stdout = String::from_utf8_lossy(&out.stdout);
    // The check passes: a bounded trace changes what is printed, not the run.
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    // 1 step of instantiation, then 1000 of the invocation.
    assert_eq!(step_lines(&stdout), 1 + 1000, "{stdout}");
    assert!(stdout.contains("--max-steps 1000 reached"), "{stdout}");
    let total = stdout
        .lines()
        .find_map(|l| l.strip_prefix("  invoke \"f\" of instance #0: "))
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or_else(|| panic!("the invocation's line gives its steps: {stdout}"));
    assert!(total > 60_000, "{total}");
    let more = format!("  … and {} more steps, not shown (--max-steps 1000)", total - 1000);
    assert!(stdout.contains(&more), "{more:?} in {stdout}");
    assert!(stdout.contains(", returned (i32.const 20000)"), "{stdout}");
}

#[test]
fn max_steps_zero_prints_only_directives_and_outcomes() {
    let out = trace(&["--max-steps", "0"], &script("max-steps-zero", LONG));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert_eq!(step_lines(&stdout), 0, "{stdout}");
    assert!(stdout.contains(";; line 6: (assert_return"), "{stdout}");
    assert!(stdout.contains("  instantiate as instance #0: 1 steps, returned nothing"), "{stdout}");
    assert!(stdout.contains("  invoke \"f\" of instance #0: "), "{stdout}");
    assert!(!stdout.contains("more steps, not shown"), "{stdout}");
}

/// Runs `lockstep trace ARGS SCRIPT` until its output contains `until`
/// (at most 60 s), then kills it: the output until then, and whether the
/// process was still running when `until` came.
fn stream_until(args: &[&str], script: &Path, until: &'static str) -> (String, bool) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .arg("trace")
        .args(args)
        .arg(script)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("lockstep runs");
    let mut stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    // A thread reads, so that a trace that does not stream fails the test
    // in 60 s instead of waiting for the 200 million steps.
    std::thread::spawn(move || {
        let (mut seen, mut buf) = (Vec::new(), [0; 4096]);
        while !String::from_utf8_lossy(&seen).contains(until) {
            match stdout.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => seen.extend_from_slice(&buf[..n]),
            }
        }
        let _ = tx.send(String::from_utf8_lossy(&seen).into_owned());
    });
    let seen = rx.recv_timeout(Duration::from_secs(60));
    let running = child.try_wait().unwrap().is_none();
    let _ = child.kill();
    let _ = child.wait();
    (seen.unwrap_or_else(|_| panic!("no {until:?} within 60 s")), running)
}

#[test]
fn an_endless_loop_streams_its_first_steps_at_once() {
    // Past the instantiation, into the loop's steps.
    let (seen, running) = stream_until(&[], &script("endless", ENDLESS), "    br 0 ");
    assert!(seen.contains("    br 0 "), "{seen}");
    // Still running: the steps came as they were taken, not at the end.
    assert!(running, "the run had ended: nothing was streamed");
}

#[test]
fn an_endless_loop_under_max_steps_shows_its_steps_before_it_ends() {
    // The trace is flushed when the limit is reached: the notice arrives
    // while the model goes on counting.
    let notice = "--max-steps 1000 reached";
    let (seen, running) = stream_until(&["--max-steps", "1000"], &script("endless-max-steps", ENDLESS), notice);
    assert!(seen.contains(notice), "{seen}");
    assert_eq!(step_lines(&seen), 1 + 1000, "{seen}");
    assert!(running, "the run had ended before its steps were shown");
}

#[test]
fn what_cannot_be_traced_is_an_error_with_a_message() {
    // Not parsed (an empty file does not parse as a script): exit 2, a
    // message, no trace.
    for (name, text, message) in [
        ("syntax", "(module (func (i32.const)", "cannot parse: expected a i32"),
        ("empty", "", "cannot parse: expected at least one module field"),
    ] {
        let out = trace(&[], &script(name, text));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {out:?}");
        assert!(stderr.contains(message), "{name}: {stderr}");
        assert!(out.stdout.is_empty(), "{name}: {out:?}");
    }
    // A malformed binary module the script expects to instantiate: the
    // model's check fails, exit 1, the failure printed.
    let out = trace(&[], &script("malformed", "(module binary \"\\00asm\\02\")"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(stdout.contains(";; failed line 1"), "{stdout}");
    // A script that is not there.
    let out = trace(&[], Path::new("/nonexistent/x.wast"));
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(!out.stderr.is_empty(), "{out:?}");
}

#[test]
fn host_calls_are_printed_with_their_answers_before_the_outcome() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../book/examples/dlopen-dlsym-call.wast");
    let out = trace(&[], Path::new(path));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let lines: Vec<&str> = stdout.lines().collect();
    let at = |s: &str| lines.iter().position(|l| l.starts_with(s)).unwrap_or_else(|| panic!("{s:?} in {stdout}"));
    let (dlopen, dlsym) = (at("  host call lockstep.dlopen(0 5) = 0"), at("  host call lockstep.dlsym(0 16 6) = 1"));
    let outcome = at("  invoke \"load\" of instance #0: 13 steps, returned (i32.const 1)");
    assert!(dlopen < dlsym && dlsym < outcome, "{stdout}");
    // The library's instantiation runs inside the dlopen call: its steps are
    // among the caller's, one level deeper.
    let nested = at("      i32.const 32                 ;; instantiation, pc 0");
    assert!(nested < dlopen, "{stdout}");
}
