//! Isolation: every script runs in a worker process, so that an engine that
//! panics, aborts, crashes (SIGSEGV) or hangs cannot take the runner down.
//! A crash or a time-out becomes a divergence of the engine it is attributed
//! to, placed at the step that was running, and the run goes on.
//!
//! The worker is this same executable (`lockstep worker …`): it writes
//! `line N` to stderr before each step and its report as JSON to stdout.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use wait_timeout::ChildExt;

use crate::limits::Limits;
use crate::wast::{Divergence, Note, ScriptReport};
use crate::{engine, scripts};

/// Runs in the worker: one script, by name, on the named engines.
pub fn worker_main(script: &str, engines: &[String]) -> Result<(), String> {
    let mut found = scripts::resolve(script)?;
    let [script] = &mut found[..] else { return Err(format!("{script} is not one script")) };
    let limits = Limits::default();
    let engines = engines.iter().map(|e| engine::make(e, limits)).collect::<Result<Vec<_>, _>>()?;
    let report = crate::wast::run_script_with(&script.name, &script.text, engines, &mut |line| {
        eprintln!("line {line}");
    });
    println!("{}", serde_json::to_string(&report).map_err(|e| e.to_string())?);
    Ok(())
}

/// How a worker ended, when it did not end with a report.
struct Crash {
    /// The line of the step that was running.
    line: usize,
    what: String,
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
        .map_err(|e| Crash { line: 0, what: format!("cannot start a worker: {e}") })?;
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
    let line = err.lines().filter_map(|l| l.strip_prefix("line ")?.parse().ok()).last().unwrap_or(0);
    let what = match status {
        None => format!("did not finish within {}s (a hang)", timeout.as_secs()),
        Some(s) if s.success() => {
            return serde_json::from_str(out.trim())
                .map_err(|e| Crash { line, what: format!("the worker's report is unreadable: {e}") });
        }
        Some(s) => describe_exit(s, &err),
    };
    Err(Crash { line, what })
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
    let panic = stderr.lines().find(|l| l.contains("panicked")).unwrap_or("");
    format!("crashed: exit status {status} {panic}")
}

/// A crashed worker: find which engine crashes (the reference alone, or
/// the reference with each other engine) and report it as its divergence.
fn crashed(iso: &Isolation, script: &str, engines: &[String], crash: Crash) -> ScriptReport {
    let mut report = ScriptReport { name: script.to_string(), engines: engines.to_vec(), ..ScriptReport::default() };
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
