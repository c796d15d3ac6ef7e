//! `lockstep fuzz`: a campaign on one machine. Each job owns a persistent
//! worker process (`lockstep worker --stream`) and feeds it generated
//! scenarios, one `.wast` script per case. Nothing but the cases holds the
//! jobs up:
//!
//! - **Crashes are triaged, not all rerun.** A worker that crashes or hangs
//!   is replaced, and the crash is known by what the campaign sees without
//!   rerunning the case: its *unattributed signature*
//!   ([`unattributed_signature`]). The first crash of each such signature
//!   is rerun isolated, which places and attributes it
//!   ([`worker::run_isolated`]); later ones are counted as that one, and
//!   rerun once without the engines it was attributed to, so that the
//!   others are still compared on every step. The rule and its limit are
//!   [`CrashClass`]'s.
//! - **Findings are saved at once and minimised beside the jobs.** A
//!   divergence whose signature is new to the campaign is saved the moment
//!   it is found, as the case's script with its header (`minimised:
//!   pending`), and handed to a minimiser: a thread of its own, with its
//!   own worker, and a time budget per finding ([`Options::minimise`]).
//!   When it is done, the file is replaced atomically by the minimised
//!   script, if that script, rerun as saved, shows the signature; else its
//!   header says so. A campaign killed mid-run loses nothing it had found.
//!
//! A campaign is bounded by a number of cases ([`Options::cases`]: the same
//! cases every time, what a CI gates on), by time, or both; once the cases
//! end, it waits for the findings still being minimised (each within its
//! budget). Case numbers are global: each job takes the next number from
//! one counter, and case `n` of seed `s` is [`case`]`(generator, s, n)`
//! whatever the number of jobs, so `lockstep fuzz --seed S --case N`
//! prints it again.
//!
//! The output folder is shared by campaigns: a finding's files are named by
//! its signature and original script ([`content`]), so a finding already
//! there is not written again and another one never replaces it. Which
//! case is the first to show a signature may depend on the jobs' timing
//! when there are several. `summary.json` and `summary.txt` ([`Summary`])
//! describe the latest campaign into the folder, rewritten as it runs.
//!
//! Past one machine, run the libFuzzer targets in `fuzz/` with `-fork`
//! (see `fuzz/README.md`); this command is the stable-Rust campaign.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use arbitrary::Unstructured;
use serde::Serialize;
use sha2::{Digest, Sha256};
use wait_timeout::ChildExt;

use crate::r#gen::{self, Events};
use crate::report::{Known, blank_numbers};
use crate::shrink;
use crate::wast::{Divergence, Note, ScriptReport, StopKind, Timing};
use crate::worker::{self, Isolation};

/// Failed tries in a row before `wasm-shrink` deems a module minimal: each
/// try reruns the script (the minimiser's time budget bounds them all).
const SHRINK_ATTEMPTS: u32 = 100;

/// How often `summary.json` is rewritten while a campaign runs (also
/// whenever a finding is saved or minimised, and at the end).
const SUMMARY_EVERY: Duration = Duration::from_secs(5);

/// How many counted cases of a crash class the summary lists (the first
/// ones): enough to replay a few, not a list as long as the campaign.
const COUNTED_CASES_LISTED: usize = 10;

/// The most of a streaming worker's stderr kept (its end): where a panic's
/// message is, when the worker dies.
const STDERR_KEPT: usize = 16 * 1024;

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
    /// A step (directive) that runs longer than this is a hang.
    pub case_timeout: Duration,
    /// The time minimising one finding may take, beside the jobs (then it
    /// keeps what it has: `minimised: partly`). Zero: findings are saved as
    /// found and not minimised (`minimised: off`).
    pub minimise: Duration,
    /// Known findings: a divergence whose signature one of them has is
    /// counted as that finding ([`Known::finding_by_signature`]).
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
    pub poisons: BTreeMap<String, u64>,
    /// Cases with a divergence, a crash or a hang (a crash counted without
    /// being rerun diverges as the isolated one of its class did).
    pub diverged: u64,
    /// Diverging cases whose every divergence has a known finding's
    /// signature; a counted crash only if its class's attribution has.
    pub known: u64,
    /// Signatures saved (`saved.len()`).
    pub findings: u64,
    /// The findings saved, in order.
    pub saved: Vec<Saved>,
    /// Cases whose streaming worker crashed or hung (and was replaced):
    /// `isolated + crashes_counted`.
    pub restarts: u64,
    /// Crashed cases rerun isolated to place and attribute the crash.
    pub isolated: u64,
    /// Crashed cases counted under their class, not rerun isolated.
    pub crashes_counted: u64,
    /// The crash classes, by unattributed signature, in the order met.
    pub crashes: Vec<CrashClass>,
    /// Wall-clock seconds of the jobs, summed over jobs: the campaign's hot
    /// path, of which the following are parts.
    pub jobs_secs: f64,
    /// Seconds spent generating cases; running them in the streaming
    /// workers (round trips included, with the phases of [`Stats::time`]
    /// measured inside); starting workers again after a crash; rerunning
    /// counted crashes without their culprits; rerunning crashed cases
    /// isolated.
    pub generate_secs: f64,
    pub run_secs: f64,
    pub restart_secs: f64,
    pub rerun_secs: f64,
    pub isolate_secs: f64,
    /// Seconds spent minimising and checking findings, beside the jobs
    /// (not part of `jobs_secs`).
    pub minimise_secs: f64,
    #[serde(skip)]
    pub time: Timing,
    #[serde(skip)]
    pub events: Events,
}

/// The crashes of a campaign's streaming workers that share an
/// unattributed signature ([`unattributed_signature`]), and what the one
/// rerun isolated was attributed to.
///
/// The rule: a crashed (or hung) case is rerun isolated if its
/// unattributed signature is new to the campaign (the first case of its
/// class), or if a divergence it showed before the crash has a signature
/// new to the campaign (its finding needs the case's full report).
/// Otherwise it is counted here: rerun once in a worker of the job's
/// without the class's culprits (the engines its crash was attributed to),
/// so that the other engines are compared on every step, as isolated they
/// would be, and the culprits' divergences before the crash are kept. If
/// that rerun crashes too, this case's crash is not (only) the class's,
/// and the case is rerun isolated (`rerun_crashed`). A counted case is
/// known only if the class's attribution, and every divergence of the
/// case, is a known finding's. `known.txt` never excuses a crash before
/// its class is isolated: a streaming worker runs every engine, so which
/// one crashed (the reference's own crash is a model bug) is not known
/// until then.
///
/// The limit: a second bug of a culprit engine with the class's
/// unattributed signature (the same kind of step, the worker ending the
/// same way: a signal says less than a panic's place and message) is
/// counted as the first and not found, until a campaign meets it first
/// (another seed) or it crashes otherwise; and when the class has no
/// culprit to leave out (the reference crashed, or the isolated rerun did
/// not crash), counted cases are not rerun, and what they would have shown
/// after the crash is not seen. `counted_cases` names cases to replay.
#[derive(Debug, Clone, Serialize)]
pub struct CrashClass {
    /// The unattributed signature.
    pub signature: String,
    /// The case rerun isolated, and the signatures of the divergences its
    /// crash was attributed to (`wasmi | invoke | crash`): at the step the
    /// streaming worker crashed in (any step if none is there); empty if
    /// the rerun did not crash, or the reference crashed (see `note`).
    pub isolated_case: u64,
    pub attributed: Vec<String>,
    /// The engines of those divergences, left out when a counted case is rerun.
    pub culprits: Vec<String>,
    /// Whether every attributed signature is a known finding's.
    pub known: bool,
    /// What else the isolation showed: the reference crashed, or the case
    /// did not crash again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Cases counted in this class, and the first of them (a case whose
    /// rerun without the culprits crashed too counts in that crash's class too).
    pub counted: u64,
    pub counted_cases: Vec<u64>,
    /// Cases of this class whose rerun without the culprits crashed too:
    /// another crash behind the same signature, triaged in turn by its
    /// unattributed signature over the engines that reran.
    pub rerun_crashed: u64,
}

/// How far a saved finding was minimised: the first word of its header's
/// `minimised:` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Minimised {
    /// Saved as generated; the minimiser has it. Left so by a campaign
    /// killed before the minimiser was done (a later campaign that finds
    /// it again minimises it).
    Pending,
    /// Minimised until no removal kept the signature.
    Yes,
    /// Minimised until its time budget ran out: smaller, maybe not minimal.
    Partly,
    /// The minimised script did not show the signature again when rerun as
    /// saved: the script as generated is saved.
    No,
    /// Not minimised: the budget was zero.
    Off,
}

impl Minimised {
    /// The value of the header's `minimised:` line.
    fn header(self, budget: Duration) -> String {
        match self {
            Minimised::Pending => {
                "pending: saved as generated; replaced by the minimised script when it is done".into()
            }
            Minimised::Yes => "yes".into(),
            Minimised::Partly => format!("partly: minimising ran out of its {} s", budget.as_secs_f64()),
            Minimised::No => "no: the minimised script did not show the signature again".into(),
            Minimised::Off => "off: saved as generated (--minimise-seconds 0)".into(),
        }
    }

    /// The state a `minimised:` header value gives (its first word).
    pub fn from_header(value: &str) -> Option<Minimised> {
        let word = value.split(':').next().unwrap_or("").trim();
        [Minimised::Pending, Minimised::Yes, Minimised::Partly, Minimised::No, Minimised::Off]
            .into_iter()
            .find(|m| serde_json::to_value(m).is_ok_and(|v| v == word))
    }
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
    /// How far the saved script is minimised; `pending` until the
    /// minimiser is done with it.
    pub minimised: Minimised,
    /// Whether the saved file, rerun as saved, showed the signature (a
    /// crash that depends on the heap may not); `None`: not rerun (not
    /// minimised yet, or not at all).
    pub reproduced: Option<bool>,
    /// Whether the folder held this finding already (same signature and
    /// original script, from an earlier campaign): it was not written
    /// again (unless it was still pending there: then it is minimised).
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
    /// `running`; `minimising` once the cases are done and findings are
    /// still being minimised; then `finished`, or `stopped: <why>` if the
    /// campaign could not go on.
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
    /// The time minimising one finding may take ([`Options::minimise`]).
    pub minimise_budget_secs: f64,
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
            minimise_budget_secs: opts.minimise.as_secs_f64(),
            out: opts.out.clone(),
            started_unix_secs: started.duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs()),
            elapsed_secs: elapsed.as_secs_f64(),
            new_findings: stats.saved.iter().filter(|f| f.known.is_none()).count() as u64,
            stats,
        }
    }

    /// The campaign for a person (`summary.txt`, and what `fuzz` prints at
    /// its end): settings, linking events, where the time went, the crash
    /// classes, every finding with its signature, and the totals.
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
            "lockstep {} fuzz: seed {}, generator {}, {bounds}, minimising {} s per finding; engines {}",
            self.lockstep,
            self.seed,
            self.generator,
            self.minimise_budget_secs,
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
        if !s.crashes.is_empty() {
            let _ = writeln!(
                out,
                "crashed or hung workers: {} ({} rerun isolated, {} counted by unattributed signature):",
                s.restarts, s.isolated, s.crashes_counted
            );
            for c in &s.crashes {
                let attributed = match (&c.attributed[..], &c.note) {
                    ([], Some(note)) => note.clone(),
                    ([], None) => "nothing".into(),
                    (a, _) => a.join("; "),
                };
                let known = if c.known { " (known)" } else { "" };
                let listed: Vec<String> = c.counted_cases.iter().map(u64::to_string).collect();
                let more = if c.counted > listed.len() as u64 { ", …" } else { "" };
                let again = match c.rerun_crashed {
                    0 => String::new(),
                    n => format!("; {n} crashed again without the culprits"),
                };
                let _ = writeln!(
                    out,
                    "  {}\n    case {} isolated: {attributed}{known}; {} counted{}{again}",
                    c.signature,
                    c.isolated_case,
                    c.counted,
                    if listed.is_empty() { String::new() } else { format!(" (cases {}{more})", listed.join(", ")) }
                );
            }
        }
        for f in &s.saved {
            let mut notes = String::new();
            if let Some(k) = &f.known {
                let _ = write!(notes, "  (signature of known finding {k})");
            }
            if f.already_present {
                notes += "  (already in the folder)";
            }
            match f.minimised {
                Minimised::Yes => {}
                Minimised::Pending => notes += "  (not minimised yet)",
                Minimised::Partly => notes += "  (partly minimised: out of time)",
                Minimised::No => notes += "  (not minimised: the minimised script lost the signature)",
                Minimised::Off => notes += "  (not minimised: minimising is off)",
            }
            if f.reproduced == Some(false) {
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
    // Side modules come from the pool of the case's epoch, a function of
    // (seed, n) alone: the cases of an epoch share libraries (and their
    // compiled code), and case n stays regenerable from (seed, n).
    let pool = r#gen::Pool::for_case(seed, n);
    let scenario = if pair {
        r#gen::smith_pair_in(&mut u, &r#gen::PairConfig::default(), &pool).ok()?
    } else {
        let cfg = r#gen::Config::swarm(&mut u).ok()?;
        r#gen::scenario_in(&mut u, &cfg, &pool).ok()?
    };
    let text = format!(";; case {n} of seed {seed}\n{}", scenario.to_wast());
    // One line was added above the generator's script.
    let left_behind_from = scenario.first_left_behind_line().map(|l| l + 1);
    Some(Case { text, events: scenario.events(), left_behind_from })
}

/// Where a campaign's time went, in seconds summed over jobs: the parts of
/// the jobs' wall time (the campaign's hot path), and the minimiser's time
/// beside them.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TimeSplit {
    /// The jobs' wall time: the sum of every part below but `minimise`.
    pub jobs: f64,
    pub generate: f64,
    /// Per engine (in the campaign's order), each [`Phase`](crate::wast::Phase)
    /// as the workers measured it: compile, instantiate, run, observe.
    pub engines: Vec<[f64; crate::wast::Phase::COUNT]>,
    /// The runner in the workers: parsing scripts, comparing, creating
    /// and dropping engines.
    pub parse: f64,
    pub compare: f64,
    pub setup: f64,
    /// The rest of running cases: round trips to the workers, reading
    /// reports, and cases that crashed their worker (not measured inside).
    pub workers: f64,
    /// Starting workers again after crashes and hangs.
    pub restart: f64,
    /// Rerunning counted crashes without their culprits ([`CrashClass`]).
    pub rerun: f64,
    /// Rerunning crashed cases isolated.
    pub isolate: f64,
    /// The rest of the jobs' time: saving findings as found, bookkeeping.
    pub other: f64,
    /// Minimising and checking findings, beside the jobs.
    pub minimise: f64,
}

impl TimeSplit {
    pub fn of(stats: &Stats) -> TimeSplit {
        let t = &stats.time;
        let measured = t.parse + t.compare + t.setup + t.engines.iter().flatten().sum::<f64>();
        let (run, restart, rerun, isolate) = (stats.run_secs, stats.restart_secs, stats.rerun_secs, stats.isolate_secs);
        TimeSplit {
            jobs: stats.jobs_secs,
            generate: stats.generate_secs,
            engines: t.engines.clone(),
            parse: t.parse,
            compare: t.compare,
            setup: t.setup,
            workers: (run - measured).max(0.0),
            restart,
            rerun,
            isolate,
            other: (stats.jobs_secs - stats.generate_secs - run - restart - rerun - isolate).max(0.0),
            minimise: stats.minimise_secs,
        }
    }

    /// Each phase summed over engines: compile, instantiate, run, observe.
    pub fn phases(&self) -> [f64; crate::wast::Phase::COUNT] {
        let mut sum = [0.0; crate::wast::Phase::COUNT];
        for phases in &self.engines {
            for (s, p) in sum.iter_mut().zip(phases) {
                *s += p;
            }
        }
        sum
    }

    /// Seconds generating and running cases: everything in the jobs but
    /// handling crashes (restarting workers, rerunning cases) and bookkeeping.
    pub fn cases(&self) -> f64 {
        self.generate + self.phases().iter().sum::<f64>() + self.parse + self.compare + self.setup + self.workers
    }

    /// The share of the jobs' time spent generating and running cases, 0..=1.
    pub fn cases_share(&self) -> f64 {
        self.cases() / self.jobs.max(1e-9)
    }
}

/// Where a campaign's time went ([`TimeSplit`]): each part of the jobs'
/// time in seconds summed over jobs, as a percentage of the jobs' time and
/// in milliseconds per case, the engine phases also per engine; then the
/// minimiser's time beside the jobs, and the throughput.
pub fn time_table(stats: &Stats, engines: &[String]) -> String {
    use crate::wast::Phase;
    use std::fmt::Write as _;
    let split = TimeSplit::of(stats);
    let mut out = String::new();
    let pct = |secs: f64| 100.0 * secs / split.jobs.max(1e-9);
    let per_case = |secs: f64| 1e3 * secs / stats.cases.max(1) as f64;
    let _ = writeln!(
        out,
        "time: {:.1} s in the jobs (summed over jobs); {:.1}% generating and running cases",
        split.jobs,
        100.0 * split.cases_share()
    );
    let width = |e: &String| e.len().max(8) + 2;
    let _ = write!(out, "  {:<14}{:>9}{:>8}{:>9}", "", "seconds", "%", "ms/case");
    for e in engines {
        let _ = write!(out, "{e:>w$}", w = width(e));
    }
    let _ = writeln!(out);
    let row = |out: &mut String, what: &str, secs: f64, rest: &str| {
        let _ = writeln!(out, "  {what:<14}{secs:>9.1}{:>8.1}{:>9.2}{rest}", pct(secs), per_case(secs));
    };
    row(&mut out, "generate", split.generate, "");
    let phases = split.phases();
    for (i, phase) in Phase::ALL.iter().enumerate() {
        let mut per_engine = String::new();
        for (e, secs) in engines.iter().zip(&split.engines) {
            let _ = write!(per_engine, "{:>w$.1}", secs[i], w = width(e));
        }
        row(&mut out, phase.name(), phases[i], &per_engine);
    }
    row(&mut out, "parse", split.parse, "");
    row(&mut out, "compare", split.compare, "");
    row(&mut out, "setup", split.setup, "  (creating engines)");
    row(&mut out, "workers", split.workers, "  (round trips; crashed cases)");
    row(&mut out, "restart", split.restart, &format!("  ({} crashed or hung workers)", stats.restarts));
    row(
        &mut out,
        "rerun",
        split.rerun,
        &format!("  ({} crashes counted, rerun without their culprits)", stats.crashes_counted),
    );
    row(&mut out, "isolate", split.isolate, &format!("  ({} crashed cases rerun isolated)", stats.isolated));
    row(&mut out, "other", split.other, "  (saving findings as found)");
    let _ = writeln!(
        out,
        "  {:<14}{:>9.1}  beside the jobs, in its own thread ({} findings)",
        "minimise", split.minimise, stats.findings
    );
    if !stats.poisons.is_empty() {
        let _ = writeln!(out, "engines stopped without diverging (cases):");
        for (reason, n) in &stats.poisons {
            let _ = writeln!(out, "  {n:>8}  {reason}");
        }
    }
    let rate = |secs: f64| stats.cases as f64 / secs.max(1e-9);
    let _ = writeln!(
        out,
        "throughput: {:.1} cases/s per core in the jobs; {:.1} counting only generating and running",
        rate(split.jobs),
        rate(split.cases())
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

/// The signature of a crash (or hang) of a streaming worker before it is
/// attributed, from what the campaign sees without rerunning the case: the
/// engines that were running, any of which may have crashed it
/// (`model,wasmi,wasmtime-quick`), the kind of step it crashed in
/// (`invoke`, from the directive's text), and how the worker ended
/// (`crashed: killed by SIGSEGV`, or a panic's place and message, or `did
/// not finish the step`), numbers blanked. See [`CrashClass`].
pub fn unattributed_signature(engines: &[String], directive: &str, what: &str) -> String {
    let step = directive.trim_start_matches('(').split_whitespace().next().unwrap_or("");
    format!("{} | {step} | {}", engines.join(","), blank_numbers(what).replace(" ()", ""))
}

/// How far a streaming worker is in the case it runs ([`worker::stream_main`]):
/// kept by the thread that reads its output, so that the job waits for the
/// report alone, not woken at every step.
#[derive(Default)]
struct Progress {
    /// The line of the step running, and how many steps have started.
    line: usize,
    steps: u64,
    /// The divergences found so far.
    before: Vec<Divergence>,
}

/// How a streaming worker ended a case without a report.
struct StreamCrash {
    /// The line of the step that was running.
    line: usize,
    /// The divergences the case showed before.
    before: Vec<Divergence>,
    /// How it ended: `crashed: killed by SIGSEGV (11)`.
    what: String,
}

/// A persistent worker: cases in on stdin; steps, divergences and reports
/// out on stdout; the end of its stderr kept, for a panic's message.
struct Streamer {
    child: Child,
    stdin: ChildStdin,
    /// Each case's report, or why it could not be read.
    reports: mpsc::Receiver<Result<ScriptReport, String>>,
    progress: Arc<Mutex<Progress>>,
    stderr: Arc<Mutex<Vec<u8>>>,
    stderr_reader: Option<JoinHandle<()>>,
}

impl Streamer {
    fn start(exe: &Path, engines: &[String]) -> std::io::Result<Streamer> {
        let mut child = Command::new(exe)
            .args(["worker", "--stream", "--engines", &engines.join(","), "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let stdin = child.stdin.take().expect("piped");
        let stdout = child.stdout.take().expect("piped");
        let mut err = child.stderr.take().expect("piped");
        // Reports are parsed here, beside the job that waits for them.
        let (tx, reports) = mpsc::channel();
        let progress = Arc::new(Mutex::new(Progress::default()));
        let seen = progress.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(n) = line.strip_prefix("line ") {
                    let mut p = seen.lock().expect("progress lock");
                    (p.line, p.steps) = (n.parse().unwrap_or(p.line), p.steps + 1);
                } else if let Some(json) = line.strip_prefix("divergence ")
                    && let Ok(d) = serde_json::from_str(json)
                {
                    seen.lock().expect("progress lock").before.push(d);
                } else if let Some(json) = line.strip_prefix("report ")
                    && tx.send(serde_json::from_str(json).map_err(|e| e.to_string())).is_err()
                {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let tail = stderr.clone();
        let stderr_reader = std::thread::spawn(move || {
            let mut chunk = [0u8; 4096];
            while let Ok(n @ 1..) = err.read(&mut chunk) {
                let mut tail = tail.lock().expect("stderr lock");
                tail.extend_from_slice(&chunk[..n]);
                let excess = tail.len().saturating_sub(STDERR_KEPT);
                tail.drain(..excess);
            }
        });
        Ok(Streamer { child, stdin, reports, progress, stderr, stderr_reader: Some(stderr_reader) })
    }

    /// Runs one case, each step within `step_timeout`; a worker that dies
    /// or hangs on it is ended, and how is returned.
    fn run(&mut self, text: &str, step_timeout: Duration) -> Result<ScriptReport, StreamCrash> {
        // The previous case's lines were all read before its report.
        *self.progress.lock().expect("progress lock") = Progress::default();
        self.stderr.lock().expect("stderr lock").clear();
        let case = serde_json::to_string(text).expect("a string serialises");
        let sent = writeln!(self.stdin, "{case}").and_then(|()| self.stdin.flush());
        let mut steps = 0;
        let hung = sent.is_ok()
            && loop {
                match self.reports.recv_timeout(step_timeout) {
                    Ok(Ok(report)) => return Ok(report),
                    Ok(Err(e)) => {
                        let Progress { line, before, .. } =
                            std::mem::take(&mut *self.progress.lock().expect("progress lock"));
                        let what = format!("the worker's report is unreadable: {e}");
                        return Err(StreamCrash { line, before, what });
                    }
                    Err(mpsc::RecvTimeoutError::Timeout) => {
                        // A step started since: the clock restarts (a
                        // step may take up to twice the time, no more).
                        let now = self.progress.lock().expect("progress lock").steps;
                        if now == steps {
                            break true;
                        }
                        steps = now;
                    }
                    Err(mpsc::RecvTimeoutError::Disconnected) => break false,
                }
            };
        let what = if hung {
            let _ = self.child.kill();
            let _ = self.child.wait();
            format!("did not finish the step within {}s (a hang)", step_timeout.as_secs())
        } else {
            // Its stdout closed: it is ending, or it took no case.
            let status = match self.child.wait_timeout(Duration::from_secs(5)) {
                Ok(Some(status)) => Some(status),
                _ => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    None
                }
            };
            // Its stderr closes with it: the reader then has every byte.
            if let Some(reader) = self.stderr_reader.take() {
                let _ = reader.join();
            }
            let stderr = String::from_utf8_lossy(&self.stderr.lock().expect("stderr lock")).into_owned();
            match status {
                Some(status) => worker::describe_exit(status, &stderr).0,
                None => "crashed: closed its output and did not exit".to_string(),
            }
        };
        // The output reader has ended (or is past this case's last line).
        let Progress { line, before, .. } = std::mem::take(&mut *self.progress.lock().expect("progress lock"));
        Err(StreamCrash { line, before, what })
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
/// be written is an error before anything runs. Returns when the cases are
/// done and the minimiser is done with every finding.
///
/// # Errors
///
/// The folder cannot be written, or a job or the minimiser cannot go on
/// (a worker that cannot start, a finding that cannot be saved); the
/// summary then says `stopped: <why>`, if it can be written.
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
        crash_classes: Mutex::new(HashMap::new()),
        next_case: AtomicU64::new(0),
        stop: AtomicBool::new(false),
        changes: AtomicU64::new(0),
    });
    // A thread that cannot go on ends the campaign: the others stop after
    // their case (the minimiser after its try), and the error is the campaign's.
    let stop_on_error = |shared: &Shared, ended: Result<(), String>| {
        if ended.is_err() {
            shared.stop.store(true, Ordering::Relaxed);
        }
        ended
    };
    let (tasks, queue) = mpsc::channel::<Task>();
    let minimiser = {
        let (opts, iso, shared) = (opts.clone(), iso.clone(), shared.clone());
        std::thread::spawn(move || stop_on_error(&shared, minimiser(&opts, &iso, &shared, queue)))
    };
    let deadline = opts.seconds.map(|s| start + Duration::from_secs(s));
    let mut jobs = Vec::new();
    for job in 0..opts.jobs.max(1) {
        let (opts, iso, shared, tasks) = (opts.clone(), iso.clone(), shared.clone(), tasks.clone());
        jobs.push(std::thread::spawn(move || {
            stop_on_error(&shared, job_loop(job as u64, &opts, &iso, &shared, deadline, &tasks))
        }));
    }
    // The minimiser ends when every job has ended and its queue is empty.
    drop(tasks);
    let (mut written, mut changes) = (Instant::now(), 0);
    while !minimiser.is_finished() || jobs.iter().any(|h| !h.is_finished()) {
        std::thread::sleep(Duration::from_millis(250));
        let stats = shared.state.lock().expect("stats lock").0.clone();
        progress(&stats, start.elapsed().as_secs_f64());
        let now = shared.changes.load(Ordering::Relaxed);
        if written.elapsed() >= SUMMARY_EVERY || now != changes {
            let status = if jobs.iter().all(|h| h.is_finished()) { "minimising" } else { "running" };
            // A failed write is tried again at the next; the last one's
            // failure is the campaign's.
            let _ = write_summary(&summary(&stats, status));
            (written, changes) = (Instant::now(), now);
        }
    }
    let mut outcome = Ok(());
    for h in jobs.into_iter().chain([minimiser]) {
        let ended = h.join().unwrap_or_else(|_| Err("a campaign thread panicked".to_string()));
        outcome = outcome.and(ended);
    }
    let stats = shared.state.lock().expect("stats lock").0.clone();
    let status = match &outcome {
        Ok(()) => "finished".to_string(),
        Err(e) => format!("stopped: {e}"),
    };
    let last = summary(&stats, &status);
    // A thread's error first: it is why the campaign stopped.
    let written = write_summary(&last);
    outcome.and(written).map(|()| last)
}

/// What the jobs and the minimiser share.
struct Shared {
    /// The totals, and the divergence signatures seen so far.
    state: Mutex<(Stats, HashSet<String>)>,
    /// The crash classes by unattributed signature: each one's index in
    /// [`Stats::crashes`], set once its first case has been rerun isolated
    /// (a job that meets it meanwhile waits), or why that failed.
    crash_classes: Mutex<HashMap<String, ClassCell>>,
    /// The number of the next case to run.
    next_case: AtomicU64,
    /// Set when a thread cannot go on.
    stop: AtomicBool,
    /// Bumped whenever a finding is saved or minimised: the summary is then rewritten.
    changes: AtomicU64,
}

/// A crash class's index in [`Stats::crashes`], once its first case has
/// been rerun isolated (or why that failed).
type ClassCell = Arc<OnceLock<Result<usize, String>>>;

/// A case as run: its report (from its worker, or from rerunning it
/// isolated after a crash), or a crash counted under its class, with its
/// report without the class's culprits (their divergences before the crash
/// added), or only those before the crash if there was no culprit to leave out.
enum Ran {
    Report {
        report: ScriptReport,
        isolated: bool,
    },
    /// `classes`: the class of the crash, then of each rerun's crash.
    Counted {
        classes: Vec<usize>,
        report: ScriptReport,
    },
}

/// The seconds since `mark`, which moves to now.
fn lap(mark: &mut Instant) -> f64 {
    let now = Instant::now();
    let secs = now.duration_since(*mark).as_secs_f64();
    *mark = now;
    secs
}

fn job_loop(
    job: u64,
    opts: &Options,
    iso: &Isolation,
    shared: &Shared,
    deadline: Option<Instant>,
    tasks: &mpsc::Sender<Task>,
) -> Result<(), String> {
    let mut streamer = Streamer::start(&iso.exe, &opts.engines).map_err(|e| format!("cannot start a worker: {e}"))?;
    // Workers without some engines, by the engines they run: for counted crashes.
    let mut without: HashMap<Vec<String>, Streamer> = HashMap::new();
    // The job's wall time is added as it passes, so a running summary has it.
    let mut mark = Instant::now();
    while deadline.is_none_or(|d| Instant::now() < d) && !shared.stop.load(Ordering::Relaxed) {
        let n = shared.next_case.fetch_add(1, Ordering::Relaxed);
        if opts.cases.is_some_and(|bound| n >= bound) {
            break;
        }
        let t0 = Instant::now();
        let Some(this) = case(opts.generator, opts.seed, n) else {
            let mut guard = shared.state.lock().expect("stats lock");
            guard.0.not_generated += 1;
            guard.0.generate_secs += t0.elapsed().as_secs_f64();
            guard.0.jobs_secs += lap(&mut mark);
            continue;
        };
        let generated = t0.elapsed().as_secs_f64();
        let t1 = Instant::now();
        let outcome = streamer.run(&this.text, opts.case_timeout);
        let run = t1.elapsed().as_secs_f64();
        let mut crash_time = CrashTime::default();
        let ran = match outcome {
            Ok(report) => Ran::Report { report, isolated: false },
            Err(crash) => {
                let t2 = Instant::now();
                streamer =
                    Streamer::start(&iso.exe, &opts.engines).map_err(|e| format!("cannot restart a worker: {e}"))?;
                crash_time.restart = t2.elapsed().as_secs_f64();
                let triage = Triage { opts, iso, shared, job, case: n, text: &this.text };
                triage.run(crash, &mut without, &mut crash_time)?
            }
        };
        let new_signatures = {
            let mut guard = shared.state.lock().expect("stats lock");
            let (stats, seen) = &mut *guard;
            stats.cases += 1;
            stats.generate_secs += generated;
            stats.run_secs += run;
            stats.restart_secs += crash_time.restart;
            stats.rerun_secs += crash_time.rerun;
            stats.isolate_secs += crash_time.isolate;
            stats.events.add(&this.events);
            let report = match &ran {
                Ran::Report { report, isolated } => {
                    if *isolated {
                        stats.restarts += 1;
                        stats.isolated += 1;
                    } else {
                        // A rerun's time is the crash's (`isolate_secs`).
                        stats.time.add(&report.time);
                    }
                    count_verdict(stats, &opts.known, report);
                    report
                }
                Ran::Counted { classes, report } => {
                    stats.restarts += 1;
                    stats.crashes_counted += 1;
                    stats.diverged += 1;
                    let mut known = report.divergences.iter().all(|d| opts.known.finding_by_signature(d).is_some());
                    for &class in classes {
                        let c = &mut stats.crashes[class];
                        c.counted += 1;
                        if c.counted_cases.len() < COUNTED_CASES_LISTED {
                            c.counted_cases.push(n);
                        }
                        known &= c.known;
                    }
                    stats.known += u64::from(known);
                    report
                }
            };
            count_poisons(stats, report);
            let new = new_signatures(seen, &opts.known, report);
            stats.jobs_secs += lap(&mut mark);
            new
        };
        let (Ran::Report { report, .. } | Ran::Counted { report, .. }) = ran;
        for (signature, known) in new_signatures {
            let found = Found { case: n, text: this.text.clone(), report: report.clone(), signature, known };
            let (saved, minimise) = save_raw(opts, &found)?;
            let mut guard = shared.state.lock().expect("stats lock");
            guard.0.findings += 1;
            guard.0.saved.push(saved);
            guard.0.jobs_secs += lap(&mut mark);
            if let Some(stem) = minimise {
                let index = guard.0.saved.len() - 1;
                tasks.send(Task { index, stem, found }).map_err(|_| "the minimiser stopped".to_string())?;
            }
            shared.changes.fetch_add(1, Ordering::Relaxed);
        }
    }
    Ok(())
}

/// Counts why engines stopped without diverging in a case's report.
fn count_poisons(stats: &mut Stats, report: &ScriptReport) {
    for (i, (engine, lane)) in report.engines.iter().zip(&report.lanes).enumerate() {
        use crate::wast::StopKind::*;
        let Some(stop) = &lane.stop else { continue };
        // Crashes and divergences are findings; a reference's stop is every lane's.
        if matches!(stop.kind, Poisoned | Unsupported) || (stop.kind == ReferenceStopped && i == 0) {
            let reason = format!("{engine}: {} ({})", stop.kind.name(), blank_numbers(&stop.what));
            *stats.poisons.entry(reason).or_default() += 1;
        }
    }
}

/// Counts a case's verdict: agree, poisoned, or diverged (known if every
/// divergence has a known finding's signature).
fn count_verdict(stats: &mut Stats, known: &Known, report: &ScriptReport) {
    match &report.divergences[..] {
        [] if report.poisoned().is_some() => stats.poisoned += 1,
        [] => stats.agree += 1,
        ds => {
            stats.diverged += 1;
            stats.known += u64::from(ds.iter().all(|d| known.finding_by_signature(d).is_some()));
        }
    }
}

/// The signatures of a report's divergences that `seen` did not have (now
/// it has), each with the known finding whose signature it has, if any.
/// Every signature is saved once, a known finding's too (marked): a second
/// bug with a known signature is then still in front of a person once per
/// campaign.
fn new_signatures(seen: &mut HashSet<String>, known: &Known, report: &ScriptReport) -> Vec<(String, Option<String>)> {
    report
        .divergences
        .iter()
        .filter_map(|d| {
            let sig = signature(d);
            let known = known.finding_by_signature(d).map(str::to_string);
            seen.insert(sig.clone()).then_some((sig, known))
        })
        .collect()
}

/// How a crash was met ([`Triage::class_of`]).
enum Met {
    /// A class the campaign had: its index in [`Stats::crashes`].
    Class(usize),
    /// The case was rerun isolated: its report.
    Isolated(Box<ScriptReport>),
}

/// Seconds a crashed case took beyond its run: restarting its worker,
/// rerunning it without the culprits, rerunning it isolated (or waiting
/// for another job's isolation of its class).
#[derive(Default)]
struct CrashTime {
    restart: f64,
    rerun: f64,
    isolate: f64,
}

/// A case that crashed or hung its streaming worker, to triage (the rule
/// is [`CrashClass`]'s).
struct Triage<'a> {
    opts: &'a Options,
    iso: &'a Isolation,
    shared: &'a Shared,
    job: u64,
    case: u64,
    text: &'a str,
}

impl Triage<'_> {
    /// Triages the crash: its class is that of its unattributed signature
    /// over the engines that ran. The case is rerun isolated if the class
    /// is new to the campaign (which makes it) or a divergence the case
    /// showed before the crash has a signature new to the campaign. Else it
    /// is rerun without the class's culprits in one of the job's workers
    /// `without`, and counted; if that rerun crashes too, the crash is
    /// triaged again, over the engines that reran.
    fn run(
        &self,
        mut crash: StreamCrash,
        without: &mut HashMap<Vec<String>, Streamer>,
        time: &mut CrashTime,
    ) -> Result<Ran, String> {
        let (opts, shared) = (self.opts, self.shared);
        let (mut engines, mut classes, mut kept) = (opts.engines.clone(), Vec::new(), Vec::new());
        loop {
            let t0 = Instant::now();
            let ran = self.class_of(&engines, &crash);
            time.isolate += t0.elapsed().as_secs_f64();
            let index = match ran? {
                Met::Class(index) => index,
                Met::Isolated(report) => return Ok(Ran::Report { report: *report, isolated: true }),
            };
            classes.push(index);
            let culprits = shared.state.lock().expect("stats lock").0.crashes[index].culprits.clone();
            let rest: Vec<String> = engines.iter().filter(|e| !culprits.contains(e)).cloned().collect();
            if culprits.is_empty() || rest.len() == engines.len() || rest.first() != opts.engines.first() {
                // Nothing to leave out (the reference crashed, or the isolated
                // case did not crash again): counted with what it showed.
                kept.extend(crash.before);
                let report = ScriptReport { engines, divergences: kept, ..Default::default() };
                return Ok(Ran::Counted { classes, report });
            }
            // The culprits' divergences before their crash; the others'
            // the rerun shows again, with every later step.
            let culprit = |d: &Divergence| d.engine.split('+').any(|e| culprits.iter().any(|c| c == e));
            kept.extend(crash.before.into_iter().filter(culprit));
            let t1 = Instant::now();
            let streamer = match without.entry(rest.clone()) {
                std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
                std::collections::hash_map::Entry::Vacant(v) => {
                    v.insert(Streamer::start(&self.iso.exe, &rest).map_err(|e| format!("cannot start a worker: {e}"))?)
                }
            };
            let rerun = streamer.run(self.text, opts.case_timeout);
            time.rerun += t1.elapsed().as_secs_f64();
            match rerun {
                Ok(mut report) => {
                    report.divergences.extend(kept);
                    report.divergences.sort_by_key(|d| d.line);
                    return Ok(Ran::Counted { classes, report });
                }
                Err(again) => {
                    // Another crash behind the class's signature.
                    without.remove(&rest);
                    shared.state.lock().expect("stats lock").0.crashes[index].rerun_crashed += 1;
                    (engines, crash) = (rest, again);
                }
            }
        }
    }

    /// The class of a crash of a worker running `engines`, or the case's
    /// isolated report if this case was rerun isolated (the first of its
    /// class, or a divergence before the crash with a new signature). A job
    /// that meets a class while another isolates its first case waits for it.
    fn class_of(&self, engines: &[String], crash: &StreamCrash) -> Result<Met, String> {
        let (opts, shared) = (self.opts, self.shared);
        let directive = crate::wast::directive_at_line(self.text, crash.line);
        let key = unattributed_signature(engines, &directive, &crash.what);
        let new_before = {
            let guard = shared.state.lock().expect("stats lock");
            crash.before.iter().any(|d| !guard.1.contains(&signature(d)))
        };
        let mut isolated = if new_before { Some(self.isolate()?) } else { None };
        let class = shared.crash_classes.lock().expect("classes lock").entry(key.clone()).or_default().clone();
        let index = class.get_or_init(|| {
            let report = match isolated.take() {
                Some(r) => r,
                None => self.isolate()?,
            };
            let c = crash_class(&report, key, self.case, crash.line, &opts.known);
            let mut guard = shared.state.lock().expect("stats lock");
            guard.0.crashes.push(c);
            isolated = Some(report);
            Ok(guard.0.crashes.len() - 1)
        });
        let index = index.clone()?;
        Ok(match isolated {
            Some(report) => Met::Isolated(Box::new(report)),
            None => Met::Class(index),
        })
    }

    /// Reruns the case isolated ([`isolate`]).
    fn isolate(&self) -> Result<ScriptReport, String> {
        isolate(self.iso, self.opts, &format!("job{}", self.job), self.text)
    }
}

/// The class that the isolated rerun `report` of case `case`, whose
/// streaming worker crashed at line `line`, makes for the unattributed
/// signature `key`: attributed to the crashes at that line (any line if
/// none is there: undefined behaviour may show elsewhere in another process).
fn crash_class(report: &ScriptReport, key: String, case: u64, line: usize, known: &Known) -> CrashClass {
    let all: Vec<&Divergence> = report.divergences.iter().filter(|d| d.is_crash()).collect();
    let there: Vec<&Divergence> = all.iter().copied().filter(|d| d.line == line).collect();
    let crashes = if there.is_empty() { all } else { there };
    let mut attributed: Vec<String> = crashes.iter().map(|d| signature(d)).collect();
    attributed.sort();
    attributed.dedup();
    let mut culprits: Vec<String> = crashes.iter().flat_map(|d| d.engine.split('+').map(str::to_string)).collect();
    culprits.sort();
    culprits.dedup();
    let reference = report.lanes.first().and_then(|l| l.stop.as_ref()).is_some_and(|s| s.kind == StopKind::Crashed);
    let note = if reference {
        Some("the reference crashed (a model bug)".to_string())
    } else if crashes.is_empty() {
        // A crash that depends on the heap, or a step only slow with every engine running.
        let why = report.failed.iter().find(|n| n.what.contains("harness")).map(|n| n.what.clone());
        Some(why.unwrap_or_else(|| "did not crash again when rerun isolated".into()))
    } else {
        None
    };
    CrashClass {
        signature: key,
        isolated_case: case,
        known: !crashes.is_empty() && crashes.iter().all(|d| known.finding_by_signature(d).is_some()),
        attributed,
        culprits,
        note,
        counted: 0,
        counted_cases: vec![],
        rerun_crashed: 0,
    }
}

/// Reruns a script isolated, which places and attributes a crash
/// ([`worker::run_isolated`]), through a file in the output folder named
/// by process and `tag` (campaigns and jobs may share the folder).
fn isolate(iso: &Isolation, opts: &Options, tag: &str, text: &str) -> Result<ScriptReport, String> {
    let path = opts.out.join(format!(".case-{}-{tag}.wast", std::process::id()));
    std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    let r = worker::run_isolated(iso, &path.display().to_string(), &opts.engines);
    let _ = std::fs::remove_file(&path);
    Ok(r)
}

/// Runs one script on `streamer`; one that crashes or hangs it is rerun
/// isolated and the worker replaced (what minimising needs: every
/// candidate's full report).
fn run_checked(streamer: &mut Streamer, iso: &Isolation, opts: &Options, text: &str) -> Result<ScriptReport, String> {
    match streamer.run(text, opts.case_timeout) {
        Ok(r) => Ok(r),
        Err(_) => {
            *streamer =
                Streamer::start(&iso.exe, &opts.engines).map_err(|e| format!("cannot restart a worker: {e}"))?;
            isolate(iso, opts, "minimise", text)
        }
    }
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

/// A divergence a case showed, with a signature no earlier case of the
/// campaign had.
struct Found {
    /// The case's number and script, as generated.
    case: u64,
    text: String,
    /// The case's report.
    report: ScriptReport,
    signature: String,
    /// The known finding whose signature it has.
    known: Option<String>,
}

/// A finding for the minimiser: saved as found under `stem`, entry `index`
/// of [`Stats::saved`].
struct Task {
    index: usize,
    stem: String,
    found: Found,
}

/// The minimiser: beside the jobs, with a worker of its own, minimises
/// each finding it is given within [`Options::minimise`], and replaces its
/// file; new findings first (a known finding's signature waits), since a
/// new one is what a person or a CI acts on. Ends when the jobs have ended
/// and nothing is left to minimise.
fn minimiser(opts: &Options, iso: &Isolation, shared: &Shared, tasks: mpsc::Receiver<Task>) -> Result<(), String> {
    let mut streamer = None;
    let mut queue: Vec<Task> = Vec::new();
    loop {
        queue.extend(tasks.try_iter());
        if queue.is_empty() {
            match tasks.recv() {
                Ok(task) => queue.push(task),
                Err(_) => return Ok(()),
            }
        }
        let task = queue.remove(queue.iter().position(|t| t.found.known.is_none()).unwrap_or(0));
        if shared.stop.load(Ordering::Relaxed) {
            return Ok(());
        }
        let t0 = Instant::now();
        let streamer = match &mut streamer {
            Some(s) => s,
            None => streamer
                .insert(Streamer::start(&iso.exe, &opts.engines).map_err(|e| format!("cannot start a worker: {e}"))?),
        };
        let (minimised, reproduced) = minimise_finding(opts, iso, shared, streamer, &task)?;
        let mut guard = shared.state.lock().expect("stats lock");
        let saved = &mut guard.0.saved[task.index];
        (saved.minimised, saved.reproduced) = (minimised, Some(reproduced));
        guard.0.minimise_secs += t0.elapsed().as_secs_f64();
        shared.changes.fetch_add(1, Ordering::Relaxed);
    }
}

/// Minimises a finding within the budget, checks that the script to save
/// shows it as saved (else saves the original script), and replaces its
/// files with it, atomically. Returns how far it was minimised, and
/// whether the file saved showed the signature again.
fn minimise_finding(
    opts: &Options,
    iso: &Isolation,
    shared: &Shared,
    streamer: &mut Streamer,
    task: &Task,
) -> Result<(Minimised, bool), String> {
    let found = &task.found;
    let (sig, original) = (found.signature.as_str(), &found.report);
    let deadline = Instant::now() + opts.minimise;
    let mut out_of_time = false;
    let mut same = |candidate: &str| -> bool {
        if Instant::now() >= deadline || shared.stop.load(Ordering::Relaxed) {
            out_of_time = true;
            return false;
        }
        run_checked(streamer, iso, opts, candidate).is_ok_and(|r| shows(&r, sig, original, &opts.engines))
    };
    let steps = minimise(&found.text, &mut same);
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
    let minimised = if out_of_time { Minimised::Partly } else { Minimised::Yes };
    // The file is checked as it will be saved, header and all, so that the
    // report's line numbers are the file's. If minimising lost the
    // signature (a step that is not deterministic), the original script is
    // saved instead.
    let hash = content(sig, &found.text);
    let mut check = |body: &str, minimised: Minimised| -> Result<_, String> {
        let file = format!("{}{body}", header(opts, found, minimised, &hash));
        let r = run_checked(streamer, iso, opts, &file)?;
        let reproduced = shows(&r, sig, original, &opts.engines);
        Ok((file, r, reproduced))
    };
    let (mut minimised, (mut file, mut r, mut reproduced)) = (minimised, check(&minimal, minimised)?);
    if !reproduced {
        minimised = Minimised::No;
        (file, r, reproduced) = check(&found.text, minimised)?;
    }
    write_finding(opts, &task.stem, found, minimised, Some(reproduced), &file, Some(&r))?;
    Ok((minimised, reproduced))
}

/// Saves a finding as found, at once: the case's script under its header,
/// and its report. Returns its entry, and the stem to minimise it under
/// (none if minimising is off, or the folder holds it already, unless
/// still pending there: a campaign was killed before minimising it).
fn save_raw(opts: &Options, found: &Found) -> Result<(Saved, Option<String>), String> {
    let hash = content(&found.signature, &found.text);
    let (stem, already_present) = place(&opts.out, &hash)?;
    let there = if already_present {
        let text = std::fs::read_to_string(opts.out.join(format!("{stem}.wast"))).unwrap_or_default();
        header_field(&text, "minimised").and_then(Minimised::from_header)
    } else {
        None
    };
    let minimise = !opts.minimise.is_zero() && (!already_present || there == Some(Minimised::Pending));
    let minimised = match (minimise, there) {
        (true, _) => Minimised::Pending,
        (false, Some(there)) => there,
        (false, None) => Minimised::Off,
    };
    if !already_present {
        let file = format!("{}{}", header(opts, found, minimised, &hash), found.text);
        write_finding(opts, &stem, found, minimised, None, &file, None)?;
    }
    let saved = Saved {
        signature: found.signature.clone(),
        known: found.known.clone(),
        file: format!("{stem}.wast"),
        case: found.case,
        minimised,
        reproduced: None,
        already_present,
    };
    Ok((saved, minimise.then_some(stem)))
}

/// Writes a finding's `.json` and `.wast` (the script `file`, header and
/// all) under `stem`, each atomically, the `.wast` last: its presence says
/// the finding is complete. `saved` is the saved script's report, once it
/// has been rerun.
fn write_finding(
    opts: &Options,
    stem: &str,
    found: &Found,
    minimised: Minimised,
    reproduced: Option<bool>,
    file: &str,
    saved: Option<&ScriptReport>,
) -> Result<(), String> {
    let json = serde_json::json!({
        "signature": found.signature,
        "known": found.known,
        "seed": opts.seed,
        "case": found.case,
        "generator": opts.generator.name(),
        "engines": engine_versions(&opts.engines),
        "lockstep": LOCKSTEP_VERSION,
        "content": content(&found.signature, &found.text),
        "minimised": minimised,
        "reproduced": reproduced,
        // Line numbers of `original` are those of `original_script`,
        // which `lockstep fuzz --seed S --case N` prints; those of
        // `saved` are the saved `.wast` file's (none until it is rerun).
        "original_script": found.text,
        "original": found.report,
        "saved": saved,
    });
    let json = serde_json::to_string_pretty(&json).map_err(|e| e.to_string())?;
    atomic_write(&opts.out.join(format!("{stem}.json")), &json)?;
    atomic_write(&opts.out.join(format!("{stem}.wast")), file)
}

/// The content hash of a finding (SHA-256, lowercase hex): of its signature
/// and its original script (the case as generated). Its file is named
/// `finding-<the first 16 digits>`, so that a finding found again has the
/// name it had, its minimised script replaces it under that name, and two
/// findings never share one.
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
/// to regenerate the original script), what ran it, how far it is
/// minimised, and how to replay it. Only comment lines: a script runs the
/// same with it or without it.
fn header(opts: &Options, found: &Found, minimised: Minimised, content: &str) -> String {
    let g = opts.generator.name();
    let versions = crate::engine::versions(&opts.engines).join(", ");
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
        minimised = minimised.header(opts.minimise),
        engines = opts.engines.join(","),
    );
    if let Some(k) = &found.known {
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
    fn a_crash_before_attribution_is_known_by_its_engines_step_and_end() {
        let engines = ["model".to_string(), "wasmi".to_string(), "wasmtime-quick".to_string()];
        let sig = |directive: &str, what: &str| unattributed_signature(&engines, directive, what);
        let segv = sig("(invoke $i3 \"f\" (i32.const 1))", "crashed: killed by SIGSEGV (11)");
        assert_eq!(segv, "model,wasmi,wasmtime-quick | invoke | crashed: killed by SIGSEGV");
        // Another case numbers its instances otherwise: the same crash.
        assert_eq!(segv, sig("(invoke $i7 \"g\")", "crashed: killed by SIGSEGV (11)"));
        // Another step kind, another end, or other engines: another class.
        assert_ne!(segv, sig("(assert_return (invoke $i3 \"f\"))", "crashed: killed by SIGSEGV (11)"));
        assert_ne!(segv, sig("(invoke $i3 \"f\")", "crashed: killed by SIGABRT (6)"));
        assert_ne!(
            segv,
            unattributed_signature(&engines[..2], "(invoke $i3 \"f\")", "crashed: killed by SIGSEGV (11)")
        );
        // A panic's place and message tell crashes apart; its numbers do not.
        let panic = |at: &str| sig("(module)", &format!("crashed: exit status: 101: thread 'main' panicked at {at}"));
        assert_eq!(panic("src/a.rs:12:5: index 3 out of 2"), panic("src/a.rs:12:5: index 9 out of 4"));
        assert_ne!(panic("src/a.rs:12:5: index 3 out of 2"), panic("src/b.rs:12:5: index 3 out of 2"));
    }

    #[test]
    fn a_headers_minimised_line_reads_back_as_its_state() {
        for m in [Minimised::Pending, Minimised::Yes, Minimised::Partly, Minimised::No, Minimised::Off] {
            assert_eq!(Minimised::from_header(&m.header(Duration::from_secs(60))), Some(m), "{m:?}");
        }
        // Files saved before minimising had states: `yes`, `no: …`.
        assert_eq!(
            Minimised::from_header("no: the minimised script did not show the signature again"),
            Some(Minimised::No)
        );
        assert_eq!(Minimised::from_header("maybe"), None);
    }

    #[test]
    fn minimise_keeps_only_what_the_predicate_needs() {
        let text = ";; c\n(module $a)\n(register \"a\" $a)\n(invoke \"keep\" (i32.const 1))\n(module (; x ;) $b)\n";
        let min = minimise(text, &mut |t: &str| t.contains("keep"));
        assert_eq!(min, "(invoke \"keep\" (i32.const 1))\n");
    }
}
