//! The `lockstep` command.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use clap::{Args, Parser, Subcommand};
use lockstep::engine::CacheLimit;
use lockstep::report::{self, Known, ScriptStatus, Status, Totals};
use lockstep::wast::ScriptReport;
use lockstep::worker::{self, Isolation};
use lockstep::{bench, engine, output, scripts};

/// The exit statuses of `wast`, `run` and `replay`, for `--help`.
const EXIT_STATUS: &str = "\
Exit status (wast, run, replay):
  0  every check passed and no new divergence (known findings excepted)
  1  a check failed or a new divergence; or nothing was checked (no check
     passed) or compared (one engine given, or no other engine compared on
     any step), unless --allow-nothing-compared
  2  the command could not run: bad arguments, an unknown engine, an
     unreadable path or known-findings file, no .wast scripts, an output
     file that cannot be written";

/// `--version`: this build's version, then every engine's as it links it.
fn long_version() -> &'static str {
    static TEXT: LazyLock<String> = LazyLock::new(|| {
        let all: Vec<String> = engine::ALL.iter().map(|e| e.to_string()).collect();
        format!("{}\nengines: {}", env!("CARGO_PKG_VERSION"), engine::versions(&all).join(", "))
    });
    &TEXT
}

#[derive(Parser)]
#[command(
    name = "lockstep",
    about = "WebAssembly dynamic linking, checked in lockstep",
    version,
    long_version = long_version(),
    after_help = EXIT_STATUS
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run .wast scripts (files, directories, or `spec:wasm-v2[/NAME.wast]`)
    /// in lockstep on several engines, comparing them after every step: one
    /// line per script.
    #[command(after_help = EXIT_STATUS)]
    Wast(RunArgs),
    /// The same, shown as a table of scripts × engines with progress.
    #[command(after_help = EXIT_STATUS)]
    Run(RunArgs),
    /// Rerun one script and print its full report: every divergence with
    /// its step and the modules as WAT.
    #[command(after_help = EXIT_STATUS)]
    Replay {
        #[command(flatten)]
        opts: Opts,
        script: String,
    },
    /// Run one script on the model alone and print every reduction step.
    ///
    /// Steps are printed as they are taken: under each directive's
    /// `;; line N` header, the steps of each instantiation or invocation it
    /// ran, then that operation's host calls and its line `<what>: <N>
    /// steps, <outcome>`. Exits 1 if a check of the script fails on the
    /// model, 2 if the script cannot be read or parsed.
    Trace {
        /// Steps printed per operation (an instantiation or invocation,
        /// with everything it runs, such as a module a dlopen
        /// instantiates); the rest are counted, and the operation's line
        /// gives the total. 0: no steps, only each operation's host calls,
        /// step count and outcome.
        #[arg(long, default_value_t = lockstep::trace::DEFAULT_MAX_STEPS)]
        max_steps: usize,
        /// One .wast script: a file, or `spec:wasm-v2/NAME.wast`.
        script: String,
    },
    /// Time the model against wasmi on the workloads in corpus/bench.
    Bench {
        /// Repetitions per workload and engine (the median is reported).
        #[arg(long, default_value_t = 5)]
        reps: usize,
        /// Only the workloads whose name contains this.
        #[arg(long)]
        only: Option<String>,
        /// Instead: the script runner's cost per directive over growing
        /// scripts (it must stay flat).
        #[arg(long, conflicts_with = "campaign")]
        runner: bool,
        /// Instead: campaign throughput. A campaign of --cases cases (seed 1,
        /// one job, minimising off) per generator (scenario, pair, both) and
        /// engine set (model; model,wasmi; model,wasmi,wasmtime-quick): cases
        /// per second per core, and where the job's time went.
        #[arg(long)]
        campaign: bool,
        /// Cases per campaign of --campaign.
        #[arg(long, value_name = "N", default_value_t = 300, requires = "campaign")]
        cases: u64,
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
        /// Compiled modules the worker keeps, over all its engines, so that
        /// a module met again is not compiled again (0: none).
        #[arg(long, default_value_t = CacheLimit::default().entries)]
        cache_modules: usize,
        /// The most wasm bytes those modules may sum to, in MiB.
        #[arg(long, default_value_t = CacheLimit::default().bytes >> 20)]
        cache_mib: usize,
        script: String,
    },
    /// A fuzzing campaign on this machine: generated linking scenarios run in
    /// lockstep; divergences minimised, deduplicated and saved as .wast.
    #[command(after_help = FUZZ_AFTER_HELP)]
    Fuzz(FuzzArgs),
}

#[derive(Args)]
struct Opts {
    /// Engines to run, the reference first (also: wasmtime-quick, wasmtime-winch).
    #[arg(long, default_value = "model,wasmi,wasmtime", value_delimiter = ',')]
    engines: Vec<String>,
    /// Known engine bugs (`script line engine signature finding`): each excuses exactly that difference.
    #[arg(long, default_value = report::DEFAULT_KNOWN)]
    known: String,
    /// Seconds one step (directive) may run in its worker before it counts
    /// as a hang; a step that only all engines together make this slow is
    /// reported as the harness's timeout, not an engine's.
    #[arg(long, default_value_t = 120)]
    timeout: u64,
    /// Pass even if nothing was checked (no check passed) or nothing was
    /// compared (one engine, such as the model alone on the official suite).
    #[arg(long)]
    allow_nothing_compared: bool,
}

#[derive(Args)]
struct RunArgs {
    #[command(flatten)]
    opts: Opts,
    /// Print every skipped check with its reason.
    #[arg(long)]
    verbose: bool,
    /// Print only the scripts that failed or diverged (known findings
    /// included), and the totals.
    #[arg(long, conflicts_with = "verbose")]
    quiet: bool,
    /// Also write the reports as JSON to this file (schema: book/src/json.md).
    #[arg(long)]
    json: Option<String>,
    /// Also write a JUnit XML report to this file: a test case per script.
    #[arg(long)]
    junit: Option<String>,
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
        Command::Trace { max_steps, script } => trace(&script, max_steps),
        Command::Bench { reps, runner: true, .. } => run_runner_bench(reps),
        Command::Bench { campaign: true, cases, .. } => run_campaign_bench(cases),
        Command::Bench { reps, only, .. } => run_bench(reps, only.as_deref()),
        Command::Worker { engines, stream, halts, cache_modules, cache_mib, script } => {
            let cache = CacheLimit { entries: cache_modules, bytes: cache_mib << 20 };
            if stream {
                worker::stream_main(&engines, cache).map(|()| true)
            } else {
                serde_json::from_str(&halts)
                    .map_err(|e| format!("bad --halts: {e}"))
                    .and_then(|halts: Vec<lockstep::wast::Halt>| worker::worker_main(&script, &engines, &halts, cache))
                    .map(|()| true)
            }
        }
        Command::Fuzz(args) => fuzz(&args),
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
    Ok((Isolation::this_exe(Duration::from_secs(opts.timeout))?, load_known(&opts.known)?))
}

/// The known findings at `path`. Only a missing *default* file (a binary
/// whose clone is gone) is no findings, which the totals then say; a
/// missing named file, or a malformed one, is an error.
fn load_known(path: &str) -> Result<Known, String> {
    match Known::load(path) {
        Ok(k) => Ok(k),
        Err(_) if path == report::DEFAULT_KNOWN && !std::path::Path::new(path).exists() => Ok(Known::default()),
        Err(e) => Err(e),
    }
}

/// How often `lockstep run` writes a progress line when stderr is not a
/// terminal (a CI log), where a redrawn line would pile up.
const PROGRESS_EVERY: Duration = Duration::from_secs(10);

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
    // Fail now, not after the whole run, if a report cannot be written.
    for path in args.json.iter().chain(&args.junit) {
        output::check_writable(path)?;
    }
    let shown = |r: &ScriptReport| {
        !args.quiet || matches!(report::script_status(r, &known), ScriptStatus::Fail | ScriptStatus::Known)
    };
    let (mut reports, mut totals) = (Vec::<ScriptReport>::new(), Totals::default());
    let start = Instant::now();
    let terminal = std::io::stderr().is_terminal();
    let mut last_progress = Instant::now();
    for (i, script) in scripts.iter().enumerate() {
        let r = worker::run_isolated(&iso, &script.name, &args.opts.engines);
        totals.add(&r, &known);
        if as_table {
            // Progress on stderr; the table on stdout at the end.
            let progress = format!(
                "[{}/{}] {:.0}s, {} divergences, {} failed checks",
                i + 1,
                scripts.len(),
                start.elapsed().as_secs_f64(),
                totals.divergences,
                totals.failed
            );
            if terminal {
                eprint!("\r{progress}  ");
                let _ = std::io::stderr().flush();
            } else if i + 1 == scripts.len() || last_progress.elapsed() >= PROGRESS_EVERY {
                eprintln!("{progress}; last: {}", script.name);
                last_progress = Instant::now();
            }
        } else if shown(&r) {
            print!("{}", report::script_lines(&r, &known, args.verbose));
        }
        reports.push(r);
    }
    if as_table {
        if terminal {
            eprintln!();
        }
        let rows: Vec<ScriptReport> = reports.iter().filter(|r| shown(r)).cloned().collect();
        print!("{}", report::table(&rows, &known));
        for r in &rows {
            for d in &r.divergences {
                print!("{}", report::divergence(r, d, &known));
            }
        }
    }
    let status = totals.status(args.opts.allow_nothing_compared);
    print!("{}{}", totals.lines(), status.line());
    let run = output::Run {
        engines: &args.opts.engines,
        reports: &reports,
        totals: &totals,
        status: &status,
        known: &known,
        seconds: start.elapsed().as_secs_f64(),
    };
    if let Some(path) = &args.json {
        output::write(path, &output::json(&run))?;
    }
    if let Some(path) = &args.junit {
        output::write(path, &output::junit(&run))?;
    }
    Ok(status.status == Status::Pass)
}

fn replay(opts: &Opts, script: &str) -> Result<bool, String> {
    let (iso, known) = setup(opts)?;
    let found = scripts::resolve(script)?;
    let [s] = &found[..] else { return Err(format!("{script} is not one script")) };
    let r = worker::run_isolated(&iso, &s.name, &opts.engines);
    print!("{}", report::full(&r, &s.text, &known));
    let mut totals = Totals::default();
    totals.add(&r, &known);
    let status = totals.status(opts.allow_nothing_compared);
    println!("engines: {}", engine::versions(&opts.engines).join(", "));
    print!("{}", status.line());
    Ok(status.status == Status::Pass)
}

/// The arguments of `lockstep fuzz`.
#[derive(Args)]
struct FuzzArgs {
    /// Stop starting cases after this many seconds [default: 60 unless
    /// --cases is given].
    #[arg(long)]
    seconds: Option<u64>,
    /// Run cases 0..N, each once whatever --jobs: the same cases every time
    /// (bound a CI's campaign by this, not by time).
    #[arg(long, value_name = "N")]
    cases: Option<u64>,
    /// The campaign's seed: case N of seed S is always the same script.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Print case N of --seed, as --generator makes it (the original script
    /// a finding's header names), instead of running a campaign; run it
    /// with `lockstep replay`.
    #[arg(long, value_name = "N", conflicts_with_all = ["seconds", "cases", "jobs", "out", "engines", "minimise_seconds"])]
    case: Option<u64>,
    /// Parallel jobs, each with its own worker process.
    #[arg(long, default_value_t = 1)]
    jobs: usize,
    /// Where findings and the summary go.
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
    /// Seconds minimising one finding may take, in a thread of its own
    /// beside the cases (a finding is saved at once as generated, then
    /// replaced by its minimised script); 0: not minimised.
    #[arg(long, value_name = "SECONDS", default_value_t = 60.0)]
    minimise_seconds: f64,
    /// Known findings (`script line engine signature finding`): a
    /// divergence whose every difference has the signature of one is not new.
    #[arg(long, default_value = report::DEFAULT_KNOWN)]
    known: String,
}

/// What `lockstep fuzz --help` says after the options: the folder and the
/// exit status a CI gates on.
const FUZZ_AFTER_HELP: &str = "\
The output folder holds each finding as finding-<hash>.wast, named by its signature and \
original script (a finding already there is not written again; another never replaces it), \
with a header that gives its seed, case, generator, engines and their versions, and how far \
it is minimised (pending until the minimiser, beside the cases, replaces it), and a .json of \
its reports; and summary.json and summary.txt, rewritten every few seconds while the \
campaign runs. A crash is rerun isolated (to place and attribute it) the first time its \
unattributed signature (engines, kind of step, how the worker ended) is met; later ones are \
counted as that one and rerun without the engine it was attributed to.

Exit status:
  0  no new finding (with --case: the script was printed)
  1  new findings: divergences whose signature no known finding (corpus/findings/known.txt) has
  2  the campaign could not run (bad options, an --out that cannot be written, a worker that
     cannot start, a --case from whose bytes the generator makes no script)";

fn fuzz(args: &FuzzArgs) -> Result<bool, String> {
    use lockstep::campaign::{self, Generator, Options};
    let generator = Generator::from_name(&args.generator)?;
    if let Some(n) = args.case {
        let case = campaign::case(generator, args.seed, n).ok_or_else(|| {
            format!(
                "case {n} of seed {} makes no script with generator {} (a campaign skips it)",
                args.seed,
                generator.name()
            )
        })?;
        print!("{}", case.text);
        return Ok(true);
    }
    if args.jobs == 0 {
        return Err("--jobs must be at least 1".into());
    }
    if args.cases == Some(0) {
        return Err("--cases must be at least 1".into());
    }
    let minimise = Duration::try_from_secs_f64(args.minimise_seconds)
        .map_err(|_| format!("--minimise-seconds {}: not a number of seconds", args.minimise_seconds))?;
    for e in &args.engines {
        engine::make(e, Default::default())?;
    }
    let opts = Options {
        seconds: args.seconds.or(if args.cases.is_none() { Some(60) } else { None }),
        cases: args.cases,
        seed: args.seed,
        jobs: args.jobs,
        out: args.out.clone().into(),
        engines: args.engines.clone(),
        generator,
        case_timeout: Duration::from_secs(60),
        minimise,
        known: load_known(&args.known)?,
    };
    let (mut last, mut last_events) = (0.0, 0.0);
    // On a terminal a line redrawn every second; in a CI log a line every 10 s.
    let (terminal, every) = match std::io::stderr().is_terminal() {
        true => (true, 1.0),
        false => (false, 10.0),
    };
    let summary = campaign::run(&opts, &mut |s, t| {
        // Every 30 s, a line of its own: the linking events so far.
        if t - last_events >= 30.0 {
            last_events = t;
            eprintln!("{}[{t:>5.0}s] events: {}", if terminal { "\r" } else { "" }, s.events.compact());
        }
        if t - last >= every {
            last = t;
            let pending = s.saved.iter().filter(|f| f.minimised == campaign::Minimised::Pending).count();
            let (start, end) = if terminal { ("\r", "  ") } else { ("", "\n") };
            eprint!(
                "{start}[{t:>5.0}s] {} cases ({:.0}/s): {} agree, {} poisoned, {} diverged ({} known), {} findings \
                 ({pending} being minimised){end}",
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
    if terminal {
        eprintln!();
    }
    print!("{}", summary.text());
    // A finding without a known finding's signature fails the run.
    Ok(summary.new_findings == 0)
}

fn trace(script: &str, max_steps: usize) -> Result<bool, String> {
    let found = scripts::resolve(script)?;
    let [s] = &found[..] else { return Err(format!("{script} is not one script")) };
    // A script that does not parse, or has nothing to run, is an error.
    match lockstep::wast::count_directives(&s.text) {
        Err(e) => return Err(format!("{}: cannot parse: {e}", s.name)),
        Ok(0) => return Err(format!("{}: no directives to trace", s.name)),
        Ok(_) => {}
    }
    // Buffered, and flushed by the trace before each directive: a step per
    // write would cost a system call each.
    let out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout());
    let report = lockstep::trace::trace_to(&s.name, &s.text, max_steps, Box::new(out))
        .map_err(|e| format!("{}: writing the trace: {e}", s.name))?;
    Ok(report.failed.is_empty())
}

fn run_runner_bench(reps: usize) -> Result<bool, String> {
    println!("{:<22} {:>8} {:>12} {:>14}", "engines", "N", "total", "per directive");
    for f in bench::runner(reps.max(1))? {
        println!("{:<22} {:>8} {:>12.2?} {:>11.1} µs", f.engines, f.n, f.total, f.per_directive_us());
    }
    Ok(true)
}

fn run_campaign_bench(cases: u64) -> Result<bool, String> {
    if cfg!(debug_assertions) {
        eprintln!("lockstep: warning: a debug build; use `cargo run --release -- bench --campaign`");
    }
    if cases == 0 {
        return Err("--cases must be at least 1".into());
    }
    let figures = bench::campaigns(cases)?;
    println!(
        "campaigns of cases 0..{cases}, seed 1, one job, minimising off; cases/s per core = cases / the job's \
         seconds; the job's time in %:"
    );
    let columns = ["generate", "compile", "instantiate", "run", "observe", "runner", "workers", "crashes", "other"];
    print!("{:<9} {:<27} {:>6} {:>8} {:>9}", "generator", "engines", "cases", "wall", "cases/s");
    for c in columns {
        print!(" {c:>11}");
    }
    println!();
    for f in &figures {
        let s = &f.split;
        let [compile, instantiate, run, observe] = s.phases();
        let parts = [
            s.generate,
            compile,
            instantiate,
            run,
            observe,
            s.parse + s.compare + s.setup,
            s.workers,
            s.restart + s.rerun + s.isolate,
            s.other,
        ];
        print!(
            "{:<9} {:<27} {:>6} {:>7.1}s {:>9.1}",
            f.generator.name(),
            f.engines,
            f.cases,
            f.wall.as_secs_f64(),
            f.cases_per_sec()
        );
        for secs in parts {
            print!(" {:>10.1}%", f.pct(secs));
        }
        println!();
    }
    println!(
        "runner: parsing, comparing, creating engines; workers: round trips, and cases that crashed their worker; \
         crashes: restarting workers, rerunning crashed cases (without their culprits, or isolated)"
    );
    Ok(true)
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
