//! The `lockstep` command.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use lockstep::limits::Limits;
use lockstep::{bench, engine, scripts, wast};

#[derive(Parser)]
#[command(name = "lockstep", about = "WebAssembly dynamic linking, checked in lockstep")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run .wast scripts (files, directories, or `spec:wasm-v2[/NAME.wast]`)
    /// in lockstep on several engines, comparing them after every step.
    Wast {
        /// Engines to run, the reference first.
        #[arg(long, default_value = "model,wasmi", value_delimiter = ',')]
        engines: Vec<String>,
        /// Print every skipped check with its reason.
        #[arg(long)]
        verbose: bool,
        /// Seconds a script may run before it counts as a hang.
        #[arg(long, default_value_t = 600)]
        timeout: u64,
        #[arg(required = true)]
        paths: Vec<String>,
    },
    /// Run one script in this process and print its report as JSON (what
    /// `wast` runs in each worker process).
    #[command(hide = true)]
    Worker {
        #[arg(long, value_delimiter = ',')]
        engines: Vec<String>,
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
    },
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Wast { engines, verbose, timeout, paths } => run_wast(&engines, verbose, timeout, &paths),
        Command::Worker { engines, script } => match lockstep::worker::worker_main(&script, &engines) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("lockstep worker: {e}");
                ExitCode::from(2)
            }
        },
        Command::Bench { reps, only } => run_bench(reps, only.as_deref()),
    }
}

fn run_wast(engines: &[String], verbose: bool, timeout: u64, paths: &[String]) -> ExitCode {
    let limits = Limits::default();
    if let Some(Err(e)) = engines.iter().map(|e| engine::make(e, limits)).find(Result::is_err) {
        eprintln!("lockstep: {e}");
        return ExitCode::from(2);
    }
    let (mut passed, mut failed, mut skipped, mut divergences) = (0, 0, 0, 0);
    for path in paths {
        let scripts = match scripts::resolve(path) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("lockstep: {e}");
                return ExitCode::from(2);
            }
        };
        for script in scripts {
            let r = lockstep::worker::run_isolated(&script.name, engines, std::time::Duration::from_secs(timeout));
            let verdict = if r.ok() { "ok  " } else { "FAIL" };
            println!(
                "{verdict} {}: {} passed, {} failed, {} skipped; {}",
                r.name,
                r.passed,
                r.failed.len(),
                r.skipped.len(),
                r.verdict()
            );
            for note in &r.failed {
                println!("     failed {note}");
            }
            for d in &r.divergences {
                println!("     DIVERGENCE at line {} ({} vs the reference {}):", d.line, d.engine, r.engines[0]);
                for line in d.what.lines() {
                    println!("       {line}");
                }
                println!("       step: {}", first_line(&d.directive));
                println!("       replay: lockstep wast --engines {} {}", engines.join(","), r.name);
            }
            print_skips(&r.skipped, verbose);
            passed += r.passed;
            failed += r.failed.len();
            skipped += r.skipped.len();
            divergences += r.divergences.len();
        }
    }
    println!("wast: {passed} passed, {failed} failed, {skipped} skipped");
    println!("divergences: {divergences}");
    if failed == 0 && divergences == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

fn first_line(s: &str) -> String {
    let line = s.lines().next().unwrap_or("");
    if s.lines().nth(1).is_some() { format!("{line} …") } else { line.to_string() }
}

/// Skips are never silent: each distinct reason with its count, or each skip.
fn print_skips(skips: &[wast::Note], verbose: bool) {
    if verbose {
        for note in skips {
            println!("     skipped {note}");
        }
        return;
    }
    let mut reasons: Vec<(&str, usize)> = Vec::new();
    for note in skips {
        match reasons.iter_mut().find(|(r, _)| *r == note.what) {
            Some((_, n)) => *n += 1,
            None => reasons.push((&note.what, 1)),
        }
    }
    for (reason, n) in reasons {
        println!("     skipped {n}: {reason}");
    }
}

fn run_bench(reps: usize, only: Option<&str>) -> ExitCode {
    if cfg!(debug_assertions) {
        eprintln!("lockstep: warning: a debug build; use `cargo run --release -- bench`");
    }
    match bench::run(reps.max(1), only) {
        Err(e) => {
            eprintln!("lockstep: bench: {e}");
            ExitCode::FAILURE
        }
        Ok(figures) => {
            println!("{:<26} {:>12} {:>12} {:>10}", "workload", "model", "wasmi", "model/wasmi");
            for f in &figures {
                println!("{:<26} {:>12.2?} {:>12.2?} {:>9.1}x", f.name, f.model, f.wasmi, f.ratio());
            }
            ExitCode::SUCCESS
        }
    }
}
