//! Isolation: every script runs in a worker process, so that an engine that
//! panics, aborts, crashes (SIGSEGV) or hangs cannot take the runner down.
//! A crash or a time-out becomes a divergence of the engine it is attributed
//! to, placed at the step that was running, and the run goes on.
//!
//! The worker is this same executable (`lockstep worker …`). Before each
//! step it writes to stdout what the script found since the last step
//! (`delta {json}`) and the step's line (`line N`); at the end, its report
//! (`report {json}`). So a crash keeps every check and divergence before it.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use wait_timeout::ChildExt;

use crate::limits::Limits;
use serde::{Deserialize, Serialize};

use crate::wast::{Divergence, Note, ScriptReport};
use crate::{engine, scripts};

/// Runs in the worker: one script, by name, on the named engines.
pub fn worker_main(script: &str, engines: &[String]) -> Result<(), String> {
    let mut found = scripts::resolve(script)?;
    let [script] = &mut found[..] else { return Err(format!("{script} is not one script")) };
    let limits = Limits::default();
    let engines = engines.iter().map(|e| engine::make(e, limits)).collect::<Result<Vec<_>, _>>()?;
    let mut seen = Delta::default();
    let report = crate::wast::run_script_with(&script.name, &script.text, engines, &mut |so_far, line| {
        let delta = Delta::since(&seen, so_far);
        if !delta.is_empty() {
            println!("delta {}", serde_json::to_string(&delta).expect("a delta serialises"));
            seen = std::mem::take(&mut seen).plus(&delta);
        }
        println!("line {line}");
        let _ = std::io::Write::flush(&mut std::io::stdout());
    });
    println!("report {}", serde_json::to_string(&report).map_err(|e| e.to_string())?);
    Ok(())
}

/// Runs in a streaming worker: scripts come in on stdin, one per line as a
/// JSON string; each one's report goes out as `report {json}`. Fresh engines
/// per script; the process lives for many, which is what makes a campaign fast.
pub fn stream_main(engines: &[String]) -> Result<(), String> {
    let limits = Limits::default();
    for line in std::io::stdin().lines() {
        let line = line.map_err(|e| e.to_string())?;
        let text: String = serde_json::from_str(&line).map_err(|e| format!("bad case: {e}"))?;
        let start = std::time::Instant::now();
        let fresh = engines.iter().map(|e| engine::make(e, limits)).collect::<Result<Vec<_>, _>>()?;
        let mut report = crate::wast::run_script("case", &text, fresh);
        report.time.setup = start.elapsed().as_secs_f64() - report.time.total();
        println!("report {}", serde_json::to_string(&report).map_err(|e| e.to_string())?);
        let _ = std::io::Write::flush(&mut std::io::stdout());
    }
    Ok(())
}

/// What a script found between two steps.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Delta {
    passed: usize,
    failed: Vec<Note>,
    skipped: Vec<Note>,
    divergences: Vec<Divergence>,
    poisoned: Option<Note>,
}

impl Delta {
    /// What `r` has beyond `seen` (which counts what was already sent).
    fn since(seen: &Delta, r: &ScriptReport) -> Delta {
        Delta {
            passed: r.passed - seen.passed,
            failed: r.failed[seen.failed.len()..].to_vec(),
            skipped: r.skipped[seen.skipped.len()..].to_vec(),
            divergences: r.divergences[seen.divergences.len()..].to_vec(),
            poisoned: if seen.poisoned.is_none() { r.poisoned.clone() } else { None },
        }
    }

    fn is_empty(&self) -> bool {
        self.passed == 0
            && self.failed.is_empty()
            && self.skipped.is_empty()
            && self.divergences.is_empty()
            && self.poisoned.is_none()
    }

    fn plus(mut self, d: &Delta) -> Delta {
        self.passed += d.passed;
        self.failed.extend(d.failed.iter().cloned());
        self.skipped.extend(d.skipped.iter().cloned());
        self.divergences.extend(d.divergences.iter().cloned());
        self.poisoned = self.poisoned.or_else(|| d.poisoned.clone());
        self
    }
}

/// How a worker ended, when it did not end with a report.
struct Crash {
    /// The line of the step that was running.
    line: usize,
    what: String,
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

/// Runs `script` on `engines` in a worker.
pub fn run_isolated(iso: &Isolation, script: &str, engines: &[String]) -> ScriptReport {
    match spawn(iso, script, engines) {
        Ok(report) => report,
        Err(crash) => crashed(iso, script, engines, crash),
    }
}

fn spawn(iso: &Isolation, script: &str, engines: &[String]) -> Result<ScriptReport, Crash> {
    let timeout = iso.timeout;
    let mut child = Command::new(&iso.exe)
        .args(["worker", "--engines", &engines.join(","), script])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Crash { line: 0, what: format!("cannot start a worker: {e}"), before: Delta::default() })?;
    // Drain both pipes while waiting, so that a chatty worker cannot block.
    let mut stdout = child.stdout.take().expect("piped");
    let mut stderr = child.stderr.take().expect("piped");
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let status = match child.wait_timeout(timeout) {
        Ok(Some(status)) => Some(status),
        Ok(None) | Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            None
        }
    };
    let (out, err) = (out.join().unwrap_or_default(), err.join().unwrap_or_default());
    let mut line = 0;
    let mut before = Delta::default();
    for l in out.lines() {
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
                before: Delta::default(),
            });
        }
    }
    let what = match status {
        None => format!("did not finish within {}s (a hang)", timeout.as_secs()),
        Some(s) => describe_exit(s, &err),
    };
    Err(Crash { line, what, before })
}

fn describe_exit(status: std::process::ExitStatus, stderr: &str) -> String {
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
            return format!("crashed: killed by {name} ({sig})");
        }
    }
    // A panic: its location line and its message, the line after.
    let lines: Vec<&str> = stderr.lines().collect();
    let panic = match lines.iter().position(|l| l.contains("panicked")) {
        Some(i) => format!(": {}", lines[i..(i + 2).min(lines.len())].join(" ")),
        None => String::new(),
    };
    format!("crashed: {status}{panic}")
}

/// A crashed worker: find which engine crashes (the reference alone, or
/// the reference with each other engine), report it as that engine's
/// divergence, and compare the others over the whole script without it.
fn crashed(iso: &Isolation, script: &str, engines: &[String], crash: Crash) -> ScriptReport {
    let text = scripts::resolve(script).ok().and_then(|s| s.into_iter().next()).map(|s| s.text).unwrap_or_default();
    let directive = text.lines().nth(crash.line.saturating_sub(1)).unwrap_or("").trim().to_string();
    let mut culprits = Vec::new();
    if engines.len() > 1 {
        if spawn(iso, script, &engines[..1]).is_err() {
            culprits.push(engines[0].clone());
        } else {
            for e in &engines[1..] {
                if spawn(iso, script, &[engines[0].clone(), e.clone()]).is_err() {
                    culprits.push(e.clone());
                }
            }
        }
    }
    let survivors: Vec<String> = engines.iter().filter(|e| !culprits.contains(e)).cloned().collect();
    let rest = (survivors.len() > 1 && survivors.len() < engines.len() && !culprits.is_empty())
        .then(|| spawn(iso, script, &survivors).ok())
        .flatten();
    let mut report = match rest {
        // The engines that did not crash, compared over the whole script.
        // Its times are per survivor: not comparable with a full run's, so dropped.
        Some(r) => ScriptReport { engines: engines.to_vec(), time: Default::default(), ..r },
        None => {
            let Delta { passed, failed, skipped, divergences, poisoned } = crash.before;
            let name = script.to_string();
            let engines = engines.to_vec();
            ScriptReport { name, engines, passed, failed, skipped, divergences, poisoned, time: Default::default() }
        }
    };
    if culprits.is_empty() {
        culprits.push(engines.join("+"));
    }
    for engine in culprits {
        report.divergences.push(Divergence {
            line: crash.line,
            directive: directive.clone(),
            engine,
            what: crash.what.clone(),
        });
    }
    report.failed.push(Note { line: crash.line, what: format!("the worker {}", crash.what) });
    report
}
