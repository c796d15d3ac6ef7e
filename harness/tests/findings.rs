//! Every engine bug Lockstep found is kept as a minimal script under
//! `corpus/findings/`, whose `;; expect: ENGINE crashed|diverges` line says
//! what it shows. This checks that each still does: a finding that stops
//! reproducing (the engine was fixed) fails here until it is moved to the
//! scenarios as a regression test and its `known.txt` lines are removed.

use std::process::Command;

#[test]
fn every_finding_still_reproduces() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/findings");
    let mut checked = 0;
    for entry in std::fs::read_dir(dir).expect("corpus/findings exists") {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "wast") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let expect = text
            .lines()
            .find_map(|l| l.strip_prefix(";; expect: "))
            .unwrap_or_else(|| panic!("{} has no `;; expect:` line", path.display()));
        let (engine, what) = expect.split_once(' ').expect("`;; expect: ENGINE crashed|diverges`");
        let out = Command::new(env!("CARGO_BIN_EXE_lockstep"))
            .args(["wast", "--known", "/dev/null", "--engines", &format!("model,{engine}")])
            .arg(&path)
            .output()
            .expect("lockstep runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let diverged = stdout.contains("DIVERGENCE at line") && stdout.contains(&format!("({engine} vs"));
        let shows = match what {
            "crashed" => diverged && stdout.contains("crashed"),
            "diverges" => diverged,
            other => panic!("unknown expectation {other}"),
        };
        assert!(shows, "{} no longer shows `{expect}`:\n{stdout}", path.display());
        checked += 1;
    }
    assert!(checked > 0, "no findings checked");
}
