//! `lockstep fuzz` is a campaign a CI can gate on: bounded by a number of
//! cases, exit status 1 on a new finding, findings named by their content
//! that never replace one another, each one's header enough to regenerate
//! its original script, the minimised script replaying to its signature,
//! and a summary in the output folder. An engine wrong on purpose
//! (`faulty-wrong-result`: every i32 result off by one) makes the findings.
//! Engines that crash on purpose (`faulty-abort`, `faulty-wrong-then-abort`)
//! show that a crash is rerun isolated once per unattributed signature and
//! then counted, that nothing hides behind a known crash, and that a finding
//! is saved as generated at once and replaced by its minimised script.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use lockstep::campaign::{self, Generator, header_field};
use lockstep::engine;
use lockstep::limits::Limits;
use lockstep::wast::run_script;
use serde_json::Value;

const FAULTY: &str = "model,faulty-wrong-result";

fn lockstep(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lockstep")).args(args).output().expect("lockstep runs")
}

fn fresh_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lockstep-campaign-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// The arguments of a campaign of the scenario generator over cases `0..cases`.
fn campaign_args(out: &Path, seed: u64, cases: u64, jobs: u64, engines: &str, more: &[&str]) -> Vec<String> {
    let (seed, cases, jobs) = (seed.to_string(), cases.to_string(), jobs.to_string());
    let out = out.to_str().unwrap();
    let args = ["fuzz", "--generator", "scenario", "--seed", &seed, "--cases", &cases, "--jobs", &jobs];
    [&args[..], &["--engines", engines, "--out", out], more].concat().into_iter().map(String::from).collect()
}

/// A campaign of the scenario generator over cases `0..cases`.
fn campaign(out: &Path, seed: u64, cases: u64, jobs: u64, engines: &str) -> Output {
    campaign_with(out, seed, cases, jobs, engines, &[])
}

fn campaign_with(out: &Path, seed: u64, cases: u64, jobs: u64, engines: &str, more: &[&str]) -> Output {
    let args = campaign_args(out, seed, cases, jobs, engines, more);
    Command::new(env!("CARGO_BIN_EXE_lockstep")).args(&args).output().expect("lockstep runs")
}

/// The script of case `case` of `seed`, as the scenario generator makes it.
fn original(seed: u64, case: u64) -> String {
    campaign::case(Generator::Scenario, seed, case).unwrap().text
}

/// A finding's script without its header (which ends with its `replay:`
/// line, or the known finding's line after it).
fn body(text: &str) -> &str {
    let after_replay = text.find("\n;; replay: ").and_then(|i| text[i + 1..].find('\n').map(|j| i + j + 2)).unwrap();
    let rest = &text[after_replay..];
    match rest.strip_prefix(";; has the signature of the known finding") {
        Some(known) => &known[known.find('\n').unwrap() + 1..],
        None => rest,
    }
}

fn summary(out: &Path) -> Value {
    let text = std::fs::read_to_string(out.join("summary.json")).expect("summary.json is written");
    serde_json::from_str(&text).expect("summary.json parses")
}

/// Every saved finding script in `out`, by file name, with its text.
fn finding_files(out: &Path) -> BTreeMap<String, String> {
    std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "wast") && !p.file_name().unwrap().to_string_lossy().starts_with('.')
        })
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read_to_string(&p).unwrap()))
        .collect()
}

fn explain(out: &Output) -> String {
    format!("{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// The counts of a finished campaign over `cases` case numbers add up.
fn check_counts(s: &Value, cases: u64) {
    assert_eq!(s["status"], "finished", "{s}");
    assert_eq!(s["bound_cases"], cases, "{s}");
    let n = |k: &str| s[k].as_u64().unwrap_or_else(|| panic!("{k} in {s}"));
    assert_eq!(n("cases") + n("not_generated"), cases, "every case number once: {s}");
    assert_eq!(n("agree") + n("poisoned") + n("diverged"), n("cases"), "{s}");
    assert_eq!(n("findings"), s["saved"].as_array().unwrap().len() as u64, "{s}");
    assert!(s["elapsed_secs"].as_f64().unwrap() > 0.0 && n("started_unix_secs") > 0, "{s}");
}

#[test]
fn findings_are_reproducible_replay_to_their_signature_and_are_never_overwritten() {
    let out = fresh_dir("faulty");
    // One job: which case is the first to show a signature (and so names
    // its finding) is then the same every time.
    let first = campaign(&out, 7, 30, 1, FAULTY);
    assert_eq!(first.status.code(), Some(1), "a new finding fails the campaign: {}", explain(&first));
    let s = summary(&out);
    check_counts(&s, 30);
    assert_eq!((s["seed"].as_u64(), s["generator"].as_str()), (Some(7), Some("scenario")), "{s}");
    assert_eq!(s["engines"][0]["name"], "model", "{s}");
    assert_eq!(s["engines"][0]["version"], env!("CARGO_PKG_VERSION"), "{s}");
    assert_eq!(s["engines"][1]["name"], "faulty-wrong-result", "{s}");
    let saved = s["saved"].as_array().unwrap();
    assert!(!saved.is_empty(), "{s}");
    assert_eq!(s["new_findings"].as_u64(), Some(saved.len() as u64), "{s}");

    for f in saved {
        let file = out.join(f["file"].as_str().unwrap());
        let text = std::fs::read_to_string(&file).unwrap();
        let json: Value = serde_json::from_str(&std::fs::read_to_string(file.with_extension("json")).unwrap()).unwrap();
        let sig = f["signature"].as_str().unwrap();
        // The header: what it is and where it came from.
        assert_eq!(header_field(&text, "finding"), Some(sig), "{text}");
        assert_eq!(header_field(&text, "seed"), Some("7"), "{text}");
        let case = f["case"].as_u64().unwrap();
        assert_eq!(header_field(&text, "case"), Some(case.to_string().as_str()), "{text}");
        assert_eq!(header_field(&text, "generator"), Some("scenario"), "{text}");
        assert_eq!(header_field(&text, "minimised"), Some("yes"), "{text}");
        assert_eq!((f["minimised"].as_str(), f["reproduced"].as_bool()), (Some("yes"), Some(true)), "{f}");
        let versions = header_field(&text, "engines").unwrap();
        assert!(versions.starts_with(&format!("model {}", env!("CARGO_PKG_VERSION"))), "{text}");

        // `fuzz --seed S --case N` prints the script the campaign ran.
        let printed = lockstep(&["fuzz", "--generator", "scenario", "--seed", "7", "--case", &case.to_string()]);
        assert!(printed.status.success(), "{}", explain(&printed));
        assert_eq!(String::from_utf8(printed.stdout).unwrap(), json["original_script"].as_str().unwrap());

        // The saved file replays to its signature, with nothing skipped or
        // unreached, and no check of the reference failing.
        let engines = FAULTY.split(',').map(|e| engine::make(e, Limits::default()).unwrap()).collect();
        let r = run_script("finding.wast", &text, engines);
        assert!(r.divergences.iter().any(|d| campaign::signature(d) == sig), "{text}\n{r:?}");
        assert!(r.skipped.is_empty() && r.not_reached.is_empty(), "nothing dangling: {text}\n{r:?}");
        assert!(r.failed.iter().all(|n| n.engines == ["faulty-wrong-result"]), "{text}\n{r:?}");
        assert!(
            text.lines().filter(|l| !l.starts_with(";;")).count()
                < json["original_script"].as_str().unwrap().lines().count()
        );

        // The report's line numbers are the saved file's.
        let lines: Vec<&str> = text.lines().collect();
        let divergences = json["saved"]["divergences"].as_array().unwrap();
        assert!(!divergences.is_empty(), "{json}");
        for d in divergences {
            let line = d["line"].as_u64().unwrap() as usize;
            let first = d["directive"].as_str().unwrap().lines().next().unwrap();
            assert_eq!(lines[line - 1], first, "line {line} of {text}");
        }
        assert_eq!(
            r.divergences.iter().map(|d| d.line as u64).collect::<Vec<_>>(),
            divergences.iter().map(|d| d["line"].as_u64().unwrap()).collect::<Vec<_>>()
        );
    }

    // The same campaign again: the same findings, already there, not
    // written again; nothing of the first campaign changed.
    let before = finding_files(&out);
    let again = campaign(&out, 7, 30, 1, FAULTY);
    assert_eq!(again.status.code(), Some(1), "{}", explain(&again));
    let s = summary(&out);
    assert!(s["saved"].as_array().unwrap().iter().all(|f| f["already_present"] == true), "{s}");
    assert_eq!(finding_files(&out), before);

    // Another seed: its findings are added, none replaces one of the first
    // (saved as found: minimising them is not what this checks).
    let other = campaign_with(&out, 8, 30, 2, FAULTY, &["--minimise-seconds", "0"]);
    assert_eq!(other.status.code(), Some(1), "{}", explain(&other));
    let after = finding_files(&out);
    for (name, text) in &before {
        assert_eq!(after.get(name), Some(text), "{name} was kept as it was");
    }
    for f in summary(&out)["saved"].as_array().unwrap() {
        let name = f["file"].as_str().unwrap();
        assert!(after.contains_key(name) && (f["already_present"] == true || !before.contains_key(name)), "{f}");
    }
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn a_campaign_without_new_findings_exits_0_and_runs_the_same_cases_whatever_the_jobs() {
    let counts = [1, 2].map(|jobs| {
        let out = fresh_dir(&format!("agree-{jobs}"));
        let run = campaign(&out, 3, 10, jobs, "model,model");
        assert_eq!(run.status.code(), Some(0), "{}", explain(&run));
        let s = summary(&out);
        check_counts(&s, 10);
        assert_eq!(s["findings"], 0, "{s}");
        assert!(out.join("summary.txt").exists());
        let _ = std::fs::remove_dir_all(&out);
        ["cases", "agree", "poisoned", "diverged"].map(|k| s[k].as_u64().unwrap())
    });
    assert_eq!(counts[0], counts[1]);
}

#[test]
fn an_out_that_cannot_be_written_fails_before_the_campaign() {
    let dir = fresh_dir("unwritable");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("a-file");
    std::fs::write(&file, "").unwrap();
    let out = file.join("findings");
    let run = campaign(&out, 1, 5, 1, "model");
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(run.status.code(), Some(2), "{}", explain(&run));
    assert!(run.stdout.is_empty(), "no case ran: {}", explain(&run));
}

#[test]
fn fuzz_case_prints_the_campaigns_case_and_help_gives_the_exit_status() {
    for (generator, name) in [(Generator::Pair, "pair"), (Generator::Both, "both")] {
        let printed = lockstep(&["fuzz", "--generator", name, "--seed", "11", "--case", "3"]);
        assert!(printed.status.success(), "{}", explain(&printed));
        let want = campaign::case(generator, 11, 3).unwrap().text;
        assert_eq!(String::from_utf8(printed.stdout).unwrap(), want);
    }
    // A campaign's options make no sense with one case.
    let both = lockstep(&["fuzz", "--seed", "11", "--case", "3", "--cases", "10"]);
    assert_eq!(both.status.code(), Some(2), "{}", explain(&both));
    let help = String::from_utf8(lockstep(&["fuzz", "--help"]).stdout).unwrap();
    for what in
        ["Exit status", "0  no new finding", "1  new findings", "2  the campaign could not run", "--cases", "--case"]
    {
        assert!(help.contains(what), "{what}: {help}");
    }
}

/// A known-findings file in `dir` that names the crashes of the faulty
/// engines (and nothing else they do).
fn known_crashes(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join("known-crashes.txt");
    let entries = "x.wast 1 faulty-abort crash x.wast\nx.wast 1 faulty-wrong-then-abort crash x.wast\n";
    std::fs::write(&path, entries).unwrap();
    path
}

/// The crash classes of a summary, checked against its totals: every
/// crashed case is rerun isolated or counted, each class's first case is
/// rerun isolated, and it is attributed to `engine` at its kind of step.
fn check_crash_classes(s: &Value, engines: &str) -> Vec<Value> {
    let n = |k: &str| s[k].as_u64().unwrap_or_else(|| panic!("{k} in {s}"));
    let classes = s["crashes"].as_array().unwrap().clone();
    assert!(!classes.is_empty(), "{s}");
    assert_eq!(n("restarts"), n("isolated") + n("crashes_counted"), "{s}");
    assert!(n("isolated") >= classes.len() as u64, "each class is isolated once: {s}");
    assert!(n("crashes_counted") > 0, "later crashes of a class are counted, not isolated: {s}");
    // One crashing engine: a counted case reruns without it, and is counted once.
    assert_eq!(classes.iter().map(|c| c["counted"].as_u64().unwrap()).sum::<u64>(), n("crashes_counted"), "{s}");
    let engine = engines.split(',').nth(1).unwrap();
    let mut keys = Vec::new();
    for c in &classes {
        // `model,faulty-abort | assert_return | crashed: killed by SIGABRT`
        let key = c["signature"].as_str().unwrap();
        let [with, step, how] = key.split(" | ").collect::<Vec<_>>()[..] else { panic!("{key}") };
        assert_eq!(with, engines, "{c}");
        assert!(how.starts_with("crashed"), "{c}");
        assert_eq!(c["attributed"], serde_json::json!([format!("{engine} | {step} | crash")]), "{c}");
        assert_eq!((c["culprits"].clone(), c["rerun_crashed"].as_u64()), (serde_json::json!([engine]), Some(0)), "{c}");
        assert!(c["known"].as_bool().unwrap(), "known.txt names the crash: {c}");
        let counted: Vec<u64> = c["counted_cases"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
        assert!(counted.iter().all(|&k| k > c["isolated_case"].as_u64().unwrap()), "{c}");
        keys.push(key.to_string());
    }
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), classes.len(), "one class per unattributed signature: {s}");
    classes
}

#[test]
fn a_crash_is_rerun_isolated_once_per_unattributed_signature_then_counted_as_known() {
    let out = fresh_dir("abort");
    let known = known_crashes(&out.with_extension("known"));
    let known = known.to_str().unwrap();
    let engines = "model,faulty-abort";
    let run = campaign_with(&out, 7, 16, 1, engines, &["--minimise-seconds", "0", "--known", known]);
    assert_eq!(run.status.code(), Some(0), "only known crashes: {}", explain(&run));
    let s = summary(&out);
    check_counts(&s, 16);
    check_crash_classes(&s, engines);
    let n = |k: &str| s[k].as_u64().unwrap();
    // Nothing before the crash, which is known: each crashed case is known,
    // whether rerun isolated or counted.
    assert_eq!(n("isolated"), s["crashes"].as_array().unwrap().len() as u64, "{s}");
    assert!(n("restarts") > 0 && n("known") == n("diverged") && n("diverged") == n("restarts"), "{s}");
    assert_eq!(n("new_findings"), 0, "{s}");
    // Minimising off: each finding is saved as generated.
    for f in s["saved"].as_array().unwrap() {
        assert_eq!((f["minimised"].as_str(), f["known"].as_str()), (Some("off"), Some("x.wast")), "{f}");
        let text = std::fs::read_to_string(out.join(f["file"].as_str().unwrap())).unwrap();
        assert!(header_field(&text, "minimised").unwrap().starts_with("off"), "{text}");
        assert_eq!(body(&text), original(7, f["case"].as_u64().unwrap()), "{text}");
    }
    let _ = std::fs::remove_dir_all(&out);
    let _ = std::fs::remove_dir_all(out.with_extension("known"));
}

#[test]
fn a_divergence_before_a_crash_is_found_and_not_hidden_by_a_known_crash() {
    let out = fresh_dir("wrong-then-abort");
    let known = known_crashes(&out.with_extension("known"));
    let known = known.to_str().unwrap();
    let engines = "model,faulty-wrong-then-abort";
    let run = campaign_with(&out, 7, 16, 1, engines, &["--minimise-seconds", "0", "--known", known]);
    assert_eq!(run.status.code(), Some(1), "the wrong result is new: {}", explain(&run));
    let s = summary(&out);
    check_counts(&s, 16);
    check_crash_classes(&s, engines);
    let saved = s["saved"].as_array().unwrap();
    let wrong: Vec<&Value> =
        saved.iter().filter(|f| f["signature"].as_str().unwrap().contains("outcome:returned/returned")).collect();
    assert!(!wrong.is_empty() && wrong.iter().all(|f| f["known"].is_null()), "{s}");
    assert_eq!(s["new_findings"].as_u64(), Some(wrong.len() as u64), "{s}");
    // A case with a wrong result before its known crash is not known.
    let n = |k: &str| s[k].as_u64().unwrap();
    assert!(n("known") < n("diverged"), "{s}");
    let _ = std::fs::remove_dir_all(&out);
    let _ = std::fs::remove_dir_all(out.with_extension("known"));
}

#[test]
fn a_second_crash_behind_a_class_is_triaged_over_the_engines_left_not_hidden() {
    // faulty-abort crashes at the first invocation, before
    // faulty-wrong-then-abort runs it; that one crashes at its second.
    let out = fresh_dir("two-crashes");
    let engines = "model,faulty-abort,faulty-wrong-then-abort";
    let run = campaign_with(&out, 7, 16, 1, engines, &["--minimise-seconds", "0"]);
    assert_eq!(run.status.code(), Some(1), "{}", explain(&run));
    let s = summary(&out);
    check_counts(&s, 16);
    let n = |k: &str| s[k].as_u64().unwrap();
    let classes = s["crashes"].as_array().unwrap();
    assert_eq!(n("restarts"), n("isolated") + n("crashes_counted"), "{s}");
    assert!(n("crashes_counted") > 0, "{s}");
    // Rerun without faulty-abort, a counted case crashed again: that crash
    // has a class of its own over the engines left, isolated once.
    let first: Vec<&Value> = classes.iter().filter(|c| c["culprits"] == serde_json::json!(["faulty-abort"])).collect();
    assert!(first.iter().any(|c| c["rerun_crashed"].as_u64().unwrap() > 0), "{s}");
    let behind: Vec<&Value> = classes
        .iter()
        .filter(|c| c["signature"].as_str().unwrap().starts_with("model,faulty-wrong-then-abort | "))
        .collect();
    assert!(!behind.is_empty(), "{s}");
    for c in &behind {
        assert_eq!(c["culprits"], serde_json::json!(["faulty-wrong-then-abort"]), "{c}");
    }
    assert!(behind.iter().any(|c| c["counted"].as_u64().unwrap() > 0), "then counted: {s}");
    // Each class isolated once (and a case whose wrong result, before
    // its crash, had a new signature).
    assert!(n("isolated") >= classes.len() as u64 && n("isolated") < n("restarts"), "{s}");
    let saved: Vec<&str> = s["saved"].as_array().unwrap().iter().map(|f| f["signature"].as_str().unwrap()).collect();
    assert!(saved.iter().any(|f| f.starts_with("faulty-wrong-then-abort |") && f.ends_with("| crash")), "{saved:?}");
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn a_finding_is_saved_as_generated_at_once_then_replaced_atomically_by_its_minimised_script() {
    let out = fresh_dir("raw-first");
    // Minimising a crash reruns every candidate isolated (several
    // processes each): the raw file is there for a while.
    let args = campaign_args(&out, 7, 1, 1, "model,faulty-abort", &["--minimise-seconds", "3"]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .args(&args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Every state each finding's file was seen in, in order.
    let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut look = || {
        for (name, text) in finding_files(&out) {
            // Written atomically: never seen in part.
            assert!(header_field(&text, "replay").is_some() && text.ends_with(")\n"), "{name}: {text}");
            let state = header_field(&text, "minimised").unwrap().to_string();
            let states = seen.entry(name.clone()).or_default();
            if states.last() != Some(&state) {
                assert!(state.starts_with("pending") == states.is_empty(), "{name}: {state} after {states:?}");
                if state.starts_with("pending") {
                    let case: u64 = header_field(&text, "case").unwrap().parse().unwrap();
                    assert_eq!(body(&text), original(7, case), "saved as generated: {text}");
                }
                states.push(state);
            }
        }
    };
    while child.try_wait().unwrap().is_none() {
        if out.exists() {
            look();
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    look();
    let s = summary(&out);
    check_counts(&s, 1);
    let saved = s["saved"].as_array().unwrap();
    assert!(!saved.is_empty(), "{s}");
    for f in saved {
        let name = f["file"].as_str().unwrap();
        let states = &seen[name];
        // Raw first, then (the same file) minimised.
        assert_eq!(states.len(), 2, "{name}: {states:?}");
        assert!(states[1] == "yes" || states[1].starts_with("partly"), "{name}: {states:?}");
        assert_eq!(f["minimised"].as_str(), Some(&states[1][..states[1].find(':').unwrap_or(states[1].len())]), "{f}");
        let text = std::fs::read_to_string(out.join(name)).unwrap();
        assert!(body(&text).len() < original(7, f["case"].as_u64().unwrap()).len(), "{text}");
        assert_eq!(f["reproduced"].as_bool(), Some(true), "{f}");
    }
    // No temporary file is left behind.
    let left: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    let _ = std::fs::remove_dir_all(&out);
}
