//! Every engine bug Lockstep found is kept as a minimal script under
//! `corpus/findings/`, whose `;; expect: ENGINE LINE SIGNATURE` lines say
//! exactly what it shows: at which step which engine differs, and how (the
//! signature of each differing object, as `compare::Diff` names it). This
//! checks that each finding shows exactly that: no expected difference
//! missing (the engine was fixed: move the script to the scenarios and
//! remove its `known.txt` lines), and no other difference (a second bug, or
//! a changed one, must be looked at). The same lines are the finding's
//! entries in `corpus/findings/known.txt`, which this also checks.

use std::collections::BTreeSet;
use std::process::Command;

use lockstep::wast::ScriptReport;

/// `(engine, line, signature)` of every difference.
type Shown = BTreeSet<(String, usize, String)>;

fn expected(text: &str) -> (Vec<String>, Shown) {
    let mut engines = Vec::new();
    let mut shown = Shown::new();
    for l in text.lines().filter_map(|l| l.strip_prefix(";; expect: ")) {
        let [engine, line, signature] = l.split_whitespace().collect::<Vec<_>>()[..] else {
            panic!("`;; expect: {l}`: expected `ENGINE LINE SIGNATURE`");
        };
        if !engines.iter().any(|e| e == engine) {
            engines.push(engine.to_string());
        }
        shown.insert((engine.to_string(), line.parse().expect("a line number"), signature.to_string()));
    }
    (engines, shown)
}

fn shown(path: &std::path::Path, engines: &[String]) -> Shown {
    let json = std::env::temp_dir().join(format!("finding-{}.json", std::process::id()));
    let out = Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .args(["wast", "--known", "/dev/null", "--engines", &format!("model,{}", engines.join(","))])
        .arg("--json")
        .arg(&json)
        .arg(path)
        .output()
        .expect("lockstep runs");
    let text =
        std::fs::read_to_string(&json).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    let _ = std::fs::remove_file(&json);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let r: ScriptReport = serde_json::from_value(v["scripts"][0].clone()).unwrap();
    let reference_failed: Vec<_> =
        r.failed.iter().filter(|n| n.engines.is_empty() || n.engines.contains(&r.engines[0])).collect();
    assert!(reference_failed.is_empty(), "{}: the model fails a check: {reference_failed:?}", path.display());
    r.divergences.iter().flat_map(|d| d.diffs.iter().map(|x| (d.engine.clone(), d.line, x.signature.clone()))).collect()
}

#[test]
fn every_finding_shows_exactly_its_signature() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let known = std::fs::read_to_string(format!("{root}/corpus/findings/known.txt")).unwrap();
    let mut checked = 0;
    for entry in std::fs::read_dir(format!("{root}/corpus/findings")).expect("corpus/findings exists") {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "wast") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let (engines, want) = expected(&text);
        assert!(!want.is_empty(), "{} has no `;; expect:` line", path.display());
        let got = shown(&path, &engines);
        assert_eq!(got, want, "{} no longer shows exactly its `;; expect:` lines", path.display());
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        for (engine, line, signature) in &want {
            let entry = format!("{file} {line} {engine} {signature} {file}");
            let listed = known.lines().any(|l| l.split_whitespace().collect::<Vec<_>>().join(" ") == entry);
            assert!(listed, "known.txt lacks `{entry}`");
        }
        checked += 1;
    }
    assert!(checked >= 3, "only {checked} findings checked");
}
