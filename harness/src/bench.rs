//! `lockstep bench`: the model against wasmi on the same workloads, as a
//! ratio of wall times measured in one run (same machine, same moment).
//!
//! Each workload is a module in `corpus/bench/` exporting `run: [i32] -> [i32]`;
//! both engines must return the same value, or the benchmark fails.

use std::time::{Duration, Instant};

use model::embed::{self, ExternVal};
use model::runtime::Value;

/// A workload: its name, its module, and the argument to `run`.
pub struct Workload {
    pub name: &'static str,
    pub wat: &'static str,
    pub arg: i32,
}

pub const WORKLOADS: &[Workload] = &[
    Workload { name: "fib(25)", wat: include_str!("../../corpus/bench/fib.wat"), arg: 25 },
    Workload { name: "memory loop (1M)", wat: include_str!("../../corpus/bench/memory.wat"), arg: 1_000_000 },
    Workload {
        name: "call_indirect loop (1M)",
        wat: include_str!("../../corpus/bench/call_indirect.wat"),
        arg: 1_000_000,
    },
];

/// One workload's figures: the median time of each engine, and their ratio.
pub struct Figures {
    pub name: &'static str,
    pub model: Duration,
    pub wasmi: Duration,
}

impl Figures {
    pub fn ratio(&self) -> f64 {
        self.model.as_secs_f64() / self.wasmi.as_secs_f64()
    }
}

/// Runs every workload (or those whose name contains `only`) `reps` times on each engine (alternating, so that
/// both see the same machine), after checking that they agree.
pub fn run(reps: usize, only: Option<&str>) -> Result<Vec<Figures>, String> {
    WORKLOADS.iter().filter(|w| only.is_none_or(|o| w.name.contains(o))).map(|w| measure(w, reps)).collect()
}

fn measure(w: &Workload, reps: usize) -> Result<Figures, String> {
    let bytes = wat::parse_str(w.wat).map_err(|e| format!("{}: {e}", w.name))?;
    let (mut model_times, mut wasmi_times) = (Vec::new(), Vec::new());
    for _ in 0..reps {
        let (t, a) = time(|| run_model(&bytes, w.arg));
        let (u, b) = time(|| run_wasmi(&bytes, w.arg));
        let (a, b) = (a?, b?);
        if a != b {
            return Err(format!("{}: the model returned {a}, wasmi {b}", w.name));
        }
        model_times.push(t);
        wasmi_times.push(u);
    }
    Ok(Figures { name: w.name, model: median(model_times), wasmi: median(wasmi_times) })
}

fn time<T>(f: impl FnOnce() -> T) -> (Duration, T) {
    let start = Instant::now();
    let r = f();
    (start.elapsed(), r)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn run_model(bytes: &[u8], arg: i32) -> Result<i32, String> {
    let mut store = embed::store_init();
    let module = embed::module_decode(bytes).map_err(|e| e.to_string())?;
    let module = embed::module_validate(module).map_err(|e| e.to_string())?;
    let inst = embed::module_instantiate(&mut store, &module, &[]).map_err(|e| e.to_string())?;
    let Some(ExternVal::Func(f)) = embed::instance_export(&store, inst, "run") else {
        return Err("no export run".into());
    };
    match embed::func_invoke(&mut store, f, &[Value::I32(arg as u32)]).map_err(|e| e.to_string())?[..] {
        [Value::I32(r)] => Ok(r as i32),
        ref other => Err(format!("run returned {other:?}")),
    }
}

fn run_wasmi(bytes: &[u8], arg: i32) -> Result<i32, String> {
    let engine = wasmi::Engine::default();
    let module = wasmi::Module::new(&engine, bytes).map_err(|e| e.to_string())?;
    let mut store = wasmi::Store::new(&engine, ());
    let linker = wasmi::Linker::<()>::new(&engine);
    let instance = linker.instantiate_and_start(&mut store, &module).map_err(|e| e.to_string())?;
    let run = instance.get_typed_func::<i32, i32>(&store, "run").map_err(|e| e.to_string())?;
    run.call(&mut store, arg).map_err(|e| e.to_string())
}

/// The script runner's cost per directive at a script length: a script of
/// one module and `n` `assert_return`s, run in this process on `engines`.
pub struct RunnerFigures {
    pub n: usize,
    pub engines: String,
    /// The median wall time of the whole script.
    pub total: Duration,
}

impl RunnerFigures {
    /// Microseconds per directive.
    pub fn per_directive_us(&self) -> f64 {
        self.total.as_secs_f64() * 1e6 / self.n as f64
    }
}

/// The script lengths `bench --runner` measures: the cost per directive
/// must stay flat across them (it grew 5× from 1,000 to 8,000 when every
/// directive's line was found by scanning the text from its start).
pub const RUNNER_LENGTHS: [usize; 4] = [1_000, 4_000, 16_000, 64_000];

/// The runner over growing scripts, on the model alone and on the default engines.
pub fn runner(reps: usize) -> Result<Vec<RunnerFigures>, String> {
    let mut figures = Vec::new();
    for engines in ["model", "model,wasmi,wasmtime"] {
        for n in RUNNER_LENGTHS {
            let mut text = String::from(
                "(module (func (export \"f\") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1))))\n",
            );
            for i in 0..n {
                text.push_str(&format!("(assert_return (invoke \"f\" (i32.const {i})) (i32.const {}))\n", i + 1));
            }
            let mut times = Vec::new();
            for _ in 0..reps {
                let made = engines
                    .split(',')
                    .map(|e| crate::engine::make(e, Default::default()))
                    .collect::<Result<Vec<_>, _>>()?;
                let (t, r) = time(|| crate::wast::run_script("runner.wast", &text, made));
                if r.passed != n + 1 {
                    return Err(format!("runner bench: {} of {} checks passed", r.passed, n + 1));
                }
                times.push(t);
            }
            figures.push(RunnerFigures { n, engines: engines.to_string(), total: median(times) });
        }
    }
    Ok(figures)
}

/// The engine sets `bench --campaign` measures each generator with: the
/// reference alone, with the interpreter, and with the compiler campaigns run.
pub const CAMPAIGN_ENGINES: [&str; 3] = ["model", "model,wasmi", "model,wasmi,wasmtime-quick"];

/// One fixed-case campaign's figures.
pub struct CampaignFigures {
    pub generator: crate::campaign::Generator,
    pub engines: &'static str,
    /// Cases run (case numbers from which the generator made a script).
    pub cases: u64,
    /// Where the campaign's time went (one job).
    pub split: crate::campaign::TimeSplit,
    /// Wall-clock seconds of the whole campaign.
    pub wall: Duration,
}

impl CampaignFigures {
    /// Cases per second per core: the cases over the job's seconds (one
    /// job keeps one core busy: its worker runs while it waits).
    pub fn cases_per_sec(&self) -> f64 {
        self.cases as f64 / self.split.jobs.max(1e-9)
    }

    /// `secs` as a percentage of the job's time.
    pub fn pct(&self, secs: f64) -> f64 {
        100.0 * secs / self.split.jobs.max(1e-9)
    }
}

/// Campaigns of cases `0..cases` of seed 1, one job, no time bound and
/// minimising off (the jobs' throughput, which minimising does not touch:
/// it runs beside them), for every generator and engine set of
/// [`CAMPAIGN_ENGINES`]. Their findings go to a temporary folder, removed
/// at the end.
pub fn campaigns(cases: u64) -> Result<Vec<CampaignFigures>, String> {
    use crate::campaign::{self, Generator, Options};
    let out = std::env::temp_dir().join(format!("lockstep-bench-campaign-{}", std::process::id()));
    let known = crate::report::Known::load(crate::report::DEFAULT_KNOWN).unwrap_or_default();
    let mut figures = Vec::new();
    for generator in Generator::ALL {
        for engines in CAMPAIGN_ENGINES {
            let opts = Options {
                seconds: None,
                cases: Some(cases),
                seed: 1,
                jobs: 1,
                out: out.join(format!("{}-{}", generator.name(), engines.replace(',', "-"))),
                engines: engines.split(',').map(String::from).collect(),
                generator,
                case_timeout: Duration::from_secs(60),
                minimise: Duration::ZERO,
                known: known.clone(),
            };
            let (wall, summary) = time(|| campaign::run(&opts, &mut |_, _| {}));
            let stats = summary?.stats;
            figures.push(CampaignFigures {
                generator,
                engines,
                cases: stats.cases,
                split: campaign::TimeSplit::of(&stats),
                wall,
            });
        }
    }
    let _ = std::fs::remove_dir_all(&out);
    Ok(figures)
}
