//! `lockstep fuzz`: a campaign on one machine. Each job owns a persistent
//! worker process (`lockstep worker --stream`) and feeds it generated
//! scenarios, one `.wast` script per case; a worker that crashes or hangs
//! is replaced, and the case it was running is a finding. Divergences are
//! minimised (steps first, by removing directives while the signature
//! stays), deduplicated by signature, and saved atomically into the output
//! folder as `.wast` + `.json` the moment they are found, so a campaign
//! killed mid-run loses nothing it had found.
//!
//! A campaign is bounded by a number of cases ([`Options::cases`]: the same
//! cases every time, what a CI gates on), by time, or both. Case numbers are
//! global: each job takes the next number from one counter, and case `n` of
//! seed `s` is [`case`]`(generator, s, n)` whatever the number of jobs, so
//! `lockstep fuzz --seed S --case N` prints it again.
//!
//! The output folder is shared by campaigns: a finding's files are named by
//! its content ([`content`]), so a finding already there is not written
//! again and another one never replaces it. `summary.json` and
//! `summary.txt` ([`Summary`]) describe the latest campaign into the folder,
//! rewritten as it runs.
//!
//! Past one machine, run the libFuzzer targets in `fuzz/` with `-fork`
//! (see `fuzz/README.md`); this command is the stable-Rust campaign.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use arbitrary::Unstructured;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::r#gen::{self, Events};
use crate::report::{Known, blank_numbers};
use crate::shrink;
use crate::wast::{Divergence, Note, ScriptReport, Timing};
use crate::worker::{self, Isolation};

/// Failed tries in a row before `wasm-shrink` deems a module minimal: each
/// try reruns the script, so this bounds the time a finding takes to save.
const SHRINK_ATTEMPTS: u32 = 100;

/// The most runs minimising one finding may take (then it keeps what it
/// has): a bound on the time a finding holds up its job, by count.
const MINIMISE_RUNS: usize = 400;

/// How often `summary.json` is rewritten while a campaign runs (also
/// whenever a finding is saved, and at the end).
const SUMMARY_EVERY: Duration = Duration::from_secs(5);

/// This build's version, recorded in findings and summaries.
const LOCKSTEP_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Which generator makes the cases.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Generator {
    /// The linking-aware scenario generator ([`gen::scenario`](crate::r#gen::scenario)), swarm-configured.
    Scenario,
    /// wasm-smith main/side pairs ([`gen::smith_pair`](crate::r#gen::smith_pair)).
    Pair,
    /// Alternating, case by case: odd cases are pairs, even ones scenarios.
    Both,
}

impl Generator {
    pub const ALL: [Generator; 3] = [Generator::Scenario, Generator::Pair, Generator::Both];

    /// The name `--generator` takes.
    pub fn name(self) -> &'static str {
        match self {
            Generator::Scenario => "scenario",
            Generator::Pair => "pair",
            Generator::Both => "both",
        }
    }

    /// The generator named `name` ([`Generator::name`]).
    pub fn from_name(name: &str) -> Result<Generator, String> {
        Generator::ALL.into_iter().find(|g| g.name() == name).ok_or_else(|| {
            let names: Vec<&str> = Generator::ALL.iter().map(|g| g.name()).collect();
            format!("no generator {name} ({})", names.join(", "))
        })
    }
}

/// A campaign's settings.
#[derive(Clone, Debug)]
pub struct Options {
    /// Stop starting cases after this many seconds; `None`: no time bound.
    pub seconds: Option<u64>,
    /// Run cases `0..N` (each exactly once, whatever `jobs`); `None`: no
    /// case bound. With neither bound, the campaign runs until killed.
    pub cases: Option<u64>,
    pub seed: u64,
    pub jobs: usize,
    /// The output folder: findings, `summary.json`, `summary.txt`.
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
    /// Cases generated and run: `agree + poisoned + diverged`.
    pub cases: u64,
    /// Case numbers from whose bytes the generator made no script (skipped).
    pub not_generated: u64,
    pub agree: u64,
    pub poisoned: u64,
    /// Why engines stopped without diverging, by engine and named reason
    /// (numbers blanked): a poison is not a verdict, but one engine's limit
    /// where the others ran on is worth a look, so every one is shown.
    pub poisons: std::collections::BTreeMap<String, u64>,
    pub diverged: u64,
    /// Diverging cases whose every divergence has a known finding's signature.
    pub known: u64,
    /// Signatures saved (`saved.len()`).
    pub findings: u64,
    /// The findings saved, in order.
    pub saved: Vec<Saved>,
    /// Seconds spent generating cases, running them (worker side, with the
    /// phases of [`Stats::time`]), rerunning crashed or hung ones isolated,
    /// and minimising and checking findings.
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

/// A finding saved by a campaign.
#[derive(Debug, Clone, Serialize)]
pub struct Saved {
    pub signature: String,
    /// The known finding whose signature it has, if any (then it is not new).
    pub known: Option<String>,
    /// The file's name in the output folder (`finding-<hash>.wast`); the
    /// `.json` of the same stem holds its reports.
    pub file: String,
    /// The case that showed it: `lockstep fuzz --seed S --case N` prints
    /// that case's script as generated.
    pub case: u64,
    /// Whether the saved script is the minimised one; if not, the minimised
    /// one did not show the signature again, and the original is saved.
    pub minimised: bool,
    /// Whether the saved file, rerun as saved, showed the signature (a
    /// crash that depends on the heap may not).
    pub reproduced: bool,
    /// Whether the folder held this finding already (same content, from an
    /// earlier campaign): it was not written again.
    pub already_present: bool,
}

/// An engine and its version as this build links it.
#[derive(Debug, Clone, Serialize)]
pub struct EngineVersion {
    pub name: String,
    /// `None` for engines without one (the harness's faulty test engines).
    pub version: Option<&'static str>,
}

fn engine_versions(names: &[String]) -> Vec<EngineVersion> {
    names.iter().map(|n| EngineVersion { name: n.clone(), version: crate::engine::version(n) }).collect()
}

/// What `summary.json` holds (and `summary.txt` shows): the campaign's
/// settings, its progress and its totals, flattened from [`Stats`].
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// `running`, then `finished`, or `stopped: <why>` if the campaign
    /// could not go on.
    pub status: String,
    /// The version of `lockstep` that ran it.
    pub lockstep: &'static str,
    pub seed: u64,
    /// [`Generator::name`].
    pub generator: &'static str,
    /// The engines, the reference first.
    pub engines: Vec<EngineVersion>,
    /// The bounds: seconds, and cases `0..N`.
    pub bound_seconds: Option<u64>,
    pub bound_cases: Option<u64>,
    pub out: PathBuf,
    /// When the campaign started, in seconds since the Unix epoch.
    pub started_unix_secs: u64,
    /// Wall-clock seconds since it started.
    pub elapsed_secs: f64,
    /// Findings without a known finding's signature: `fuzz` exits 1 if any.
    pub new_findings: u64,
    #[serde(flatten)]
    pub stats: Stats,
}

impl Summary {
    fn new(opts: &Options, stats: Stats, status: String, started: SystemTime, elapsed: Duration) -> Summary {
        Summary {
            status,
            lockstep: LOCKSTEP_VERSION,
            seed: opts.seed,
            generator: opts.generator.name(),
            engines: engine_versions(&opts.engines),
            bound_seconds: opts.seconds,
            bound_cases: opts.cases,
            out: opts.out.clone(),
            started_unix_secs: started.duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs()),
            elapsed_secs: elapsed.as_secs_f64(),
            new_findings: stats.saved.iter().filter(|f| f.known.is_none()).count() as u64,
            stats,
        }
    }

    /// The campaign for a person (`summary.txt`, and what `fuzz` prints at
    /// its end): settings, linking events, where the time went, every
    /// finding with its signature, and the totals.
    pub fn text(&self) -> String {
        use std::fmt::Write as _;
        let s = &self.stats;
        let mut out = String::new();
        let bounds = match (self.bound_cases, self.bound_seconds) {
            (Some(c), Some(t)) => format!("cases 0..{c}, at most {t} s"),
            (Some(c), None) => format!("cases 0..{c}"),
            (None, Some(t)) => format!("{t} s"),
            (None, None) => "unbounded".into(),
        };
        let engines: Vec<String> =
            self.engines.iter().map(|e| format!("{} {}", e.name, e.version.unwrap_or("(no version)"))).collect();
        let _ = writeln!(
            out,
            "lockstep {} fuzz: seed {}, generator {}, {bounds}; engines {}",
            self.lockstep,
            self.seed,
            self.generator,
            engines.join(", ")
        );
        let _ = writeln!(
            out,
            "status: {}; started at {} (Unix seconds), ran {:.1} s",
            self.status, self.started_unix_secs, self.elapsed_secs
        );
        let _ = writeln!(out, "events: {}", s.events);
        let names: Vec<String> = self.engines.iter().map(|e| e.name.clone()).collect();
        out += &time_table(s, &names);
        for f in &s.saved {
            let mut notes = String::new();
            if let Some(k) = &f.known {
                let _ = write!(notes, "  (signature of known finding {k})");
            }
            if f.already_present {
                notes += "  (already in the folder)";
            }
            if !f.minimised {
                notes += "  (not minimised: the minimised script lost the signature)";
            }
            if !f.reproduced {
                notes += "  (did not show the signature again as saved)";
            }
            let _ =
                writeln!(out, "finding {} (case {}): {}{notes}", self.out.join(&f.file).display(), f.case, f.signature);
        }
        let _ = writeln!(
            out,
            "fuzz: {} cases, {} agree, {} poisoned, {} diverged ({} with known signatures only), {} findings",
            s.cases, s.agree, s.poisoned, s.diverged, s.known, s.findings
        );
        if s.not_generated > 0 {
            let _ = writeln!(out, "case numbers that made no script: {}", s.not_generated);
        }
        if self.new_findings > 0 {
            let _ = writeln!(out, "new findings: {} (in {})", self.new_findings, self.out.display());
        }
        out
    }
}

/// Writes `summary.json` and `summary.txt` into the output folder, each
/// atomically.
fn write_summary(summary: &Summary) -> Result<(), String> {
    let json = serde_json::to_string_pretty(summary).map_err(|e| e.to_string())?;
    atomic_write(&summary.out.join("summary.json"), &json)?;
    atomic_write(&summary.out.join("summary.txt"), &summary.text())
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

/// Case `n` as a script, with its events; `None` if the generator makes
/// no script from its bytes (a campaign counts it as not generated).
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

/// Runs a campaign, calling `progress` every quarter second with the
/// totals so far and the seconds elapsed. The output folder is created and
/// `summary.json` written before the first case, so a folder that cannot
/// be written is an error before anything runs.
///
/// # Errors
///
/// The folder cannot be written, or a job cannot go on (a worker that
/// cannot start, a finding that cannot be saved); the summary then says
/// `stopped: <why>`, if it can be written.
pub fn run(opts: &Options, progress: &mut dyn FnMut(&Stats, f64)) -> Result<Summary, String> {
    std::fs::create_dir_all(&opts.out).map_err(|e| format!("{}: {e}", opts.out.display()))?;
    let iso = Isolation::this_exe(opts.case_timeout)?;
    let (started, start) = (SystemTime::now(), Instant::now());
    let summary =
        |stats: &Stats, status: &str| Summary::new(opts, stats.clone(), status.to_string(), started, start.elapsed());
    write_summary(&summary(&Stats::default(), "running"))
        .map_err(|e| format!("{}: cannot write the campaign's files: {e}", opts.out.display()))?;
    let shared = Arc::new(Shared {
        state: Mutex::new((Stats::default(), HashSet::new())),
        next_case: AtomicU64::new(0),
        stop: AtomicBool::new(false),
    });
    let deadline = opts.seconds.map(|s| start + Duration::from_secs(s));
    let mut handles = Vec::new();
    for job in 0..opts.jobs.max(1) {
        let (opts, iso, shared) = (opts.clone(), iso.clone(), shared.clone());
        handles.push(std::thread::spawn(move || {
            let ended = job_loop(job as u64, &opts, &iso, &shared, deadline);
            // A job that cannot go on ends the campaign: the others stop
            // after their case, and the error is the campaign's.
            if ended.is_err() {
                shared.stop.store(true, Ordering::Relaxed);
            }
            ended
        }));
    }
    let (mut written, mut findings) = (Instant::now(), 0);
    while handles.iter().any(|h| !h.is_finished()) {
        std::thread::sleep(Duration::from_millis(250));
        let stats = shared.state.lock().expect("stats lock").0.clone();
        progress(&stats, start.elapsed().as_secs_f64());
        if written.elapsed() >= SUMMARY_EVERY || stats.findings != findings {
            // A failed write is tried again at the next; the last one's
            // failure is the campaign's.
            let _ = write_summary(&summary(&stats, "running"));
            (written, findings) = (Instant::now(), stats.findings);
        }
    }
    let mut outcome = Ok(());
    for h in handles {
        let ended = h.join().unwrap_or_else(|_| Err("a campaign job panicked".to_string()));
        outcome = outcome.and(ended);
    }
    let stats = shared.state.lock().expect("stats lock").0.clone();
    let status = match &outcome {
        Ok(()) => "finished".to_string(),
        Err(e) => format!("stopped: {e}"),
    };
    let last = summary(&stats, &status);
    // A job's error first: it is why the campaign stopped.
    let written = write_summary(&last);
    outcome.and(written).map(|()| last)
}

/// What the jobs share: the totals with the signatures seen so far, the
/// number of the next case to run, and whether a job failed.
struct Shared {
    state: Mutex<(Stats, HashSet<String>)>,
    next_case: AtomicU64,
    stop: AtomicBool,
}

fn job_loop(
    job: u64,
    opts: &Options,
    iso: &Isolation,
    shared: &Shared,
    deadline: Option<Instant>,
) -> Result<(), String> {
    let mut streamer = Streamer::start(&iso.exe, &opts.engines).map_err(|e| format!("cannot start a worker: {e}"))?;
    while deadline.is_none_or(|d| Instant::now() < d) && !shared.stop.load(Ordering::Relaxed) {
        let n = shared.next_case.fetch_add(1, Ordering::Relaxed);
        if opts.cases.is_some_and(|bound| n >= bound) {
            break;
        }
        let t0 = Instant::now();
        let Some(this) = case(opts.generator, opts.seed, n) else {
            shared.state.lock().expect("stats lock").0.not_generated += 1;
            continue;
        };
        let text = &this.text;
        let generated = t0.elapsed().as_secs_f64();
        let (report, isolated) = run_case(&mut streamer, iso, opts, job, text)?;
        let ran = t0.elapsed().as_secs_f64() - generated - isolated;
        let new_signatures: Vec<(String, Option<String>)> = {
            let mut guard = shared.state.lock().expect("stats lock");
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
            let found = Found { case: n, text, report: &report, signature: &sig, known: known.as_deref() };
            let saved = save_finding(opts, iso, job, &found)?;
            let mut guard = shared.state.lock().expect("stats lock");
            guard.0.findings += 1;
            guard.0.saved.push(saved);
            guard.0.minimise_secs += t1.elapsed().as_secs_f64();
        }
    }
    Ok(())
}

/// Whether a candidate is still a scenario the reference runs as written:
/// every failed check is other engines' only, none is the reference's or
/// the script's own (an assertion that no longer holds), the reference
/// reached every step, and no step is skipped for a reason the original
/// (`original`, its report) had no step skipped for: a step left dangling
/// when what it used was removed (an `invoke` of a module no longer there,
/// a `register` of it) is skipped, and such a script is not the finding.
fn still_valid(r: &ScriptReport, original: &ScriptReport, engines: &[String]) -> bool {
    let skipped_before = |n: &Note| original.skipped.iter().any(|o| o.what == n.what);
    r.not_reached.is_empty()
        && r.failed.iter().all(|n| !n.engines.is_empty() && !n.engines.contains(&engines[0]))
        && r.skipped.iter().all(skipped_before)
}

/// Whether `r` (a candidate's report) shows the divergence `sig` of the
/// case whose report is `original`, in a script still valid ([`still_valid`]).
fn shows(r: &ScriptReport, sig: &str, original: &ScriptReport, engines: &[String]) -> bool {
    r.divergences.iter().any(|d| signature(d) == sig) && still_valid(r, original, engines)
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
    // Named by process too: campaigns may share the folder.
    let path = opts.out.join(format!(".case-{}-{job}.wast", std::process::id()));
    std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    // Attribution (and its retries) is the worker module's.
    let r = worker::run_isolated(iso, &path.display().to_string(), &opts.engines);
    let _ = std::fs::remove_file(&path);
    Ok((r, t0.elapsed().as_secs_f64()))
}

/// A divergence a case showed, with a signature no earlier case of the
/// campaign had.
struct Found<'a> {
    /// The case's number and script.
    case: u64,
    text: &'a str,
    report: &'a ScriptReport,
    signature: &'a str,
    known: Option<&'a str>,
}

/// The content hash of a finding (SHA-256, lowercase hex): of its signature
/// and its script as saved without the header. Its file is named
/// `finding-<the first 16 digits>`, so that a finding found again has the
/// name it had and two findings never share one.
pub fn content(signature: &str, script: &str) -> String {
    let digest = Sha256::new().chain_update(signature).chain_update("\n").chain_update(script).finalize();
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The value of a `;; KEY: VALUE` line of a saved finding's header (the
/// comment lines it starts with): `header_field(text, "case")`.
pub fn header_field<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    text.lines()
        .take_while(|l| l.starts_with(";;"))
        .find_map(|l| l.strip_prefix(";; ")?.strip_prefix(key)?.strip_prefix(": "))
}

/// The header of a saved finding: what it is, where it came from (enough
/// to regenerate the original script), what ran it, and how to replay it.
/// Only comment lines: a script runs the same with it or without it.
fn header(opts: &Options, found: &Found<'_>, minimised: bool, content: &str) -> String {
    let g = opts.generator.name();
    let versions = crate::engine::versions(&opts.engines).join(", ");
    let minimised = if minimised { "yes" } else { "no: the minimised script did not show the signature again" };
    let mut h = format!(
        ";; finding: {sig}\n\
         ;; seed: {seed}\n\
         ;; case: {case}\n\
         ;; generator: {g}\n\
         ;; original: lockstep fuzz --generator {g} --seed {seed} --case {case}\n\
         ;; engines: {versions}\n\
         ;; lockstep: {LOCKSTEP_VERSION}\n\
         ;; minimised: {minimised}\n\
         ;; content: {content}\n\
         ;; replay: lockstep replay --engines {engines} FILE\n",
        sig = found.signature,
        seed = opts.seed,
        case = found.case,
        engines = opts.engines.join(","),
    );
    if let Some(k) = found.known {
        h += &format!(";; has the signature of the known finding corpus/findings/{k}: check that it is that bug\n");
    }
    h
}

/// The name (stem) a finding of content hash `content` is saved under in
/// `out`, and whether the folder holds it already. The short name, unless
/// another finding has it: never replaced, the full hash is used instead.
fn place(out: &Path, content: &str) -> Result<(String, bool), String> {
    for stem in [format!("finding-{}", &content[..16]), format!("finding-{content}")] {
        let path = out.join(format!("{stem}.wast"));
        match std::fs::read_to_string(&path) {
            Ok(there) if header_field(&there, "content") == Some(content) => return Ok((stem, true)),
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((stem, false)),
            Err(e) => return Err(format!("{}: {e}", path.display())),
        }
    }
    Err(format!("{}: two files claim the finding {content}", out.display()))
}

/// Minimises a divergence, checks that the script to save shows it as
/// saved (else saves the original script), and saves it, atomically, as
/// `finding-<hash>.wast` and `.json` in the output folder, unless the
/// folder holds it already ([`content`]).
fn save_finding(opts: &Options, iso: &Isolation, job: u64, found: &Found<'_>) -> Result<Saved, String> {
    let mut streamer = Streamer::start(&iso.exe, &opts.engines).map_err(|e| format!("cannot start a worker: {e}"))?;
    let (sig, original) = (found.signature, found.report);
    let mut runs = 0;
    let mut same = |candidate: &str| -> bool {
        runs += 1;
        runs <= MINIMISE_RUNS
            && run_case(&mut streamer, iso, opts, job, candidate)
                .is_ok_and(|(r, _)| shows(&r, sig, original, &opts.engines))
    };
    let steps = minimise(found.text, &mut same);
    // A crash is rerun isolated at every try (several processes each), so
    // its modules are not shrunk: its steps are what matters to place it.
    let minimal = if sig.contains("crash") || sig.contains("hang") {
        steps
    } else {
        let shrunk = shrink::shrink_modules(&directives(&steps), SHRINK_ATTEMPTS, &mut same);
        // A shrunk module may no longer need steps that served what it
        // lost (the `register` of a module it no longer imports from).
        if shrunk == steps { shrunk } else { minimise(&shrunk, &mut same) }
    };
    // The file is checked as it will be saved, header and all, so that the
    // report's line numbers are the file's. If minimising lost the
    // signature (a step that is not deterministic, a bound on runs), the
    // original script is saved instead.
    let check = |body: &str, minimised: bool, streamer: &mut Streamer| -> Result<_, String> {
        let hash = content(sig, body);
        let file = format!("{}{body}", header(opts, found, minimised, &hash));
        let (r, _) = run_case(streamer, iso, opts, job, &file)?;
        let reproduced = shows(&r, sig, original, &opts.engines);
        Ok((hash, file, r, reproduced))
    };
    let (mut minimised, (mut hash, mut file, mut r, mut reproduced)) = (true, check(&minimal, true, &mut streamer)?);
    if !reproduced {
        minimised = false;
        (hash, file, r, reproduced) = check(found.text, false, &mut streamer)?;
    }
    let (stem, already_present) = place(&opts.out, &hash)?;
    if !already_present {
        let json = serde_json::json!({
            "signature": sig,
            "known": found.known,
            "seed": opts.seed,
            "case": found.case,
            "generator": opts.generator.name(),
            "engines": engine_versions(&opts.engines),
            "lockstep": LOCKSTEP_VERSION,
            "content": hash,
            "minimised": minimised,
            "reproduced": reproduced,
            // Line numbers of `original` are those of `original_script`,
            // which `lockstep fuzz --seed S --case N` prints; those of
            // `saved` are the saved `.wast` file's.
            "original_script": found.text,
            "original": original,
            "saved": r,
        });
        let json = serde_json::to_string_pretty(&json).map_err(|e| e.to_string())?;
        // The `.wast` last: its presence says the finding is complete.
        atomic_write(&opts.out.join(format!("{stem}.json")), &json)?;
        atomic_write(&opts.out.join(format!("{stem}.wast")), &file)?;
    }
    Ok(Saved {
        signature: sig.to_string(),
        known: found.known.map(str::to_string),
        file: format!("{stem}.wast"),
        case: found.case,
        minimised,
        reproduced,
        already_present,
    })
}

/// Writes `contents` to `path` through a temporary file in the same folder
/// and a rename, so that a reader (or a campaign killed mid-write) sees the
/// old file or the new one, never a part. The temporary name is this
/// write's own (process and count): campaigns and jobs may share the folder.
fn atomic_write(path: &Path, contents: &str) -> Result<(), String> {
    static WRITES: AtomicU64 = AtomicU64::new(0);
    let name = path.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let n = WRITES.fetch_add(1, Ordering::Relaxed);
    let tmp = path.with_file_name(format!(".{name}.{}.{n}.tmp", std::process::id()));
    std::fs::write(&tmp, contents).map_err(|e| format!("{}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("{}: {e}", path.display())
    })
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
        Divergence { line: 1, directive: "(invoke \"f\")".into(), engine: "wasmi".into(), diffs, still_differs: vec![] }
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

    fn lockstep_run(text: &str) -> ScriptReport {
        let engines = ["model", "faulty-wrong-result"].map(|e| crate::engine::make(e, Default::default()).unwrap());
        crate::wast::run_script("case", text, engines.into())
    }

    #[test]
    fn a_step_left_dangling_by_minimising_is_not_the_finding() {
        let engines = ["model".to_string(), "faulty-wrong-result".to_string()];
        let original = "(module $a (func (export \"f\") (result i32) (i32.const 1)))\n\
                        (module $b (func (export \"g\") (result i32) (i32.const 2)))\n\
                        (invoke $a \"f\")\n\
                        (invoke $b \"g\")\n";
        let r = lockstep_run(original);
        let sig = signature(&r.divergences[0]);
        assert_eq!(sig, "faulty-wrong-result | invoke | outcome:returned/returned");
        // Without module $a, its invoke is skipped: the divergence is still
        // there (at $b's invoke), but the script is not the finding.
        let dangling = lockstep_run(&original.replacen("(module $a", "(; removed ;) (; (module $a", 1).replacen(
            "(i32.const 1)))",
            "(i32.const 1))) ;)",
            1,
        ));
        assert!(dangling.divergences.iter().any(|d| signature(d) == sig), "{dangling:?}");
        assert!(!shows(&dangling, &sig, &r, &engines), "{dangling:?}");
        assert!(shows(&lockstep_run(original), &sig, &r, &engines));
        // Minimising with that check keeps a module with the step that uses it.
        let min = minimise(original, &mut |t| shows(&lockstep_run(t), &sig, &r, &engines));
        assert_eq!(min, "(module $a (func (export \"f\") (result i32) (i32.const 1)))\n(invoke $a \"f\")\n");
    }

    #[test]
    fn a_finding_is_named_by_its_content_and_never_replaces_another() {
        let a = content("sig", "(module)\n");
        assert_eq!(a.len(), 64);
        assert_ne!(a, content("sig", "(module $m)\n"));
        assert_ne!(a, content("other sig", "(module)\n"));
        let dir = std::env::temp_dir().join(format!("lockstep-place-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let (stem, there) = place(&dir, &a).unwrap();
        assert_eq!((stem.as_str(), there), (format!("finding-{}", &a[..16]).as_str(), false));
        std::fs::write(dir.join(format!("{stem}.wast")), format!(";; finding: sig\n;; content: {a}\n(module)\n"))
            .unwrap();
        assert_eq!(place(&dir, &a).unwrap(), (stem.clone(), true), "the same finding is there already");
        // Another content with the same first 16 digits takes the full name.
        let b = format!("{}{}", &a[..16], "0".repeat(48));
        assert_eq!(place(&dir, &b).unwrap(), (format!("finding-{b}"), false));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn header_fields_are_read_from_the_leading_comments_only() {
        let text = ";; finding: x | invoke | y\n;; case: 12\n;; case 12 of seed 3\n(module)\n;; seed: 9\n";
        assert_eq!(header_field(text, "case"), Some("12"));
        assert_eq!(header_field(text, "finding"), Some("x | invoke | y"));
        assert_eq!(header_field(text, "seed"), None);
    }

    #[test]
    fn case_n_of_a_seed_is_one_script() {
        for generator in Generator::ALL {
            for n in 0..3 {
                let (a, b) = (case(generator, 5, n).map(|c| c.text), case(generator, 5, n).map(|c| c.text));
                assert!(a.is_some() && a == b, "{generator:?} case {n}");
            }
            assert_ne!(case(generator, 5, 0).map(|c| c.text), case(generator, 5, 1).map(|c| c.text));
        }
        assert_eq!(Generator::from_name("pair"), Ok(Generator::Pair));
        assert!(Generator::from_name("smith").is_err());
    }

    #[test]
    fn minimise_keeps_only_what_the_predicate_needs() {
        let text = ";; c\n(module $a)\n(register \"a\" $a)\n(invoke \"keep\" (i32.const 1))\n(module (; x ;) $b)\n";
        let min = minimise(text, &mut |t: &str| t.contains("keep"));
        assert_eq!(min, "(invoke \"keep\" (i32.const 1))\n");
    }
}
