//! What a CI job that runs `lockstep wast`, `run` or `replay` relies on,
//! checked on the built binary: the versions it reports, its exit statuses
//! (0 pass, 1 fail, 2 could not run), that it is never green on nothing, its
//! quiet mode and progress, and its JSON and JUnit reports. Small scripts
//! (`tests/scripts/`) and the model's engines keep each test fast; a
//! divergence comes from `faulty-drop-table-write`, the model with one
//! table write dropped on purpose.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

const SCRIPTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/scripts");

/// Diverges at line 7: the faulty engine drops the side module's table write.
fn shared_table() -> String {
    format!("{SCRIPTS}/shared-table.wast")
}

/// Passes on every engine.
fn no_calls() -> String {
    format!("{SCRIPTS}/no-calls.wast")
}

const DIVERGING: &str = "model,faulty-drop-table-write";

fn lockstep(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lockstep")).args(args).output().expect("lockstep runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A fresh directory of this test's own, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("lockstep-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn path(&self, file: &str) -> String {
        self.0.join(file).to_str().expect("a UTF-8 temporary path").to_string()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn version_names_every_engine_this_build_links() {
    let out = lockstep(&["--version"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = stdout(&out);
    assert!(text.starts_with(&format!("lockstep {}\n", env!("CARGO_PKG_VERSION"))), "{text}");
    for e in lockstep::engine::ALL {
        let version = lockstep::engine::version(e).expect("every engine has a version");
        assert!(!version.starts_with("unknown"), "{e}: {version}");
        assert!(text.contains(&format!("{e} {version}")), "{e} {version} is not in:\n{text}");
    }
}

#[test]
fn help_documents_the_exit_statuses() {
    for args in [&["--help"][..], &["wast", "--help"][..], &["run", "--help"][..], &["replay", "--help"][..]] {
        let text = stdout(&lockstep(args));
        assert!(
            text.contains("Exit status (wast, run, replay):") && text.contains("2  the command could not run"),
            "{args:?}:\n{text}"
        );
    }
}

#[test]
fn what_cannot_run_exits_2_with_a_message() {
    let empty = TempDir::new("empty");
    let out = lockstep(&["wast", empty.0.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(stderr(&out).contains("no .wast scripts there"), "{out:?}");
    let out = lockstep(&["wast", "/nonexistent/x.wast"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(stderr(&out).contains("/nonexistent/x.wast"), "{out:?}");
    let out = lockstep(&["wast", "--engines", "model,nosuch", &no_calls()]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(stderr(&out).contains("no engine nosuch"), "{out:?}");
    let out = lockstep(&["wast", "--known", "/nonexistent/known.txt", &no_calls()]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    // clap's own errors: no path, an unknown flag.
    assert_eq!(lockstep(&["wast"]).status.code(), Some(2));
    assert_eq!(lockstep(&["wast", "--no-such-flag", &no_calls()]).status.code(), Some(2));
    // A campaign of no jobs would run case 0 forever.
    let out = lockstep(&["fuzz", "--jobs", "0", "--cases", "1", "--out", empty.0.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(stderr(&out).contains("--jobs must be at least 1"), "{out:?}");
}

#[test]
fn unwritable_reports_fail_before_the_run() {
    for flag in ["--json", "--junit"] {
        let out = lockstep(&["wast", flag, "/nonexistent/dir/report", SCRIPTS]);
        assert_eq!(out.status.code(), Some(2), "{flag}: {out:?}");
        assert!(out.stdout.is_empty(), "{flag}: no script ran: {}", stdout(&out));
        assert!(stderr(&out).contains("/nonexistent/dir/report"), "{flag}: {out:?}");
    }
}

#[test]
fn a_passing_run_exits_0_and_says_so() {
    let out = lockstep(&["wast", "--engines", "model,wasmi", &no_calls()]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let text = stdout(&out);
    let versions = lockstep::engine::versions(&["model".into(), "wasmi".into()]).join(", ");
    assert!(text.contains(&format!("engines: {versions}\n")), "{text}");
    assert!(text.ends_with("result: pass\n"), "{text}");
}

#[test]
fn one_engine_compares_nothing_and_fails_unless_allowed() {
    for engine in ["wasmi", "model"] {
        let out = lockstep(&["wast", "--engines", engine, &no_calls()]);
        let text = stdout(&out);
        assert_eq!(out.status.code(), Some(1), "{engine}: {text}");
        assert!(text.contains(&format!("result: FAIL: nothing was compared: {engine} alone")), "{text}");
        assert!(text.contains("--allow-nothing-compared"), "the way out is named: {text}");
        let out = lockstep(&["wast", "--engines", engine, "--allow-nothing-compared", &no_calls()]);
        assert_eq!(out.status.code(), Some(0), "{engine}: {}", stdout(&out));
        assert!(stdout(&out).contains("result: pass (nothing was compared"), "{}", stdout(&out));
    }
    // And so does `replay`.
    let out = lockstep(&["replay", "--engines", "model", &no_calls()]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).contains("nothing was compared: model alone"), "{}", stdout(&out));
    let out = lockstep(&["replay", "--engines", "model", "--allow-nothing-compared", &no_calls()]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

#[test]
fn a_script_whose_only_module_is_skipped_is_not_green() {
    let dir = TempDir::new("simd");
    let simd = dir.path("simd.wast");
    // The model does not model SIMD: the module is skipped, and so is the check on it.
    std::fs::write(
        &simd,
        "(module (func (export \"f\") (result v128) (v128.const i64x2 0 0)))\n\
         (assert_return (invoke \"f\") (v128.const i64x2 0 0))\n",
    )
    .unwrap();
    let junit = dir.path("report.xml");
    let out = lockstep(&["wast", "--engines", "model,wasmi", "--junit", &junit, &simd]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("SKIP ") && text.contains("result: FAIL: nothing was checked"), "{text}");
    // In JUnit: the script skipped, and the run itself a failure.
    let xml = std::fs::read_to_string(&junit).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}:\n{xml}"));
    assert!(doc.descendants().any(|n| n.has_tag_name("skipped")), "{xml}");
    let run = doc.descendants().find(|n| n.attribute("classname") == Some("lockstep")).expect("a run test case");
    assert!(run.children().any(|n| n.has_tag_name("failure")), "{xml}");
}

#[test]
fn a_closed_output_pipe_ends_the_run_quietly() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .args(["wast", "--engines", "model,wasmi", SCRIPTS])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("lockstep runs");
    // The reader is gone before the first line (as with `| head -1`, sooner).
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = stderr(&out);
    assert!(!err.contains("panicked"), "{err}");
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(out.status.signal(), Some(libc::SIGPIPE), "ended by SIGPIPE, as `head` expects: {err}");
}

#[test]
fn quiet_prints_only_the_scripts_that_fail_or_diverge() {
    let (failing, passing) = (shared_table(), no_calls());
    let args = ["--known", "/dev/null", "--engines", DIVERGING, "--quiet", &failing, &passing];
    let out = lockstep(&[&["wast"][..], &args].concat());
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("FAIL ") && text.contains("DIVERGENCE at line 7"), "{text}");
    assert!(!text.contains("no-calls.wast"), "a passing script is not shown: {text}");
    assert!(text.contains("wast: ") && text.contains("result: FAIL: 1 new divergences"), "the totals: {text}");
    // `run`: the table too has only the failing script.
    let out = lockstep(&[&["run"][..], &args].concat());
    let text = stdout(&out);
    assert!(text.contains("shared-table.wast") && !text.contains("no-calls.wast"), "{text}");
    // Nothing at all for a passing run but the totals.
    let out = lockstep(&["wast", "--quiet", "--engines", "model,wasmi", &no_calls()]);
    assert!(stdout(&out).starts_with("wast: 1 passed"), "{}", stdout(&out));
}

#[test]
fn progress_off_a_terminal_is_line_based() {
    let out = lockstep(&["run", "--engines", "model,wasmi", &no_calls(), &shared_table()]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{}{err}", stdout(&out));
    assert!(!err.contains('\r'), "no carriage returns in a log: {err:?}");
    assert!(err.lines().any(|l| l.starts_with("[2/2] ")), "the last script has its line: {err:?}");
}

#[test]
fn junit_reports_a_new_divergence_as_a_failure_with_its_report() {
    let dir = TempDir::new("junit");
    let junit = dir.path("report.xml");
    let out = lockstep(&[
        "wast",
        "--known",
        "/dev/null",
        "--engines",
        DIVERGING,
        "--junit",
        &junit,
        &shared_table(),
        &no_calls(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let xml = std::fs::read_to_string(&junit).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap_or_else(|e| panic!("{e}:\n{xml}"));
    let suite = doc.descendants().find(|n| n.has_tag_name("testsuite")).unwrap();
    let count = |a: &str| suite.attribute(a).unwrap().to_string();
    assert_eq!([count("tests"), count("failures"), count("skipped")], ["2", "1", "0"], "{xml}");
    assert!(count("time").parse::<f64>().is_ok(), "{xml}");
    let case = |name: &str| {
        suite.children().find(|n| n.attribute("name") == Some(name)).unwrap_or_else(|| panic!("{name}: {xml}"))
    };
    let failing = case("shared-table.wast");
    assert_eq!(failing.attribute("classname"), Some(SCRIPTS));
    let failure = failing.children().find(|n| n.has_tag_name("failure")).expect("a failure");
    let report = failure.text().unwrap();
    assert!(report.contains("DIVERGENCE at line 7") && report.contains("replay: lockstep replay"), "{report}");
    // The same text `wast` printed for it.
    assert!(stdout(&out).contains(report), "{report}");
    assert!(case("no-calls.wast").children().all(|n| !n.is_element()), "a pass has no child: {xml}");
}

#[test]
fn json_says_versions_status_and_which_finding_a_divergence_is() {
    let dir = TempDir::new("json");
    let (json, known) = (dir.path("report.json"), dir.path("known.txt"));
    let script = std::fs::canonicalize(shared_table()).unwrap();
    let script = script.to_str().unwrap();
    std::fs::write(&known, format!("{script} 7 faulty-drop-table-write table:#0.0:slots dropped-write.wast\n"))
        .unwrap();
    let read = |known: &str| {
        let out = lockstep(&["wast", "--known", known, "--engines", DIVERGING, "--json", &json, script]);
        let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
        (out.status.code(), v)
    };

    let (code, v) = read(&known);
    assert_eq!(code, Some(0), "{v:#}");
    assert_eq!((v["status"].as_str(), v["why"].as_array().map(Vec::len)), (Some("pass"), Some(0)), "{v:#}");
    assert_eq!(v["lockstep"], env!("CARGO_PKG_VERSION"));
    assert_eq!(v["engines"][0]["name"], "model");
    assert_eq!(v["engines"][0]["version"], env!("CARGO_PKG_VERSION"));
    let s = &v["scripts"][0];
    assert_eq!((s["status"].as_str(), s["verdict"].as_str()), (Some("known"), Some("1 divergences")), "{s:#}");
    let d = &s["divergences"][0];
    assert_eq!((d["known"].as_bool(), d["finding"].as_str()), (Some(true), Some("dropped-write.wast")), "{d:#}");
    assert_eq!(d["diffs"][0]["known"], true);
    assert_eq!(d["replay"], format!("lockstep replay --engines {DIVERGING} {script}"));
    // Still a report: what `lockstep::wast::ScriptReport` reads.
    let r: lockstep::wast::ScriptReport = serde_json::from_value(s.clone()).unwrap();
    assert_eq!(r.divergences[0].line, 7);

    let (code, v) = read("/dev/null");
    assert_eq!(code, Some(1), "{v:#}");
    assert_eq!((v["status"].as_str(), v["why"][0].as_str()), (Some("fail"), Some("1 new divergences")), "{v:#}");
    let d = &v["scripts"][0]["divergences"][0];
    assert_eq!((d["known"].as_bool(), d["finding"].is_null()), (Some(false), true), "{d:#}");
    assert_eq!(v["scripts"][0]["status"], "fail");
}
