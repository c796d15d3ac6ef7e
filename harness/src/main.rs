//! The `lockstep` command.

use std::io::Write;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Args, Parser, Subcommand};
use lockstep::report::{self, Known, Totals};
use lockstep::wast::ScriptReport;
use lockstep::worker::{self, Isolation};
use lockstep::{bench, engine, scripts};

#[derive(Parser)]
#[command(name = "lockstep", about = "WebAssembly dynamic linking, checked in lockstep")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run .wast scripts (files, directories, or `spec:wasm-v2[/NAME.wast]`)
    /// in lockstep on several engines, comparing them after every step: one
    /// line per script.
    Wast(RunArgs),
    /// The same, shown as a table of scripts × engines with progress.
    Run(RunArgs),
    /// Rerun one script and print its full report: every divergence with
    /// its step and the modules as WAT.
    Replay {
        #[command(flatten)]
        opts: Opts,
        script: String,
    },
    /// Run one script on the model alone and print every reduction step.
    Trace { script: String },
    /// Time the model against wasmi on the workloads in corpus/bench.
    Bench {
        /// Repetitions per workload and engine (the median is reported).
        #[arg(long, default_value_t = 5)]
        reps: usize,
        /// Only the workloads whose name contains this.
        #[arg(long)]
        only: Option<String>,
    },
    /// Run one script in this process and print its report as JSON (what
    /// the other commands run in each worker process).
    #[command(hide = true)]
    Worker {
        #[arg(long, value_delimiter = ',')]
        engines: Vec<String>,
        /// Read scripts from stdin, one JSON string per line (for `fuzz`).
        #[arg(long)]
        stream: bool,
        /// Engines halted before given steps, as JSON (crashes found earlier).
        #[arg(long, default_value = "[]")]
        halts: String,
        script: String,
    },
    /// A fuzzing campaign on this machine: generated linking scenarios run in
    /// lockstep; divergences minimised, deduplicated and saved as .wast.
    Fuzz {
        /// How long to run.
        #[arg(long, default_value_t = 60)]
        seconds: u64,
        /// The campaign's seed: case N of seed S is always the same script.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Parallel jobs, each with its own worker process.
        #[arg(long, default_value_t = 1)]
        jobs: usize,
        /// Where findings go.
        #[arg(long, default_value = "fuzz-findings")]
        out: String,
        /// `scenario`, `pair` or `both`.
        #[arg(long, default_value = "both")]
        generator: String,
        /// Engines, the reference first. wasmtime compiles quickly here
        /// (`wasmtime-quick`: same runtime, Cranelift unoptimised), because
        /// compiling generated modules is most of a case's time.
        #[arg(long, default_value = "model,wasmi,wasmtime-quick", value_delimiter = ',')]
        engines: Vec<String>,
    },
}

#[derive(Args)]
struct Opts {
    /// Engines to run, the reference first (also: wasmtime-quick, wasmtime-winch).
    #[arg(long, default_value = "model,wasmi,wasmtime", value_delimiter = ',')]
    engines: Vec<String>,
    /// Known engine bugs (`script line engine signature finding`): each excuses exactly that difference.
    #[arg(long, default_value = report::DEFAULT_KNOWN)]
    known: String,
    /// Seconds a script may run in its worker before it counts as a hang.
    #[arg(long, default_value_t = 600)]
    timeout: u64,
}

#[derive(Args)]
struct RunArgs {
    #[command(flatten)]
    opts: Opts,
    /// Print every skipped check with its reason.
    #[arg(long)]
    verbose: bool,
    /// Also write the reports as JSON to this file.
    #[arg(long)]
    json: Option<String>,
    #[arg(required = true)]
    paths: Vec<String>,
}

/// Commands whose output a person reads end quietly when the reader goes
/// away (`lockstep wast DIR | head -1`), as other command-line tools do, not
/// with a panic. Not `fuzz`: it writes to its workers' pipes, and a worker
/// that died must be an error it handles, not the end of the campaign.
fn end_quietly_on_closed_output() {
    #[cfg(unix)]
    // SAFETY: restoring the default action of a signal before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn main() -> ExitCode {
    let command = Cli::parse().command;
    if matches!(
        command,
        Command::Wast(_) | Command::Run(_) | Command::Replay { .. } | Command::Trace { .. } | Command::Bench { .. }
    ) {
        end_quietly_on_closed_output();
    }
    let result = match command {
        Command::Wast(args) => run(&args, false),
        Command::Run(args) => run(&args, true),
        Command::Replay { opts, script } => replay(&opts, &script),
        Command::Trace { script } => trace(&script),
        Command::Bench { reps, only } => run_bench(reps, only.as_deref()),
        Command::Worker { engines, stream: true, .. } => worker::stream_main(&engines).map(|()| true),
        Command::Worker { engines, script, halts, .. } => serde_json::from_str(&halts)
            .map_err(|e| format!("bad --halts: {e}"))
            .and_then(|halts: Vec<lockstep::wast::Halt>| worker::worker_main(&script, &engines, &halts))
            .map(|()| true),
        Command::Fuzz { seconds, seed, jobs, out, generator, engines } => {
            fuzz(seconds, seed, jobs, &out, &generator, engines)
        }
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("lockstep: {e}");
            ExitCode::from(2)
        }
    }
}

/// Checks the options; the known findings (none if the default file is absent).
fn setup(opts: &Opts) -> Result<(Isolation, Known), String> {
    for e in &opts.engines {
        engine::make(e, Default::default())?;
    }
    let known = match Known::load(&opts.known) {
        Ok(k) => k,
        // Only a missing default file is no findings; a malformed one is an error.
        Err(_) if opts.known == report::DEFAULT_KNOWN && !std::path::Path::new(&opts.known).exists() => {
            Known::default()
        }
        Err(e) => return Err(e),
    };
    Ok((Isolation::this_exe(Duration::from_secs(opts.timeout))?, known))
}

fn run(args: &RunArgs, as_table: bool) -> Result<bool, String> {
    let (iso, known) = setup(&args.opts)?;
    let mut scripts = Vec::new();
    for path in &args.paths {
        let found = scripts::resolve(path)?;
        if found.is_empty() {
            return Err(format!("{path}: no .wast scripts there"));
        }
        scripts.extend(found);
    }
    // Fail now, not after the whole run, if the report cannot be written.
    if let Some(path) = &args.json {
        std::fs::OpenOptions::new().create(true).append(true).open(path).map_err(|e| format!("{path}: {e}"))?;
    }
    let (mut reports, mut totals) = (Vec::<ScriptReport>::new(), Totals::default());
    let start = Instant::now();
    for (i, script) in scripts.iter().enumerate() {
        let r = worker::run_isolated(&iso, &script.name, &args.opts.engines);
        totals.add(&r, &known);
        if as_table {
            // Progress on stderr; the table on stdout at the end.
            eprint!(
                "\r[{}/{}] {:.0}s, {} divergences, {} failed checks  ",
                i + 1,
                scripts.len(),
                start.elapsed().as_secs_f64(),
                totals.divergences,
                totals.failed
            );
            let _ = std::io::stderr().flush();
        } else {
            print!("{}", report::script_lines(&r, &known, args.verbose));
        }
        reports.push(r);
    }
    if as_table {
        eprintln!();
        print!("{}", report::table(&reports, &known));
        for r in &reports {
            for d in &r.divergences {
                print!("{}", report::divergence(r, d, &known));
            }
        }
    }
    print!("{}", totals.lines());
    if let Some(path) = &args.json {
        let json = serde_json::to_string_pretty(&report::Json { scripts: &reports, totals: &totals })
            .map_err(|e| e.to_string())?;
        std::fs::write(path, json).map_err(|e| format!("{path}: {e}"))?;
    }
    Ok(totals.ok())
}

fn replay(opts: &Opts, script: &str) -> Result<bool, String> {
    let (iso, known) = setup(opts)?;
    let found = scripts::resolve(script)?;
    let [s] = &found[..] else { return Err(format!("{script} is not one script")) };
    let r = worker::run_isolated(&iso, &s.name, &opts.engines);
    print!("{}", report::full(&r, &s.text, &known));
    let mut totals = Totals::default();
    totals.add(&r, &known);
    Ok(totals.ok())
}

fn fuzz(
    seconds: u64,
    seed: u64,
    jobs: usize,
    out: &str,
    generator: &str,
    engines: Vec<String>,
) -> Result<bool, String> {
    use lockstep::campaign::{self, Generator, Options};
    let generator = match generator {
        "scenario" => Generator::Scenario,
        "pair" => Generator::Pair,
        "both" => Generator::Both,
        other => return Err(format!("no generator {other} (scenario, pair, both)")),
    };
    if jobs == 0 {
        return Err("--jobs must be at least 1".into());
    }
    for e in &engines {
        engine::make(e, Default::default())?;
    }
    let opts = Options {
        seconds,
        seed,
        jobs,
        out: out.into(),
        engines,
        generator,
        case_timeout: Duration::from_secs(60),
        known: Known::load(report::DEFAULT_KNOWN)?,
    };
    let (mut last, mut last_events) = (0.0, 0.0);
    let stats = campaign::run(&opts, &mut |s, t| {
        // Every 30 s, a line of its own: the linking events so far.
        if t - last_events >= 30.0 {
            last_events = t;
            eprintln!("\r[{t:>5.0}s] events: {}", s.events.compact());
        }
        if t - last >= 1.0 {
            last = t;
            eprint!(
                "\r[{t:>5.0}s] {} cases ({:.0}/s): {} agree, {} poisoned, {} diverged ({} known), {} findings  ",
                s.cases,
                s.cases as f64 / t.max(0.001),
                s.agree,
                s.poisoned,
                s.diverged,
                s.known,
                s.findings
            );
            let _ = std::io::stderr().flush();
        }
    })?;
    eprintln!();
    println!("events: {}", stats.events);
    print!("{}", campaign::time_table(&stats, &opts.engines));
    for f in &stats.saved {
        let known = f.known.as_ref().map_or(String::new(), |k| format!("  (signature of known finding {k})"));
        println!("finding {}: {}{known}", f.file.display(), f.signature);
    }
    println!(
        "fuzz: {} cases, {} agree, {} poisoned, {} diverged ({} with known signatures only), {} findings",
        stats.cases, stats.agree, stats.poisoned, stats.diverged, stats.known, stats.findings
    );
    // A finding without a known finding's signature fails the run.
    let new = stats.saved.iter().filter(|f| f.known.is_none()).count();
    if new > 0 {
        println!("new findings: {new} (in {out})");
    }
    Ok(new == 0)
}

fn trace(script: &str) -> Result<bool, String> {
    let found = scripts::resolve(script)?;
    let [s] = &found[..] else { return Err(format!("{script} is not one script")) };
    // A script that does not parse, or has nothing to run, is an error.
    match lockstep::wast::count_directives(&s.text) {
        Err(e) => return Err(format!("{}: cannot parse: {e}", s.name)),
        Ok(0) => return Err(format!("{}: no directives to trace", s.name)),
        Ok(_) => {}
    }
    let (text, report) = lockstep::trace::trace_report(&s.name, &s.text);
    print!("{text}");
    Ok(report.failed.is_empty())
}

fn run_bench(reps: usize, only: Option<&str>) -> Result<bool, String> {
    if cfg!(debug_assertions) {
        eprintln!("lockstep: warning: a debug build; use `cargo run --release -- bench`");
    }
    let figures = bench::run(reps.max(1), only)?;
    println!("{:<26} {:>12} {:>12} {:>10}", "workload", "model", "wasmi", "model/wasmi");
    for f in &figures {
        println!("{:<26} {:>12.2?} {:>12.2?} {:>9.1}x", f.name, f.model, f.wasmi, f.ratio());
    }
    Ok(true)
}
