//! `lockstep fuzz`: a campaign on one machine. Each job owns a persistent
//! worker process (`lockstep worker --stream`) and feeds it generated
//! scenarios, one `.wast` script per case; a worker that crashes or hangs
//! is replaced, and the case it was running is a finding. Divergences are
//! minimised (steps first, by removing directives while the signature
//! stays), deduplicated by signature, and saved atomically into the output
//! folder as `.wast` + `.json` the moment they are found, so a campaign
//! killed mid-run loses nothing it had found.
//!
//! Past one machine, run the libFuzzer targets in `fuzz/` with `-fork`
//! (see `fuzz/README.md`); this command is the stable-Rust campaign.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arbitrary::Unstructured;
use serde::Serialize;

use crate::r#gen::{self, Events};
use crate::report::{Known, blank_numbers};
use crate::shrink;
use crate::wast::{Divergence, ScriptReport, Timing};
use crate::worker::{self, Isolation};

/// Failed tries in a row before `wasm-shrink` deems a module minimal: each
/// try reruns the script, so this bounds the time a finding takes to save.
const SHRINK_ATTEMPTS: u32 = 100;

/// The most runs minimising one finding may take (then it keeps what it
/// has): a bound on the time a finding holds up its job, by count.
const MINIMISE_RUNS: usize = 400;

/// Which generator makes the cases.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Generator {
    /// The linking-aware scenario generator ([`gen::scenario`](crate::r#gen::scenario)), swarm-configured.
    Scenario,
    /// wasm-smith main/side pairs ([`gen::smith_pair`](crate::r#gen::smith_pair)).
    Pair,
    /// Alternating, case by case.
    Both,
}

/// A campaign's settings.
#[derive(Clone, Debug)]
pub struct Options {
    pub seconds: u64,
    pub seed: u64,
    pub jobs: usize,
    pub out: PathBuf,
    pub engines: Vec<String>,
    pub generator: Generator,
    /// A case that runs longer than this is a hang.
    pub case_timeout: Duration,
    /// Known findings: a divergence whose signature one of them has is
    /// counted as that finding, not saved again ([`Known::finding_by_signature`]).
    pub known: Known,
}

/// A campaign's running totals.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Stats {
    pub cases: u64,
    pub agree: u64,
    pub poisoned: u64,
    /// Why engines stopped without diverging, by engine and named reason
    /// (numbers blanked): a poison is not a verdict, but one engine's limit
    /// where the others ran on is worth a look, so every one is shown.
    pub poisons: std::collections::BTreeMap<String, u64>,
    pub diverged: u64,
    /// Diverging cases whose every divergence has a known finding's signature.
    pub known: u64,
    pub findings: u64,
    /// The findings saved, in order.
    pub saved: Vec<Saved>,
    /// Seconds spent generating cases, running them (worker side, with the
    /// phases of [`Stats::time`]), rerunning crashed or hung ones isolated,
    /// and minimising findings.
    pub generate_secs: f64,
    pub run_secs: f64,
    pub isolate_secs: f64,
    pub minimise_secs: f64,
    /// Cases whose worker crashed or hung, and had to be replaced.
    pub restarts: u64,
    #[serde(skip)]
    pub time: Timing,
    #[serde(skip)]
    pub events: Events,
}

/// A finding saved by a campaign: its signature, the known finding whose
/// signature it has (if any), and its file.
#[derive(Debug, Clone, Serialize)]
pub struct Saved {
    pub signature: String,
    pub known: Option<String>,
    pub file: PathBuf,
}

/// The bytes of case `n` of a campaign seeded with `seed` (SplitMix64): a
/// case is reproducible from `(seed, n)` alone.
pub fn case_bytes(seed: u64, n: u64, len: usize) -> Vec<u8> {
    let mut x = seed ^ n.wrapping_mul(0xd1b5_4a32_d192_ed03);
    (0..len)
        .map(|_| {
            x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            (z ^ (z >> 31)) as u8
        })
        .collect()
}

/// A generated case: its script, its events, and from which line on a
/// function left behind by a failed instantiation is in main's table.
pub struct Case {
    pub text: String,
    pub events: Events,
    pub left_behind_from: Option<usize>,
}

/// Case `n` as a script, with its events.
pub fn case(generator: Generator, seed: u64, n: u64) -> Option<Case> {
    let data = case_bytes(seed, n, 4096);
    let mut u = Unstructured::new(&data);
    let pair = match generator {
        Generator::Scenario => false,
        Generator::Pair => true,
        Generator::Both => n % 2 == 1,
    };
    let scenario = if pair {
        r#gen::smith_pair(&mut u, &r#gen::PairConfig::default()).ok()?
    } else {
        let cfg = r#gen::Config::swarm(&mut u).ok()?;
        r#gen::scenario(&mut u, &cfg).ok()?
    };
    let text = format!(";; case {n} of seed {seed}\n{}", scenario.to_wast());
    // One line was added above the generator's script.
    let left_behind_from = scenario.first_left_behind_line().map(|l| l + 1);
    Some(Case { text, events: scenario.events(), left_behind_from })
}

/// Where a campaign's time went (seconds summed over jobs): generating,
/// running (each engine's phases, the runner's parsing and comparing, and
/// what is left: worker round trips and reading reports), isolating
/// crashed cases and minimising findings.
pub fn time_table(stats: &Stats, engines: &[String]) -> String {
    use crate::wast::Phase;
    use std::fmt::Write as _;
    let t = &stats.time;
    let mut out = String::new();
    let per_case = |secs: f64| 1e3 * secs / stats.cases.max(1) as f64;
    let _ = writeln!(out, "time (seconds summed over jobs; ms per case):");
    let _ = writeln!(
        out,
        "  {:<16}{:>10}{:>10}",
        "generate",
        format!("{:.1}", stats.generate_secs),
        format!("{:.2}", per_case(stats.generate_secs))
    );
    let _ = write!(out, "  {:<16}", "");
    for phase in Phase::ALL {
        let _ = write!(out, "{:>13}", phase.name());
    }
    let _ = writeln!(out);
    let mut engine_total = 0.0;
    for (name, phases) in engines.iter().zip(&t.engines) {
        let _ = write!(out, "  {name:<16}");
        for secs in phases {
            let _ = write!(out, "{:>13}", format!("{secs:.1} ({:.2})", per_case(*secs)));
        }
        engine_total += phases.iter().sum::<f64>();
        let _ = writeln!(out);
    }
    let rest = stats.run_secs - engine_total - t.parse - t.compare - t.setup;
    // What is left is the round trip to the worker, and restarting it (a
    // new process, a new wasmtime engine) after a crash.
    let runner = [("parse", t.parse), ("compare", t.compare), ("setup", t.setup), ("workers", rest)];
    for (what, secs) in runner {
        let _ = writeln!(out, "  {what:<16}{:>10.1}{:>10.2}", secs, per_case(secs));
    }
    let _ = writeln!(out, "  {:<16}{:>10.1}  ({} cases rerun isolated)", "isolate", stats.isolate_secs, stats.restarts);
    let _ = writeln!(out, "  {:<16}{:>10.1}  ({} findings)", "minimise", stats.minimise_secs, stats.findings);
    if !stats.poisons.is_empty() {
        let _ = writeln!(out, "engines stopped without diverging (cases):");
        for (reason, n) in &stats.poisons {
            let _ = writeln!(out, "  {n:>8}  {reason}");
        }
    }
    let busy = stats.generate_secs + stats.run_secs;
    let all = busy + stats.isolate_secs + stats.minimise_secs;
    let rate = |secs: f64| stats.cases as f64 / secs.max(1e-9);
    let _ = writeln!(
        out,
        "throughput: {:.1} cases/s per core generating and running; {:.1} counting isolation and minimising",
        rate(busy),
        rate(all)
    );
    out
}

/// What makes two divergences the same finding: the engine, the step's
/// kind, and the signature of every object that differs (sorted, numbers
/// blanked: generated cases number their instances differently). A
/// different object or a different outcome kind is a different finding; one
/// bug seen with other values is one.
pub fn signature(d: &Divergence) -> String {
    let mut sigs: Vec<String> = d.diffs.iter().map(|x| blank_numbers(&x.signature)).collect();
    sigs.sort();
    sigs.dedup();
    let directive = d.directive.trim_start_matches('(').split_whitespace().next().unwrap_or("");
    format!("{} | {directive} | {}", d.engine, sigs.join(" "))
}

/// A persistent worker: cases in on stdin, reports out on stdout.
struct Streamer {
    child: Child,
    stdin: ChildStdin,
    replies: mpsc::Receiver<String>,
}

impl Streamer {
    fn start(exe: &Path, engines: &[String]) -> std::io::Result<Streamer> {
        let mut child = Command::new(exe)
            .args(["worker", "--stream", "--engines", &engines.join(","), "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let stdin = child.stdin.take().expect("piped");
        let stdout: ChildStdout = child.stdout.take().expect("piped");
        let (tx, replies) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(json) = line.strip_prefix("report ")
                    && tx.send(json.to_string()).is_err()
                {
                    break;
                }
            }
        });
        Ok(Streamer { child, stdin, replies })
    }

    /// Runs one case; `None` if the worker died or hung on it.
    fn run(&mut self, text: &str, timeout: Duration) -> Option<ScriptReport> {
        let line = serde_json::to_string(text).expect("a string serialises");
        writeln!(self.stdin, "{line}").ok()?;
        self.stdin.flush().ok()?;
        let reply = self.replies.recv_timeout(timeout).ok()?;
        serde_json::from_str(&reply).ok()
    }
}

impl Drop for Streamer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a campaign, calling `progress` about once a second.
pub fn run(opts: &Options, progress: &mut dyn FnMut(&Stats, f64)) -> Result<Stats, String> {
    std::fs::create_dir_all(&opts.out).map_err(|e| format!("{}: {e}", opts.out.display()))?;
    let iso = Isolation::this_exe(opts.case_timeout)?;
    let shared = Arc::new(Mutex::new((Stats::default(), HashSet::<String>::new())));
    let start = Instant::now();
    let deadline = start + Duration::from_secs(opts.seconds);
    let mut handles = Vec::new();
    for job in 0..opts.jobs.max(1) {
        let (opts, iso, shared) = (opts.clone(), iso.clone(), shared.clone());
        handles.push(std::thread::spawn(move || job_loop(job as u64, &opts, &iso, &shared, deadline)));
    }
    while handles.iter().any(|h| !h.is_finished()) {
        std::thread::sleep(Duration::from_millis(250));
        let stats = shared.lock().expect("stats lock").0.clone();
        progress(&stats, start.elapsed().as_secs_f64());
    }
    for h in handles {
        h.join().map_err(|_| "a campaign job panicked".to_string())??;
    }
    let stats = shared.lock().expect("stats lock").0.clone();
    Ok(stats)
}

type Shared = Mutex<(Stats, HashSet<String>)>;

fn job_loop(job: u64, opts: &Options, iso: &Isolation, shared: &Shared, deadline: Instant) -> Result<(), String> {
    let mut streamer = Streamer::start(&iso.exe, &opts.engines).map_err(|e| format!("cannot start a worker: {e}"))?;
    let mut n = job;
    while Instant::now() < deadline {
        let t0 = Instant::now();
        let Some(this) = case(opts.generator, opts.seed, n) else {
            n += opts.jobs as u64;
            continue;
        };
        let text = &this.text;
        let generated = t0.elapsed().as_secs_f64();
        let (report, isolated) = run_case(&mut streamer, iso, opts, job, text)?;
        let ran = t0.elapsed().as_secs_f64() - generated - isolated;
        let new_signatures: Vec<(String, Option<String>)> = {
            let mut guard = shared.lock().expect("stats lock");
            let (stats, seen) = &mut *guard;
            stats.cases += 1;
            stats.generate_secs += generated;
            stats.run_secs += ran;
            stats.isolate_secs += isolated;
            stats.restarts += u64::from(isolated > 0.0);
            stats.time.add(&report.time);
            stats.events.add(&this.events);
            for (i, (engine, lane)) in report.engines.iter().zip(&report.lanes).enumerate() {
                use crate::wast::StopKind::*;
                let Some(stop) = &lane.stop else { continue };
                // Crashes and divergences are findings; a reference's stop is every lane's.
                if matches!(stop.kind, Poisoned | Unsupported) || (stop.kind == ReferenceStopped && i == 0) {
                    let reason = format!("{engine}: {} ({})", stop.kind.name(), blank_numbers(&stop.what));
                    *stats.poisons.entry(reason).or_default() += 1;
                }
            }
            match &report.divergences[..] {
                [] if report.poisoned().is_some() => {
                    stats.poisoned += 1;
                    vec![]
                }
                [] => {
                    stats.agree += 1;
                    vec![]
                }
                ds => {
                    stats.diverged += 1;
                    stats.known += u64::from(ds.iter().all(|d| opts.known.finding_by_signature(d).is_some()));
                    // Every signature is saved once, a known finding's too
                    // (marked): a second bug with a known signature is then
                    // still in front of a person once per campaign.
                    ds.iter()
                        .filter_map(|d| {
                            let sig = signature(d);
                            let known = opts.known.finding_by_signature(d).map(str::to_string);
                            seen.insert(sig.clone()).then_some((sig, known))
                        })
                        .collect()
                }
            }
        };
        for (sig, known) in new_signatures {
            let t1 = Instant::now();
            let file = save_finding(opts, iso, job, text, &report, &sig, known.as_deref())?;
            let mut guard = shared.lock().expect("stats lock");
            guard.0.findings += 1;
            guard.0.saved.push(Saved { signature: sig, known, file });
            guard.0.minimise_secs += t1.elapsed().as_secs_f64();
        }
        n += opts.jobs as u64;
    }
    Ok(())
}

/// Whether a candidate is still a scenario the reference runs as written:
/// every failed check is other engines' only, none is the reference's or
/// the script's own (an assertion that no longer holds, a module removed
/// while still used), and the reference reached every step.
fn still_valid(r: &ScriptReport, engines: &[String]) -> bool {
    r.not_reached.is_empty() && r.failed.iter().all(|n| !n.engines.is_empty() && !n.engines.contains(&engines[0]))
}

/// Runs one case on `streamer`; a case that crashes or hangs it is rerun
/// isolated, which places and attributes the crash, and the worker is
/// replaced. Also returns the seconds spent isolating.
fn run_case(
    streamer: &mut Streamer,
    iso: &Isolation,
    opts: &Options,
    job: u64,
    text: &str,
) -> Result<(ScriptReport, f64), String> {
    if let Some(r) = streamer.run(text, opts.case_timeout) {
        return Ok((r, 0.0));
    }
    let t0 = Instant::now();
    *streamer = Streamer::start(&iso.exe, &opts.engines).map_err(|e| format!("cannot restart a worker: {e}"))?;
    let path = opts.out.join(format!(".case-{job}.wast"));
    std::fs::write(&path, text).map_err(|e| e.to_string())?;
    // Attribution (and its retries) is the worker module's.
    let r = worker::run_isolated(iso, &path.display().to_string(), &opts.engines);
    let _ = std::fs::remove_file(&path);
    Ok((r, t0.elapsed().as_secs_f64()))
}

/// Minimises a diverging script and saves it, atomically, as
/// `finding-<hash>.wast` and `.json` in the output folder.
fn save_finding(
    opts: &Options,
    iso: &Isolation,
    job: u64,
    text: &str,
    report: &ScriptReport,
    sig: &str,
    known: Option<&str>,
) -> Result<PathBuf, String> {
    let mut streamer = Streamer::start(&iso.exe, &opts.engines).map_err(|e| format!("cannot start a worker: {e}"))?;
    let mut runs = 0;
    let mut same = |candidate: &str| -> bool {
        runs += 1;
        runs <= MINIMISE_RUNS
            && run_case(&mut streamer, iso, opts, job, candidate)
                .is_ok_and(|(r, _)| r.divergences.iter().any(|d| signature(d) == sig) && still_valid(&r, &opts.engines))
    };
    let steps = minimise(text, &mut same);
    // A crash is rerun isolated at every try (several processes each), so
    // its modules are not shrunk: its steps are what matters to place it.
    let minimal = if sig.contains("crash") || sig.contains("hang") {
        steps
    } else {
        shrink::shrink_modules(&directives(&steps), SHRINK_ATTEMPTS, &mut same)
    };
    let (r, _) = run_case(&mut streamer, iso, opts, job, &minimal)?;
    let name = format!("finding-{:016x}", fxhash(sig));
    let mut header =
        format!(";; finding: {sig}\n;; replay: lockstep replay --engines {} FILE\n", opts.engines.join(","));
    if let Some(k) = known {
        header +=
            &format!(";; has the signature of the known finding corpus/findings/{k}: check that it is that bug\n");
    }
    let path = opts.out.join(format!("{name}.wast"));
    atomic_write(&path, &format!("{header}{minimal}"))?;
    let json = serde_json::json!({
        "signature": sig,
        "known": known,
        "original": report,
        "minimised": r,
    });
    atomic_write(
        &opts.out.join(format!("{name}.json")),
        &serde_json::to_string_pretty(&json).map_err(|e| e.to_string())?,
    )?;
    Ok(path)
}

fn atomic_write(path: &Path, contents: &str) -> Result<(), String> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, contents).map_err(|e| format!("{}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("{}: {e}", path.display()))
}

fn fxhash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3))
}

/// Removes directives one at a time, from the last to the first, keeping a
/// removal whenever `still` holds for what is left.
pub fn minimise(text: &str, still: &mut dyn FnMut(&str) -> bool) -> String {
    let mut pieces = directives(text);
    let mut i = pieces.len();
    while i > 0 {
        i -= 1;
        let candidate: String = pieces.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, p)| p.as_str()).collect();
        if still(&candidate) {
            pieces.remove(i);
        }
    }
    pieces.concat()
}

/// A script's top-level directives as source text, each with its line break.
fn directives(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0i32, None);
    let mut in_string = false;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => in_string = !in_string,
            '\\' if in_string => {
                chars.next();
            }
            ';' if !in_string && chars.peek().is_some_and(|&(_, n)| n == ';') => {
                // A line comment: skip to its end.
                for (_, n) in chars.by_ref() {
                    if n == '\n' {
                        break;
                    }
                }
            }
            '(' if !in_string && chars.peek().is_some_and(|&(_, n)| n == ';') => {
                // A block comment `(; … ;)`: skip it.
                let mut prev = ' ';
                for (_, n) in chars.by_ref() {
                    if prev == ';' && n == ')' {
                        break;
                    }
                    prev = n;
                }
            }
            '(' if !in_string => {
                if depth == 0 {
                    start = Some(i);
                }
                depth += 1;
            }
            ')' if !in_string => {
                depth -= 1;
                if depth == 0
                    && let Some(s) = start.take()
                {
                    out.push(format!("{}\n", &text[s..=i]));
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::compare::Diff;

    fn divergence(sigs: &[&str]) -> Divergence {
        let diffs = sigs
            .iter()
            .map(|s| Diff { object: "o".into(), signature: s.to_string(), reference: "a".into(), engine: "b".into() })
            .collect();
        Divergence { line: 1, directive: "(invoke \"f\")".into(), engine: "wasmi".into(), diffs }
    }

    #[test]
    fn one_bug_with_other_numbers_is_one_signature_and_two_bugs_are_two() {
        let a = signature(&divergence(&["outcome:returned/trap(unreachable)", "memory:#1.0:bytes"]));
        let b = signature(&divergence(&["memory:#2.0:bytes", "outcome:returned/trap(unreachable)"]));
        assert_eq!(a, b, "instance numbers and order do not matter");
        assert_eq!(a, "wasmi | invoke | memory:#.:bytes outcome:returned/trap(unreachable)");
        // A different outcome kind, or another differing object, is another finding.
        assert_ne!(a, signature(&divergence(&["outcome:returned/trap(integer-divide-by-zero)", "memory:#1.0:bytes"])));
        assert_ne!(a, signature(&divergence(&["outcome:returned/trap(unreachable)", "table:#1.0:slots"])));
        assert_ne!(a, signature(&divergence(&["outcome:returned/trap(unreachable)"])));
    }

    #[test]
    fn minimise_keeps_only_what_the_predicate_needs() {
        let text = ";; c\n(module $a)\n(register \"a\" $a)\n(invoke \"keep\" (i32.const 1))\n(module (; x ;) $b)\n";
        let min = minimise(text, &mut |t: &str| t.contains("keep"));
        assert_eq!(min, "(invoke \"keep\" (i32.const 1))\n");
    }
}
