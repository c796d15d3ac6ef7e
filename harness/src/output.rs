//! A run as machines read it: `--json` (every report as data, with the run's
//! status and the engine versions) and `--junit` (a JUnit XML report, what
//! CI services render as test results). The book's chapter `json.md` gives
//! the JSON's schema.
//!
//! Both say what the text does, from the same functions: a script's status
//! is [`report::script_status`], a run's [`Totals::status`], a failure's
//! text [`report::script_lines`], a replay command
//! [`report::replay_command`].

use std::fmt::Write;
use std::path::Path;

use serde::Serialize;
use serde_json::{Value, json};

use crate::report::{self, Known, RunStatus, ScriptStatus, Status, Totals};
use crate::wast::ScriptReport;

/// A finished run of `lockstep wast` or `lockstep run`.
pub struct Run<'a> {
    /// The engines run, the reference first.
    pub engines: &'a [String],
    pub reports: &'a [ScriptReport],
    pub totals: &'a Totals,
    pub status: &'a RunStatus,
    /// The known findings the run was judged with.
    pub known: &'a Known,
    /// Wall-clock seconds of the whole run.
    pub seconds: f64,
}

/// The top level of `--json`; see the module doc.
#[derive(Serialize)]
struct Json<'a> {
    /// This build's version.
    lockstep: &'static str,
    engines: Vec<EngineVersion<'a>>,
    /// `status` (`pass`/`fail`) and `why`.
    #[serde(flatten)]
    status: &'a RunStatus,
    totals: &'a Totals,
    scripts: Vec<Value>,
}

#[derive(Serialize)]
struct EngineVersion<'a> {
    name: &'a str,
    /// As this build links it; none for the harness's own test engines.
    version: Option<&'static str>,
}

/// `--json`: the run as pretty-printed JSON. Each script is its
/// [`ScriptReport`] as serde writes it (so it reads back as one), with
/// `status` (a [`ScriptStatus`]: `pass`, `known`, `fail`, `skipped`) and
/// `verdict` (what the comparison came to: `agree`, `2 divergences`, …)
/// added; each divergence gains `known` (every difference in it is a known
/// finding's), `finding` (the first such finding's file, or null) and
/// `replay` (the command that reruns it); each difference, `known`.
pub fn json(run: &Run) -> String {
    let json = Json {
        lockstep: env!("CARGO_PKG_VERSION"),
        engines: run.engines.iter().map(|name| EngineVersion { name, version: crate::engine::version(name) }).collect(),
        status: run.status,
        totals: run.totals,
        scripts: run.reports.iter().map(|r| script_json(r, run.known)).collect(),
    };
    serde_json::to_string_pretty(&json).expect("a run serialises")
}

/// One script as data: its report, with what known findings make of it.
fn script_json(r: &ScriptReport, known: &Known) -> Value {
    // Added to the report as serde writes it, rather than copied field by
    // field, so that a field the report gains is in the JSON too.
    let mut v = serde_json::to_value(r).expect("a report serialises");
    v["status"] = json!(report::script_status(r, known));
    v["verdict"] = r.verdict().into();
    let divergences = v["divergences"].as_array_mut().expect("divergences are a list");
    for (dv, d) in divergences.iter_mut().zip(&r.divergences) {
        let finding = known.finding(&r.name, d);
        dv["known"] = finding.is_some().into();
        dv["finding"] = json!(finding);
        dv["replay"] = report::replay_command(r).into();
        let diffs = dv["diffs"].as_array_mut().expect("diffs are a list");
        for (xv, x) in diffs.iter_mut().zip(&d.diffs) {
            xv["known"] = known.knows(&r.name, d, x).into();
        }
    }
    v
}

/// `--junit`: one `<testsuite>` with a `<testcase>` per script
/// (`classname` its folder, or `spec:wasm-v2`; `name` its file name; `time`
/// the seconds its worker accounted for). A failing script has a
/// `<failure>` whose text is its report as `lockstep wast` prints it; a
/// script where nothing ran is `<skipped>`; a known one passes, its report
/// in `<system-out>`. A run that fails with no failing script (nothing was
/// checked or compared) has one more test case, `lockstep`/`run`, failing
/// with the reasons, so that the rendered report is never greener than the
/// exit status. The engine versions are `<properties>`.
pub fn junit(run: &Run) -> String {
    let (mut tests, mut failures, mut skipped) = (0, 0, 0);
    let mut cases = String::new();
    for r in run.reports {
        tests += 1;
        let (folder, file) = r.name.rsplit_once('/').unwrap_or((".", &r.name));
        let _ = write!(
            cases,
            "    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\"",
            attr(folder),
            attr(file),
            r.time.total()
        );
        let text = report::script_lines(r, run.known, false);
        match report::script_status(r, run.known) {
            ScriptStatus::Pass => cases.push_str("/>\n"),
            ScriptStatus::Fail => {
                failures += 1;
                let unknown = r.divergences.iter().filter(|d| run.known.finding(&r.name, d).is_none()).count();
                let failed = report::unexplained_failures(r, run.known).len();
                let message = format!("{failed} failed checks, {unknown} new divergences");
                let _ = writeln!(
                    cases,
                    ">\n      <failure message=\"{}\" type=\"lockstep\">{}</failure>\n    </testcase>",
                    attr(&message),
                    text_node(&text)
                );
            }
            ScriptStatus::Skipped => {
                skipped += 1;
                let message = format!(
                    "nothing ran: {} skipped, {} decided by the text format, {} not reached",
                    r.skipped.len(),
                    r.by_text.len(),
                    r.not_reached.len()
                );
                let _ = writeln!(
                    cases,
                    ">\n      <skipped message=\"{}\"/>\n      <system-out>{}</system-out>\n    </testcase>",
                    attr(&message),
                    text_node(&text)
                );
            }
            ScriptStatus::Known => {
                let _ = writeln!(cases, ">\n      <system-out>{}</system-out>\n    </testcase>", text_node(&text));
            }
        }
    }
    if run.status.status == Status::Fail && failures == 0 {
        tests += 1;
        failures += 1;
        let why = run.status.why.join("; ");
        let _ = writeln!(
            cases,
            "    <testcase classname=\"lockstep\" name=\"run\" time=\"0.000\">\n      \
             <failure message=\"{}\" type=\"lockstep\">{}</failure>\n    </testcase>",
            attr(&why),
            text_node(&run.status.line())
        );
    }
    let mut properties = format!("      <property name=\"lockstep\" value=\"{}\"/>\n", env!("CARGO_PKG_VERSION"));
    for e in run.engines {
        let version = crate::engine::version(e).unwrap_or("(no version)");
        let _ = writeln!(properties, "      <property name=\"engine.{}\" value=\"{}\"/>", attr(e), attr(version));
    }
    let counts = format!(
        "tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\" time=\"{:.3}\"",
        run.seconds
    );
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <testsuites name=\"lockstep\" {counts}>\n  \
         <testsuite name=\"lockstep\" {counts}>\n    \
         <properties>\n{properties}    </properties>\n{cases}  </testsuite>\n</testsuites>\n"
    )
}

/// `s` as XML character data.
fn text_node(s: &str) -> String {
    escape(s, false)
}

/// `s` as an XML attribute value (between double quotes).
fn attr(s: &str) -> String {
    escape(s, true)
}

/// Escapes markup, and replaces what XML 1.0 cannot carry at all, escaped
/// or not (control characters other than tab, newline and carriage return;
/// U+FFFE, U+FFFF), by U+FFFD: script text may hold anything. In an
/// attribute, tab, newline and carriage return are written as character
/// references, since a parser turns them into spaces otherwise.
fn escape(s: &str, in_attribute: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if in_attribute => out.push_str("&quot;"),
            '\t' | '\n' | '\r' if in_attribute => {
                let _ = write!(out, "&#{};", u32::from(c));
            }
            '\t' | '\n' | '\r' => out.push(c),
            c if u32::from(c) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Fails now, not after the whole run, if a report cannot be written to
/// `path`: opens it for writing, and removes it again if it was not there.
pub fn check_writable(path: &str) -> Result<(), String> {
    let existed = Path::new(path).exists();
    std::fs::OpenOptions::new().create(true).append(true).open(path).map_err(|e| format!("{path}: {e}"))?;
    if !existed {
        let _ = std::fs::remove_file(path);
    }
    Ok(())
}

/// Writes a report to `path`.
pub fn write(path: &str, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("{path}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::Diff;
    use crate::wast::{Divergence, Lane, Note};

    /// A run of two scripts: one diverging (known or not, by `known`), one
    /// whose only check was skipped; with hostile text in the divergence.
    fn reports() -> Vec<ScriptReport> {
        let diff = Diff {
            object: "table 0 of instance #0".into(),
            signature: "table:#0.0:slots".into(),
            reference: "slot 1 <func> & \"quoted\" \u{1}\u{FFFE}".into(),
            engine: "slot 1 (ref.null func)\tend]]>".into(),
        };
        let diverging = ScriptReport {
            name: "corpus/x/a.wast".into(),
            engines: vec!["model".into(), "faulty-drop-table-write".into()],
            passed: 2,
            // Read as a report would be, so that fields the runner adds later keep their defaults.
            divergences: vec![
                serde_json::from_value::<Divergence>(json!({
                    "line": 7,
                    "directive": "(module $side (elem (i32.const 1) $f))",
                    "engine": "faulty-drop-table-write",
                    "diffs": [diff],
                }))
                .unwrap(),
            ],
            lanes: vec![Lane { compared: 3, stop: None }; 2],
            ..ScriptReport::default()
        };
        let skipped = ScriptReport {
            name: "b.wast".into(),
            engines: diverging.engines.clone(),
            skipped: vec![Note { line: 1, what: "not modelled: SIMD".into(), engines: vec![] }],
            lanes: vec![Lane::default(); 2],
            ..ScriptReport::default()
        };
        vec![diverging, skipped]
    }

    fn known_file(entries: &str) -> Known {
        let path = std::env::temp_dir().join(format!("output-known-{}-{}.txt", std::process::id(), entries.len()));
        std::fs::write(&path, entries).unwrap();
        let k = Known::load(path.to_str().unwrap()).unwrap();
        let _ = std::fs::remove_file(&path);
        k
    }

    fn with_run<T>(known: &Known, f: impl FnOnce(&Run) -> T) -> T {
        let reports = reports();
        let mut totals = Totals::default();
        for r in &reports {
            totals.add(r, known);
        }
        let status = totals.status(false);
        let engines = reports[0].engines.clone();
        f(&Run { engines: &engines, reports: &reports, totals: &totals, status: &status, known, seconds: 1.5 })
    }

    #[test]
    fn json_scripts_read_back_as_reports_and_say_what_is_known() {
        let text = with_run(&Known::default(), json);
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["status"], "fail");
        assert_eq!(v["why"][0], "1 new divergences");
        assert_eq!(v["engines"][0], json!({"name": "model", "version": env!("CARGO_PKG_VERSION")}));
        assert_eq!(v["engines"][1]["version"], Value::Null);
        let back: ScriptReport = serde_json::from_value(v["scripts"][0].clone()).unwrap();
        // Every field of a report is there, as the report writes it.
        let original = serde_json::to_value(&reports()[0]).unwrap();
        assert_eq!(serde_json::to_value(&back).unwrap(), original);
        for (key, value) in original.as_object().unwrap() {
            if key != "divergences" {
                assert_eq!(&v["scripts"][0][key], value, "{key}");
            }
        }
        let s = &v["scripts"][0];
        assert_eq!((s["status"].as_str(), s["verdict"].as_str()), (Some("fail"), Some("1 divergences")));
        let d = &s["divergences"][0];
        assert_eq!((d["known"].as_bool(), d["finding"].is_null()), (Some(false), true));
        assert_eq!(d["replay"], "lockstep replay --engines model,faulty-drop-table-write corpus/x/a.wast");
        assert_eq!(d["diffs"][0]["known"], false);
        assert_eq!(v["scripts"][1]["status"], "skipped");
    }

    #[test]
    fn json_names_the_finding_of_a_known_divergence() {
        let known = known_file("/nowhere/corpus/x/a.wast 7 faulty-drop-table-write table:#0.0:slots f.wast\n");
        let mut reports = reports();
        reports[0].name = "/nowhere/corpus/x/a.wast".into();
        let mut totals = Totals::default();
        for r in &reports {
            totals.add(r, &known);
        }
        let status = totals.status(false);
        let run = Run {
            engines: &reports[0].engines,
            reports: &reports,
            totals: &totals,
            status: &status,
            known: &known,
            seconds: 0.0,
        };
        let v: Value = serde_json::from_str(&json(&run)).unwrap();
        let d = &v["scripts"][0]["divergences"][0];
        assert_eq!((d["known"].as_bool(), d["finding"].as_str()), (Some(true), Some("f.wast")));
        assert_eq!(d["diffs"][0]["known"], true);
        assert_eq!(v["scripts"][0]["status"], "known");
        assert_eq!(v["status"], "pass");
    }

    #[test]
    fn junit_is_well_formed_and_counts_each_script_once() {
        let text = with_run(&Known::default(), junit);
        let doc = roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        let suite = doc.descendants().find(|n| n.has_tag_name("testsuite")).unwrap();
        let counts = ["tests", "failures", "skipped", "errors"].map(|a| suite.attribute(a).unwrap());
        assert_eq!(counts, ["2", "1", "1", "0"]);
        let cases: Vec<_> = suite.children().filter(|n| n.has_tag_name("testcase")).collect();
        assert_eq!(cases[0].attribute("classname"), Some("corpus/x"));
        assert_eq!(cases[0].attribute("name"), Some("a.wast"));
        let failure = cases[0].children().find(|n| n.has_tag_name("failure")).unwrap();
        assert_eq!(failure.attribute("message"), Some("0 failed checks, 1 new divergences"));
        // The report's text, as printed, but for what XML cannot carry.
        let printed = report::script_lines(&reports()[0], &Known::default(), false);
        assert_eq!(failure.text(), Some(printed.replace(['\u{1}', '\u{FFFE}'], "\u{FFFD}").as_str()));
        assert_eq!(cases[1].attribute("classname"), Some("."));
        assert!(cases[1].children().any(|n| n.has_tag_name("skipped")));
        let engine = suite.descendants().find(|n| n.attribute("name") == Some("engine.model")).unwrap();
        assert_eq!(engine.attribute("value"), Some(env!("CARGO_PKG_VERSION")));
    }

    #[test]
    fn a_run_that_fails_on_nothing_fails_in_junit_too() {
        let mut reports = reports();
        reports.remove(0);
        let mut totals = Totals::default();
        totals.add(&reports[0], &Known::default());
        let status = totals.status(false);
        let run = Run {
            engines: &reports[0].engines,
            reports: &reports,
            totals: &totals,
            status: &status,
            known: &Known::default(),
            seconds: 0.0,
        };
        let text = junit(&run);
        let doc = roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        let run_case = doc.descendants().find(|n| n.attribute("classname") == Some("lockstep")).unwrap();
        let message = run_case.first_element_child().unwrap().attribute("message").unwrap();
        assert!(message.starts_with("nothing was checked"), "{message}");
    }

    #[test]
    fn attributes_keep_newlines_and_drop_what_xml_cannot_carry() {
        assert_eq!(attr("a\n\"b\"\u{0}"), "a&#10;&quot;b&quot;\u{FFFD}");
        assert_eq!(text_node("<a> & \"b\"\n"), "&lt;a&gt; &amp; \"b\"\n");
    }
}
