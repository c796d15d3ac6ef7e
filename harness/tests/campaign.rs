//! `lockstep fuzz` is a campaign a CI can gate on: bounded by a number of
//! cases, exit status 1 on a new finding, findings named by their content
//! that never replace one another, each one's header enough to regenerate
//! its original script, the minimised script replaying to its signature,
//! and a summary in the output folder. An engine wrong on purpose
//! (`faulty-wrong-result`: every i32 result off by one) makes the findings.

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

/// A campaign of the scenario generator over cases `0..cases`.
fn campaign(out: &Path, seed: u64, cases: u64, jobs: u64, engines: &str) -> Output {
    let (seed, cases, jobs) = (seed.to_string(), cases.to_string(), jobs.to_string());
    let out = out.to_str().unwrap();
    let args = ["fuzz", "--generator", "scenario", "--seed", &seed, "--cases", &cases, "--jobs", &jobs];
    lockstep(&[&args[..], &["--engines", engines, "--out", out]].concat())
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
    let first = campaign(&out, 7, 30, 2, FAULTY);
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

    // Another seed: its findings are added, none replaces one of the first.
    let other = campaign(&out, 8, 30, 2, FAULTY);
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
