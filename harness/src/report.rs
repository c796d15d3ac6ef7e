//! What a run shows a person: one line per script, each divergence with the
//! step, what differs, the modules as WAT and the command that replays it;
//! the verdict table of `lockstep run`; and the same as JSON.

use std::fmt::Write;

use serde::Serialize;

use crate::compare::Diff;
use crate::wast::{Divergence, Note, ScriptReport};

/// Known engine bugs, each reproduced by a minimal `.wast` under
/// `corpus/findings/`, as *signatures*: an entry names a script, a step
/// (line), an engine and the exact difference it makes there (a
/// [`Diff::signature`](crate::compare::Diff)). It excuses that difference
/// and nothing else: any other difference at the same step, and any failed
/// check of the reference, still fails the run.
#[derive(Debug, Default, Clone)]
pub struct Known {
    entries: Vec<KnownEntry>,
    /// The known file's folder, where its findings are, as reports show it
    /// (`corpus/findings/` for the project's own).
    pub folder: String,
    /// The known file, as reports show it.
    pub file: String,
}

#[derive(Debug, Clone)]
struct KnownEntry {
    script: String,
    line: usize,
    engine: String,
    signature: String,
    finding: String,
}

/// The repository this executable was built from: known findings' script
/// paths resolve against it, whatever the working directory.
pub fn repository() -> &'static std::path::Path {
    std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// The default known-findings file, in the repository.
pub const DEFAULT_KNOWN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/findings/known.txt");

/// A script's name as known entries name it: `spec:…` as is, a file by its
/// canonical path (so that `corpus/x.wast` and `/abs/…/corpus/x.wast` agree).
fn script_key(name: &str, base: &std::path::Path) -> String {
    if name.starts_with("spec:") {
        return name.to_string();
    }
    let p = std::path::Path::new(name);
    let p = if p.is_absolute() { p.to_path_buf() } else { base.join(p) };
    p.canonicalize().unwrap_or(p).display().to_string()
}

/// Whether `engine` is `family` or one of its variants (`wasmtime-quick`
/// is a `wasmtime`: the known bugs are in the runtime they share).
fn engine_of(engine: &str, family: &str) -> bool {
    engine.strip_prefix(family).is_some_and(|rest| rest.is_empty() || rest.starts_with('-'))
}

/// A signature with every number blanked (`table:#1.0:slots` → `table:#.:slots`
/// with `#` kept): what campaign triage compares, since generated cases
/// number their instances differently.
pub fn blank_numbers(s: &str) -> String {
    s.chars().filter(|c| !c.is_ascii_digit()).collect()
}

impl Known {
    /// Reads `script line engine signature finding.wast` lines (`#`
    /// comments); script paths, and the findings, are relative to the known
    /// file's own folder (so another repository keeps its own file beside
    /// its scripts).
    pub fn load(path: &str) -> Result<Known, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
        let file = std::path::Path::new(path);
        let base = file.parent().unwrap_or(std::path::Path::new("."));
        let base = if base.as_os_str().is_empty() { std::path::Path::new(".") } else { base };
        let (folder, shown) = if path == DEFAULT_KNOWN {
            ("corpus/findings/".to_string(), "corpus/findings/known.txt".to_string())
        } else {
            (format!("{}/", base.display()), path.to_string())
        };
        let mut entries = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let words: Vec<&str> = line.split_whitespace().collect();
            let [script, at, engine, signature, finding] = words[..] else {
                return Err(format!("{path}:{}: expected `script line engine signature finding`", n + 1));
            };
            let line = at.parse().map_err(|_| format!("{path}:{}: bad line number {at}", n + 1))?;
            entries.push(KnownEntry {
                script: script_key(script, base),
                line,
                engine: engine.into(),
                signature: signature.into(),
                finding: finding.into(),
            });
        }
        Ok(Known { entries, folder, file: shown })
    }

    /// The finding that explains one difference of a divergence, if any.
    fn entry(&self, script: &str, d: &Divergence, diff: &Diff) -> Option<&KnownEntry> {
        let script = script_key(script, std::path::Path::new("."));
        self.entries.iter().find(|k| {
            k.script == script && k.line == d.line && engine_of(&d.engine, &k.engine) && k.signature == diff.signature
        })
    }

    /// The finding a divergence is known as: only if *every* difference in
    /// it is a known one (of one or more findings; the first is named).
    pub fn finding(&self, script: &str, d: &Divergence) -> Option<&str> {
        let mut first = None;
        for diff in &d.diffs {
            let k = self.entry(script, d, diff)?;
            first.get_or_insert(k.finding.as_str());
        }
        first
    }

    /// Whether one difference is known (for reports that mark each).
    pub fn knows(&self, script: &str, d: &Divergence, diff: &Diff) -> bool {
        self.entry(script, d, diff).is_some()
    }

    /// Campaign triage: the finding a divergence of a generated case is, by
    /// signature alone (engine family and every difference's signature,
    /// numbers blanked); generated cases have no stable script or line.
    pub fn finding_by_signature(&self, d: &Divergence) -> Option<&str> {
        let mut first = None;
        for diff in &d.diffs {
            let sig = blank_numbers(&diff.signature);
            let k =
                self.entries.iter().find(|k| engine_of(&d.engine, &k.engine) && blank_numbers(&k.signature) == sig)?;
            first.get_or_insert(k.finding.as_str());
        }
        first
    }
}

/// Whether a run passes (a script's is a [`ScriptStatus`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Fail,
}

/// What a run comes to ([`Totals::status`]): it decides the exit status
/// (0 for a pass, 1 for a fail) and the run's closing line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunStatus {
    pub status: Status,
    /// For a fail, every reason (`2 failed checks`, `nothing was compared:
    /// wasmi alone …`); for a pass, what `--allow-nothing-compared` let
    /// pass, if anything.
    pub why: Vec<String>,
}

impl RunStatus {
    /// `result: pass`, or `result: FAIL: REASON; REASON`.
    pub fn line(&self) -> String {
        match (self.status, &self.why[..]) {
            (Status::Pass, []) => "result: pass\n".into(),
            (Status::Pass, why) => format!("result: pass ({})\n", why.join("; ")),
            (Status::Fail, why) => format!("result: FAIL: {}\n", why.join("; ")),
        }
    }
}

/// What one script comes to, for its line, `--quiet`, the JSON and JUnit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ScriptStatus {
    /// A check failed, or a divergence that no known finding explains.
    Fail,
    /// Divergences, each wholly explained by known findings (and so are
    /// the failed checks with them).
    Known,
    /// Nothing ran: no check passed or failed and nothing diverged (every
    /// check skipped, decided by the text format, or not reached).
    Skipped,
    /// Checks passed, none failed, nothing diverged.
    Pass,
}

/// What `r` comes to with these known findings.
pub fn script_status(r: &ScriptReport, known: &Known) -> ScriptStatus {
    let unknown = r.divergences.iter().any(|d| known.finding(&r.name, d).is_none());
    if unknown || !unexplained_failures(r, known).is_empty() {
        ScriptStatus::Fail
    } else if !r.divergences.is_empty() {
        ScriptStatus::Known
    } else if r.passed == 0 && r.failed.is_empty() {
        ScriptStatus::Skipped
    } else {
        ScriptStatus::Pass
    }
}

/// Totals over a run.
#[derive(Debug, Default, Serialize)]
pub struct Totals {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    /// Checks decided by the text format.
    pub by_text: usize,
    /// Checks not reached (the reference had stopped).
    pub not_reached: usize,
    pub divergences: usize,
    /// Divergences wholly explained by known findings.
    pub known: usize,
    /// Failed checks of engines whose divergence at that step is wholly known.
    pub known_failed: usize,
    /// Per engine (by name, in first-seen order): steps compared, and scripts
    /// in which it stopped.
    pub engines: Vec<(String, usize, usize)>,
    /// Skips by reason.
    pub skip_reasons: Vec<(String, usize)>,
    /// The known findings' file ([`Known::file`]).
    pub known_file: String,
}

/// The failed checks that a known finding does not explain. A failed check
/// is explained only if it failed in engines other than the reference, and
/// each of them has, at that step, a divergence that known findings wholly
/// explain. The reference's failures, and the script's own, never are.
pub fn unexplained_failures<'a>(r: &'a ScriptReport, known: &Known) -> Vec<&'a Note> {
    let reference = r.engines.first().map(String::as_str).unwrap_or("");
    let explained = |n: &Note| {
        !n.engines.is_empty()
            && n.engines.iter().all(|e| {
                e != reference
                    && r.divergences
                        .iter()
                        .any(|d| d.line == n.line && &d.engine == e && known.finding(&r.name, d).is_some())
            })
    };
    r.failed.iter().filter(|n| !explained(n)).collect()
}

impl Totals {
    pub fn add(&mut self, r: &ScriptReport, known: &Known) {
        self.known_file.clone_from(&known.file);
        let k = r.divergences.iter().filter(|d| known.finding(&r.name, d).is_some()).count();
        let unexplained = unexplained_failures(r, known).len();
        self.passed += r.passed;
        self.failed += unexplained;
        self.known_failed += r.failed.len() - unexplained;
        self.skipped += r.skipped.len();
        self.by_text += r.by_text.len();
        self.not_reached += r.not_reached.len();
        self.divergences += r.divergences.len() - k;
        self.known += k;
        for (name, lane) in r.engines.iter().zip(&r.lanes) {
            let stopped = usize::from(lane.stop.is_some());
            match self.engines.iter_mut().find(|(n, _, _)| n == name) {
                Some((_, steps, stops)) => {
                    *steps += lane.compared;
                    *stops += stopped;
                }
                None => self.engines.push((name.clone(), lane.compared, stopped)),
            }
        }
        for note in &r.skipped {
            match self.skip_reasons.iter_mut().find(|(w, _)| *w == note.what) {
                Some((_, n)) => *n += 1,
                None => self.skip_reasons.push((note.what.clone(), 1)),
            }
        }
    }

    /// No unexplained failure or divergence, something was checked and
    /// something was compared: `status(false)` is a pass.
    pub fn ok(&self) -> bool {
        self.status(false).status == Status::Pass
    }

    /// Whether no engine but the reference was compared on any step: one
    /// engine was given, or every other one stopped before its first step.
    pub fn nothing_compared(&self) -> bool {
        self.engines.iter().skip(1).all(|&(_, steps, _)| steps == 0)
    }

    /// What the run comes to. It fails on an unexplained failed check or
    /// divergence; and, unless `allow_nothing_compared`, when no check
    /// passed (every one skipped, decided by the text format, not reached
    /// or failed) or nothing was compared ([`Totals::nothing_compared`]):
    /// a run that tested nothing must not look like one that found nothing.
    pub fn status(&self, allow_nothing_compared: bool) -> RunStatus {
        let mut fails = Vec::new();
        if self.failed > 0 {
            fails.push(format!("{} failed checks", self.failed));
        }
        if self.divergences > 0 {
            fails.push(format!("{} new divergences", self.divergences));
        }
        let mut nothing = Vec::new();
        if self.passed == 0 {
            let checked = self.failed + self.known_failed > 0;
            nothing.push(if checked { "no check passed" } else { "nothing was checked: no check passed" }.to_string());
        }
        if self.nothing_compared() {
            nothing.push(match &self.engines[..] {
                [] => "nothing was compared: no engine ran".to_string(),
                [(one, ..)] => format!("nothing was compared: {one} alone"),
                [(reference, ..), ..] => {
                    format!("nothing was compared: no engine was compared with the reference {reference} on any step")
                }
            });
        }
        if allow_nothing_compared {
            let allowed = nothing.into_iter().map(|n| format!("{n} (allowed by --allow-nothing-compared)"));
            let status = if fails.is_empty() { Status::Pass } else { Status::Fail };
            return RunStatus { status, why: fails.into_iter().chain(allowed).collect() };
        }
        let status = if fails.is_empty() && nothing.is_empty() { Status::Pass } else { Status::Fail };
        if !nothing.is_empty() {
            let last = nothing.len() - 1;
            nothing[last] += " (--allow-nothing-compared if that is meant)";
        }
        RunStatus { status, why: fails.into_iter().chain(nothing).collect() }
    }

    /// The closing lines of a run.
    pub fn lines(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "wast: {} passed, {} failed, {} skipped", self.passed, self.failed, self.skipped);
        let mut reasons = self.skip_reasons.clone();
        reasons.sort_by(|a, b| b.1.cmp(&a.1));
        for (reason, n) in &reasons {
            let _ = writeln!(out, "  skipped {n}: {reason}");
        }
        let _ = writeln!(out, "decided by the text format: {}", self.by_text);
        if self.not_reached > 0 {
            let _ = writeln!(out, "not reached (the reference had stopped): {}", self.not_reached);
        }
        let _ = writeln!(
            out,
            "known findings: {} divergences, {} failed checks ({})",
            self.known,
            self.known_failed,
            if self.known_file.is_empty() { "no known findings file" } else { &self.known_file }
        );
        let _ = writeln!(out, "divergences: {}", self.divergences);
        let engines: Vec<String> = self
            .engines
            .iter()
            .map(|(e, steps, stops)| match stops {
                0 => format!("{e} {steps}"),
                _ => format!("{e} {steps} (stopped in {stops} scripts)"),
            })
            .collect();
        let _ = writeln!(out, "steps compared: {}", engines.join(", "));
        let names: Vec<String> = self.engines.iter().map(|(e, ..)| e.clone()).collect();
        let _ = writeln!(out, "engines: {}", crate::engine::versions(&names).join(", "));
        out
    }
}

/// The one-line verdict of a script, its lanes if any stopped, and its notes below it.
pub fn script_lines(r: &ScriptReport, known: &Known, verbose: bool) -> String {
    let mut out = String::new();
    let status = match script_status(r, known) {
        ScriptStatus::Fail => "FAIL",
        ScriptStatus::Known => "KNOWN",
        ScriptStatus::Skipped => "SKIP",
        ScriptStatus::Pass => "ok  ",
    };
    let by_text =
        if r.by_text.is_empty() { String::new() } else { format!(", {} by the text format", r.by_text.len()) };
    let not_reached =
        if r.not_reached.is_empty() { String::new() } else { format!(", {} not reached", r.not_reached.len()) };
    let _ = writeln!(
        out,
        "{status} {}: {} passed, {} failed, {} skipped{by_text}{not_reached}; {}",
        r.name,
        r.passed,
        r.failed.len(),
        r.skipped.len(),
        r.verdict()
    );
    if verbose || r.lanes.iter().any(|l| l.stop.is_some()) {
        for l in r.lane_lines() {
            let _ = writeln!(out, "     {l}");
        }
    }
    for note in &r.failed {
        let _ = writeln!(out, "     failed {note}");
    }
    for d in &r.divergences {
        out += &divergence(r, d, known);
    }
    out += &skips(&r.skipped, verbose);
    if verbose {
        for note in r.by_text.iter().chain(&r.not_reached) {
            let _ = writeln!(out, "     uncounted {note}");
        }
    }
    out
}

/// The longest a directive is shown in a divergence, in lines.
const DIRECTIVE_LINES: usize = 12;

/// One divergence: the step, the engine, every object that differs (each
/// marked if a known finding explains it), the replay command.
pub fn divergence(r: &ScriptReport, d: &Divergence, known: &Known) -> String {
    let mut out = String::new();
    let reference = r.engines.first().map(String::as_str).unwrap_or("the reference");
    let tag = match known.finding(&r.name, d) {
        Some(f) => format!("KNOWN FINDING {}{f}", known.folder),
        None => "DIVERGENCE".into(),
    };
    let _ = writeln!(out, "     {tag} at line {}: {} differs from the reference {reference}", d.line, d.engine);
    for diff in &d.diffs {
        let mark = if known.knows(&r.name, d, diff) { "  [known]" } else { "" };
        let _ = writeln!(out, "       {}{mark}  ({})", diff.object, diff.signature);
        // In the heading's order: the engine, then the reference.
        let width = reference.len().max(d.engine.len()) + 1;
        let _ = writeln!(out, "         {:<width$} {}", format!("{}:", d.engine), diff.engine);
        let _ = writeln!(out, "         {:<width$} {}", format!("{reference}:"), diff.reference);
    }
    if !d.still_differs.is_empty() {
        let lines: Vec<String> = d.still_differs.iter().map(|l| l.to_string()).collect();
        let _ = writeln!(out, "       still differs so after line {} (not reported again)", lines.join(", "));
    }
    let _ = writeln!(out, "       step:");
    for line in shown_directive(&d.directive).lines() {
        let _ = writeln!(out, "         {line}");
    }
    let _ = writeln!(out, "       replay: {}", replay_command(r));
    out
}

/// A directive as a report shows it: whole, or cut after
/// [`DIRECTIVE_LINES`] lines with a note of how many were left out.
fn shown_directive(s: &str) -> String {
    let lines: Vec<&str> = s.lines().collect();
    if lines.len() <= DIRECTIVE_LINES {
        return s.to_string();
    }
    let mut out = lines[..DIRECTIVE_LINES].join("\n");
    let _ = write!(out, "\n;; … {} more lines", lines.len() - DIRECTIVE_LINES);
    out
}

/// Skips are never silent: each distinct reason with its count, or each skip.
fn skips(skips: &[Note], verbose: bool) -> String {
    let mut out = String::new();
    if verbose {
        for note in skips {
            let _ = writeln!(out, "     skipped {note}");
        }
        return out;
    }
    let mut reasons: Vec<(&str, usize)> = Vec::new();
    for note in skips {
        match reasons.iter_mut().find(|(r, _)| *r == note.what) {
            Some((_, n)) => *n += 1,
            None => reasons.push((&note.what, 1)),
        }
    }
    for (reason, n) in reasons {
        let _ = writeln!(out, "     skipped {n}: {reason}");
    }
    out
}

/// The full report of one script, for `lockstep replay`: every divergence in
/// full, with the step's source and the script's modules up to it as WAT.
pub fn full(r: &ScriptReport, text: &str, known: &Known) -> String {
    let mut out = script_lines(r, known, true);
    let reference = r.engines.first().map(String::as_str).unwrap_or("the reference");
    for d in &r.divergences {
        let what = d.what(reference);
        let _ = writeln!(out, "\n== line {}: {} diverges\n{what}\nthe step:\n{}", d.line, d.engine, d.directive);
        let modules = modules_before(text, d.line);
        if !modules.is_empty() {
            let _ = writeln!(out, "\nthe modules of the script up to that step:");
            for m in modules {
                let _ = writeln!(out, "{m}\n");
            }
        }
    }
    out
}

/// The modules of a script up to and including the directive at `line`, as
/// WAT: text modules as written, binary ones printed by wasmprinter, and the
/// modules inline in assertions (`assert_trap (module …)`) as written.
fn modules_before(text: &str, line: usize) -> Vec<String> {
    let mut lexer = wast::lexer::Lexer::new(text);
    lexer.allow_confusing_unicode(true);
    let Ok(buf) = wast::parser::ParseBuffer::new_with_lexer(lexer) else { return vec![] };
    let Ok(script) = wast::parser::parse::<wast::Wast<'_>>(&buf) else { return vec![] };
    let mut out = Vec::new();
    let lines = crate::wast::LineIndex::new(text);
    for d in script.directives {
        let (at, offset) = (lines.line(d.span().offset()), d.span().offset());
        if at > line {
            break;
        }
        let inline = matches!(
            &d,
            wast::WastDirective::AssertUnlinkable { .. }
                | wast::WastDirective::AssertTrap { exec: wast::WastExecute::Wat(_), .. }
                | wast::WastDirective::AssertReturn { exec: wast::WastExecute::Wat(_), .. }
        );
        if inline {
            let source = crate::wast::directive_text(text, offset);
            if let Some(i) = source[1..].find("(module") {
                out.push(format!(";; inline, at line {at}:\n{}", crate::wast::directive_text(&source, i + 2)));
            }
        }
        if let wast::WastDirective::Module(mut m) | wast::WastDirective::ModuleDefinition(mut m) = d {
            let source = crate::wast::directive_text(text, offset);
            let is_binary = source.contains("binary");
            match (is_binary, m.encode()) {
                (true, Ok(bytes)) => {
                    out.push(wasmprinter::print_bytes(&bytes).unwrap_or_else(|e| format!(";; unprintable: {e}")))
                }
                _ => out.push(source),
            }
        }
    }
    out
}

/// The verdict table of `lockstep run`: one row per script, one column per
/// engine compared with the reference.
pub fn table(reports: &[ScriptReport], known: &Known) -> String {
    let Some(first) = reports.first() else { return String::new() };
    let engines = &first.engines;
    let width = reports.iter().map(|r| r.name.len()).max().unwrap_or(8).clamp(8, 60);
    let mut out = String::new();
    let _ = write!(out, "{:<width$}  {:>7}", "script", "checks");
    for e in engines {
        let _ = write!(out, "  {e:<12}");
    }
    out.push('\n');
    for r in reports {
        let name = if r.name.len() > width { &r.name[r.name.len() - width..] } else { &r.name };
        let checks =
            if r.failed.is_empty() { format!("{}", r.passed) } else { format!("{}!{}", r.passed, r.failed.len()) };
        let _ = write!(out, "{name:<width$}  {checks:>7}");
        for (i, e) in engines.iter().enumerate() {
            let cell = if i == 0 {
                // The reference's own failures (or the script's), not other engines'.
                let own = r.failed.iter().any(|n| n.engines.is_empty() || n.engines.contains(e));
                if own { "checks fail".to_string() } else { "reference".to_string() }
            } else {
                let mine: Vec<&Divergence> =
                    r.divergences.iter().filter(|d| d.engine.split('+').any(|n| n == e)).collect();
                let stop = r.lanes.get(i).and_then(|l| l.stop.as_ref());
                match &mine[..] {
                    [] => stop.map_or("agree".to_string(), |s| s.kind.name().to_string()),
                    ds if ds.iter().all(|d| known.finding(&r.name, d).is_some()) => "known bug".into(),
                    ds if ds.iter().any(|d| d.is_crash()) => "CRASH".into(),
                    ds => format!("DIVERGE ({})", ds.len()),
                }
            };
            let _ = write!(out, "  {cell:<12}");
        }
        out.push('\n');
    }
    out
}

/// The command that reruns `r`'s script on its engines and prints its full
/// report: `lockstep replay --engines model,wasmi SCRIPT`.
pub fn replay_command(r: &ScriptReport) -> String {
    format!("lockstep replay --engines {} {}", r.engines.join(","), r.name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wast::Lane;

    fn known(entries: &str) -> Known {
        let path = std::env::temp_dir().join(format!("known-{}-{}.txt", std::process::id(), entries.len()));
        std::fs::write(&path, entries).unwrap();
        let k = Known::load(path.to_str().unwrap()).unwrap();
        let _ = std::fs::remove_file(&path);
        k
    }

    fn diff(signature: &str) -> Diff {
        Diff { object: "o".into(), signature: signature.into(), reference: "a".into(), engine: "b".into() }
    }

    fn report(divergences: Vec<Divergence>, failed: Vec<Note>) -> ScriptReport {
        ScriptReport {
            name: "spec:x.wast".into(),
            engines: vec!["model".into(), "wasmi".into()],
            passed: 1,
            failed,
            divergences,
            lanes: vec![Lane { compared: 1, stop: None }; 2],
            ..ScriptReport::default()
        }
    }

    fn divergence(line: usize, sigs: &[&str]) -> Divergence {
        Divergence {
            line,
            directive: String::new(),
            engine: "wasmi".into(),
            diffs: sigs.iter().map(|s| diff(s)).collect(),
            still_differs: vec![],
        }
    }

    fn failed(line: usize, engines: &[&str]) -> Note {
        Note { line, what: "x".into(), engines: engines.iter().map(|e| e.to_string()).collect() }
    }

    const ENTRY: &str = "spec:x.wast 5 wasmi crash f.wast\n";

    #[test]
    fn a_known_difference_is_excused_with_the_engines_failed_check() {
        let r = report(vec![divergence(5, &["crash"])], vec![failed(5, &["wasmi"])]);
        let mut t = Totals::default();
        t.add(&r, &known(ENTRY));
        assert_eq!((t.known, t.divergences, t.failed, t.known_failed), (1, 0, 0, 1));
        assert!(t.ok());
    }

    #[test]
    fn a_run_that_compared_or_checked_nothing_fails_unless_allowed() {
        let mut alone = report(vec![], vec![]);
        alone.engines.truncate(1);
        alone.lanes.truncate(1);
        let mut t = Totals::default();
        t.add(&alone, &Known::default());
        assert_eq!(t.status(false).status, Status::Fail);
        assert!(t.status(false).why[0].contains("model alone"), "{:?}", t.status(false));
        assert_eq!(t.status(true).status, Status::Pass);
        let mut skipped = report(vec![], vec![]);
        skipped.passed = 0;
        skipped.skipped = vec![failed(3, &[])];
        assert_eq!(script_status(&skipped, &Known::default()), ScriptStatus::Skipped);
        let mut t = Totals::default();
        t.add(&skipped, &Known::default());
        assert!(t.status(false).why[0].starts_with("nothing was checked"), "{:?}", t.status(false));
        // Allowing nothing compared never excuses a failure.
        let mut t = Totals::default();
        t.add(&report(vec![], vec![failed(2, &["model"])]), &Known::default());
        assert_eq!(t.status(true).status, Status::Fail);
    }

    #[test]
    fn a_second_difference_at_a_known_step_fails_the_run() {
        let r = report(vec![divergence(5, &["crash", "table:#0.0:slots"])], vec![]);
        let mut t = Totals::default();
        t.add(&r, &known(ENTRY));
        assert_eq!((t.known, t.divergences), (0, 1));
        assert!(!t.ok());
    }

    #[test]
    fn another_kind_of_difference_at_a_known_step_is_not_known() {
        let d = divergence(5, &["outcome:returned/returned"]);
        assert_eq!(known(ENTRY).finding("spec:x.wast", &d), None);
        assert_eq!(known(ENTRY).finding("spec:x.wast", &divergence(6, &["crash"])), None);
    }

    #[test]
    fn a_failure_of_the_reference_on_a_known_step_fails_the_run() {
        let r = report(vec![divergence(5, &["crash"])], vec![failed(5, &["model", "wasmi"])]);
        let mut t = Totals::default();
        t.add(&r, &known(ENTRY));
        assert_eq!(t.failed, 1);
        // And the script's own failures (no engine) are never excused.
        let r = report(vec![divergence(5, &["crash"])], vec![failed(5, &[])]);
        assert_eq!(unexplained_failures(&r, &known(ENTRY)).len(), 1);
    }

    #[test]
    fn entries_name_files_relative_to_the_repository() {
        // The test's known file is in the temporary folder: paths are relative to it.
        let absolute = repository().join("corpus/findings/wasmi-select-fused-condition.wast");
        let k = known(&format!("{} 5 wasmi crash f.wast\n", absolute.display()));
        let d = divergence(5, &["crash"]);
        assert_eq!(k.finding(absolute.to_str().unwrap(), &d), Some("f.wast"));
    }

    #[test]
    fn relative_entries_are_relative_to_the_known_files_folder() {
        let dir = std::env::temp_dir().join(format!("known-folder-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("sub/x.wast"), "").unwrap();
        let file = dir.join("known.txt");
        std::fs::write(&file, "sub/x.wast 5 wasmi crash f.wast\n").unwrap();
        let k = Known::load(file.to_str().unwrap()).unwrap();
        let script = dir.join("sub/x.wast");
        let found = k.finding(script.to_str().unwrap(), &divergence(5, &["crash"]));
        assert_eq!(k.folder, format!("{}/", dir.display()));
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(found, Some("f.wast"));
    }

    #[test]
    fn campaign_triage_matches_signatures_with_numbers_blanked() {
        let k = known("spec:x.wast 5 wasmtime memory:#1.0:bytes f.wast\n");
        let mut d = divergence(40, &["memory:#3.0:bytes"]);
        d.engine = "wasmtime-quick".into();
        assert_eq!(k.finding_by_signature(&d), Some("f.wast"));
        d.diffs.push(diff("outcome:returned/returned"));
        assert_eq!(k.finding_by_signature(&d), None, "every difference must be known");
    }
}
