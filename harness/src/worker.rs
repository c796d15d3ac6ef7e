//! Isolation: every script runs in a worker process, so that an engine that
//! panics, aborts, crashes (SIGSEGV) or hangs cannot take the runner down.
//!
//! The worker is this same executable (`lockstep worker …`). Before each
//! step it writes to stdout what the script found since the last step
//! (`delta {json}`) and the step's line (`line N`); at the end, its report
//! (`report {json}`). So a crash keeps every check and divergence before it.
//!
//! A worker that crashes or hangs is placed (the step that was running) and
//! attributed (rerun with the reference alone, then with the reference and
//! each other engine; a crash no single engine reproduces is retried, then
//! reported as theirs together, never the reference's). Then the whole
//! script is run again with that engine halted at that step
//! ([`crate::wast::Halt`]): it is compared on every step before, the others
//! on every step, and the crash is its divergence at that step. A further
//! crash repeats this, once per engine at most.

use std::io::{BufRead, Read};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use wait_timeout::ChildExt;

use crate::limits::Limits;
use serde::{Deserialize, Serialize};

use crate::engine::{CacheLimit, ModuleCache};
use crate::wast::{Divergence, Halt, Lane, Note, ScriptReport};
use crate::{engine, scripts};

/// Runs in the worker: one script, by name, on the named engines, with the
/// given halts. A module the script compiles twice is compiled once per
/// engine, within `cache` ([`ModuleCache`]).
pub fn worker_main(script: &str, engines: &[String], halts: &[Halt], cache: CacheLimit) -> Result<(), String> {
    let mut found = scripts::resolve(script)?;
    let [script] = &mut found[..] else { return Err(format!("{script} is not one script")) };
    let limits = Limits::default();
    let cache = ModuleCache::new(cache);
    let engines = engines.iter().map(|e| engine::make_cached(e, limits, &cache)).collect::<Result<Vec<_>, _>>()?;
    let mut seen = Delta::default();
    let report = crate::wast::run_script_with(&script.name, &script.text, engines, halts, &mut |so_far, line| {
        let delta = Delta::since(&seen, so_far);
        println!("delta {}", serde_json::to_string(&delta).expect("a delta serialises"));
        seen = std::mem::take(&mut seen).plus(&delta);
        println!("line {line}");
        let _ = std::io::Write::flush(&mut std::io::stdout());
    });
    println!("report {}", serde_json::to_string(&report).map_err(|e| e.to_string())?);
    Ok(())
}

/// Runs in a streaming worker: scripts come in on stdin, one per line as a
/// JSON string; each one's report goes out as `report {json}`. Fresh engines
/// per script; the process lives for many, which is what makes a campaign
/// fast, and so does its one cache of compiled modules within `cache`
/// ([`ModuleCache`]): a module an earlier script compiled is not compiled
/// again. At the end of stdin, the cache's counts go to stderr.
///
/// Before each step, the divergences found since the last one go out as
/// `divergence {json}`, one a line, then the step's line as `line N`: a
/// campaign whose worker dies keeps what the case found before, knows the
/// step, and can triage the crash without rerunning the case (one short
/// write per step; each line is flushed as it is written).
pub fn stream_main(engines: &[String], cache: CacheLimit) -> Result<(), String> {
    let limits = Limits::default();
    let cache = ModuleCache::new(cache);
    for line in std::io::stdin().lines() {
        let line = line.map_err(|e| e.to_string())?;
        let text: String = serde_json::from_str(&line).map_err(|e| format!("bad case: {e}"))?;
        let start = std::time::Instant::now();
        let fresh = engines.iter().map(|e| engine::make_cached(e, limits, &cache)).collect::<Result<Vec<_>, _>>()?;
        let mut sent = 0;
        let mut report = crate::wast::run_script_with("case", &text, fresh, &[], &mut |so_far, line| {
            for d in &so_far.divergences[sent..] {
                println!("divergence {}", serde_json::to_string(d).expect("a divergence serialises"));
            }
            sent = so_far.divergences.len();
            println!("line {line}");
        });
        report.time.setup = start.elapsed().as_secs_f64() - report.time.total();
        println!("report {}", serde_json::to_string(&report).map_err(|e| e.to_string())?);
        let _ = std::io::Write::flush(&mut std::io::stdout());
    }
    let (stats, (kept, bytes)) = (cache.stats(), cache.size());
    eprintln!(
        "module cache: {} hits, {} misses, {} evicted; {kept} modules of {bytes} wasm bytes kept",
        stats.hits, stats.misses, stats.evictions
    );
    Ok(())
}

/// What a script found between two steps (and the lanes as they are).
#[derive(Debug, Default, Serialize, Deserialize)]
struct Delta {
    passed: usize,
    failed: Vec<Note>,
    skipped: Vec<Note>,
    by_text: Vec<Note>,
    not_reached: Vec<Note>,
    divergences: Vec<Divergence>,
    lanes: Vec<Lane>,
}

impl Delta {
    /// What `r` has beyond `seen` (which counts what was already sent).
    fn since(seen: &Delta, r: &ScriptReport) -> Delta {
        Delta {
            passed: r.passed - seen.passed,
            failed: r.failed[seen.failed.len()..].to_vec(),
            skipped: r.skipped[seen.skipped.len()..].to_vec(),
            by_text: r.by_text[seen.by_text.len()..].to_vec(),
            not_reached: r.not_reached[seen.not_reached.len()..].to_vec(),
            divergences: r.divergences[seen.divergences.len()..].to_vec(),
            lanes: r.lanes.clone(),
        }
    }

    fn plus(mut self, d: &Delta) -> Delta {
        self.passed += d.passed;
        self.failed.extend(d.failed.iter().cloned());
        self.skipped.extend(d.skipped.iter().cloned());
        self.by_text.extend(d.by_text.iter().cloned());
        self.not_reached.extend(d.not_reached.iter().cloned());
        self.divergences.extend(d.divergences.iter().cloned());
        self.lanes = d.lanes.clone();
        self
    }
}

/// How a worker ended, when it did not end with a report.
struct Crash {
    /// The line of the step that was running.
    line: usize,
    what: String,
    signature: String,
    /// What the worker had found before.
    before: Delta,
}

/// How to run workers: which `lockstep` executable, and for how long.
#[derive(Clone, Debug)]
pub struct Isolation {
    pub exe: PathBuf,
    pub timeout: Duration,
}

impl Isolation {
    /// Workers of this same executable.
    pub fn this_exe(timeout: Duration) -> Result<Isolation, String> {
        let exe = std::env::current_exe().map_err(|e| format!("cannot find this executable: {e}"))?;
        Ok(Isolation { exe, timeout })
    }
}

/// How many times a crash that no single engine reproduced is tried again.
const ATTRIBUTION_TRIES: usize = 3;

/// Runs `script` on `engines` in a worker; see the module doc for crashes.
pub fn run_isolated(iso: &Isolation, script: &str, engines: &[String]) -> ScriptReport {
    let mut halts: Vec<Halt> = Vec::new();
    loop {
        let crash = match spawn(iso, script, engines, &halts) {
            Ok(report) => return report,
            Err(crash) => crash,
        };
        if halts.len() >= engines.len() {
            return partial(script, engines, &halts, crash);
        }
        let culprit = attribute(iso, script, engines, &halts, crash.line);
        if crash.signature == HANG && culprit.contains('+') {
            // No engine with the reference alone runs out of time: the time
            // is the harness's (or the sum of all), not an engine's hang.
            return harness_timeout(script, engines, crash);
        }
        if culprit.is_empty() || halts.iter().any(|h| h.line == crash.line && h.engine == culprit) {
            // No progress: report what the worker found before, with the crash.
            return partial(script, engines, &halts, crash);
        }
        halts.push(Halt { engine: culprit, line: crash.line, what: crash.what, signature: crash.signature });
    }
}

/// Which engine crashes: the reference alone, or the reference with one
/// other engine not halted yet; tried again if none does, then all the
/// others. A crash anywhere in the script counts (undefined behaviour may
/// show at another step in another process); if that step is earlier, the
/// rerun with the halt crashes there, and is placed again.
fn attribute(iso: &Isolation, script: &str, engines: &[String], halts: &[Halt], line: usize) -> String {
    // Only an engine halted before the crash's step is out of suspicion: one
    // halted at a later step (undefined behaviour that crashed later in
    // another run) still ran this one.
    let halted = |e: &String| halts.iter().any(|h| h.line <= line && h.engine.split('+').any(|n| n == e));
    let live: Vec<&String> = engines[1..].iter().filter(|e| !halted(e)).collect();
    if engines.len() == 1 || spawn(iso, script, &engines[..1], &[]).is_err() {
        return engines[0].clone();
    }
    for _ in 0..ATTRIBUTION_TRIES {
        for e in &live {
            let pair = [engines[0].clone(), (*e).clone()];
            if spawn(iso, script, &pair, &[]).is_err() {
                return (*e).clone();
            }
        }
    }
    live.iter().map(|e| e.as_str()).collect::<Vec<_>>().join("+")
}

/// The signature of a step that ran out of time.
pub(crate) const HANG: &str = "hang";

/// The report of a worker that ran out of time when every engine ran and
/// in no rerun of the reference with one engine: what it found up to then,
/// and a failed check of the harness, no engine's divergence.
fn harness_timeout(script: &str, engines: &[String], crash: Crash) -> ScriptReport {
    let mut report = found_before(script, engines, crash.before);
    let what = format!(
        "the harness {} with every engine running, and with the reference and any one engine it did not: \
         not attributed to an engine (a slow step; raise --timeout)",
        crash.what
    );
    report.failed.push(Note { line: crash.line, what, engines: vec![] });
    report
}

/// What a worker found before it ended without a report.
fn found_before(script: &str, engines: &[String], before: Delta) -> ScriptReport {
    let Delta { passed, failed, skipped, by_text, not_reached, divergences, lanes } = before;
    ScriptReport {
        name: script.to_string(),
        engines: engines.to_vec(),
        passed,
        failed,
        skipped,
        by_text,
        not_reached,
        divergences,
        lanes,
        time: Default::default(),
    }
}

/// The report of a worker whose crash could not be halted (it crashed where
/// it had crashed before): what it found up to then, and the crash as a
/// divergence of the engines not halted yet, the reference excepted (its
/// own crash would have been attributed to it alone).
fn partial(script: &str, engines: &[String], halts: &[Halt], crash: Crash) -> ScriptReport {
    let halted = |e: &String| halts.iter().any(|h| h.engine.split('+').any(|n| n == e));
    let suspects: Vec<String> = engines[1..].iter().filter(|e| !halted(e)).cloned().collect();
    let suspects = if suspects.is_empty() { engines[1..].to_vec() } else { suspects };
    let text = scripts::resolve(script).ok().and_then(|s| s.into_iter().next()).map(|s| s.text).unwrap_or_default();
    let directive = crate::wast::directive_at_line(&text, crash.line);
    let mut report = found_before(script, engines, crash.before);
    report.divergences.push(Divergence {
        line: crash.line,
        directive,
        engine: suspects.join("+"),
        diffs: vec![crate::compare::Diff {
            object: "the worker".into(),
            signature: crash.signature,
            reference: "completed the step".into(),
            engine: format!("{} again, with the engines that crashed before halted", crash.what),
        }],
        still_differs: vec![],
    });
    report.failed.push(Note {
        line: crash.line,
        what: format!("the worker {}", crash.what),
        engines: engines.to_vec(),
    });
    report
}

fn spawn(iso: &Isolation, script: &str, engines: &[String], halts: &[Halt]) -> Result<ScriptReport, Crash> {
    let timeout = iso.timeout;
    let halts = serde_json::to_string(halts).expect("halts serialise");
    let mut child = Command::new(&iso.exe)
        .args(["worker", "--engines", &engines.join(","), "--halts", &halts, script])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Crash {
            line: 0,
            what: format!("cannot start a worker: {e}"),
            signature: "crash".into(),
            before: Delta::default(),
        })?;
    // Drain both pipes while waiting, so that a chatty worker cannot block;
    // stdout line by line, since the time limit is per step: every step
    // starts with a line (`line N`) that restarts the clock.
    let stdout = child.stdout.take().expect("piped");
    let mut stderr = child.stderr.take().expect("piped");
    let (lines_tx, lines) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        for l in std::io::BufReader::new(stdout).lines() {
            let Ok(l) = l else { break };
            if lines_tx.send(l).is_err() {
                break;
            }
        }
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let mut out = Vec::new();
    let mut hung = false;
    loop {
        match lines.recv_timeout(timeout) {
            Ok(l) => out.push(l),
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                hung = true;
                break;
            }
        }
    }
    let status = match child.wait_timeout(if hung { Duration::ZERO } else { timeout }) {
        Ok(Some(status)) => Some(status),
        Ok(None) | Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            None
        }
    };
    // The pipe closes with the process: the reader ends.
    let _ = reader.join();
    out.extend(lines.try_iter());
    let err = err.join().unwrap_or_default();
    let mut line = 0;
    let mut before = Delta::default();
    for l in &out {
        if let Some(n) = l.strip_prefix("line ") {
            line = n.parse().unwrap_or(line);
        } else if let Some(json) = l.strip_prefix("delta ")
            && let Ok(d) = serde_json::from_str::<Delta>(json)
        {
            before = before.plus(&d);
        } else if let Some(json) = l.strip_prefix("report ")
            && status.is_some_and(|s| s.success())
        {
            return serde_json::from_str(json).map_err(|e| Crash {
                line,
                what: format!("the worker's report is unreadable: {e}"),
                signature: "crash".into(),
                before: Delta::default(),
            });
        }
    }
    let (what, signature) = match status {
        None => (format!("did not finish the step within {}s (a hang)", timeout.as_secs()), HANG.to_string()),
        Some(s) => describe_exit(s, &err),
    };
    Err(Crash { line, what, signature, before })
}

/// What a worker's exit says, and its signature: `crash`, whatever the
/// signal or panic (the same engine bug kills a debug build with SIGABRT,
/// where a check cannot unwind, and a release build with SIGSEGV).
pub(crate) fn describe_exit(status: std::process::ExitStatus, stderr: &str) -> (String, String) {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            let name = match sig {
                4 => "SIGILL",
                6 => "SIGABRT",
                7 => "SIGBUS",
                8 => "SIGFPE",
                11 => "SIGSEGV",
                _ => "a signal",
            };
            return (format!("crashed: killed by {name} ({sig})"), "crash".into());
        }
    }
    // A panic: its location line and its message, the line after.
    let lines: Vec<&str> = stderr.lines().collect();
    match lines.iter().position(|l| l.contains("panicked")) {
        Some(i) => (format!("crashed: {status}: {}", lines[i..(i + 2).min(lines.len())].join(" ")), "crash".into()),
        None => (format!("crashed: {status}"), "crash".into()),
    }
}
