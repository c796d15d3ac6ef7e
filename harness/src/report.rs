//! What a run shows a person: one line per script, each divergence with the
//! step, what differs, the modules as WAT and the command that replays it;
//! the verdict table of `lockstep run`; and the same as JSON.

use std::fmt::Write;

use serde::Serialize;

use crate::wast::{Divergence, Note, ScriptReport};

/// Divergences that are known engine bugs: each has a minimal `.wast` under
/// `corpus/findings/`. They are shown, but do not fail a run.
#[derive(Debug, Default, Clone)]
pub struct Known {
    entries: Vec<KnownEntry>,
}

#[derive(Debug, Clone)]
struct KnownEntry {
    script: String,
    line: usize,
    engine: String,
    finding: String,
}

impl Known {
    /// Reads `script line engine finding.wast` lines (`#` comments).
    pub fn load(path: &str) -> Result<Known, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
        let mut entries = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let words: Vec<&str> = line.split_whitespace().collect();
            let [script, at, engine, finding] = words[..] else {
                return Err(format!("{path}:{}: expected `script line engine finding`", n + 1));
            };
            let line = at.parse().map_err(|_| format!("{path}:{}: bad line number {at}", n + 1))?;
            entries.push(KnownEntry { script: script.into(), line, engine: engine.into(), finding: finding.into() });
        }
        Ok(Known { entries })
    }

    /// The finding a divergence is known as, if any. An engine's entry also
    /// covers its variants (`wasmtime` covers `wasmtime-quick`): they share
    /// the runtime where the known bugs are.
    pub fn finding(&self, script: &str, d: &Divergence) -> Option<&str> {
        let engine = |k: &KnownEntry| {
            d.engine.strip_prefix(k.engine.as_str()).is_some_and(|rest| rest.is_empty() || rest.starts_with('-'))
        };
        self.entries
            .iter()
            .find(|k| script.ends_with(&k.script) && k.line == d.line && engine(k))
            .map(|k| k.finding.as_str())
    }
}

/// Totals over a run.
#[derive(Debug, Default, Serialize)]
pub struct Totals {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    pub divergences: usize,
    pub known: usize,
}

/// The failed checks that a known finding does not explain: a check that
/// failed at the step (line) of a known divergence is that finding showing.
pub fn unexplained_failures<'a>(r: &'a ScriptReport, known: &Known) -> Vec<&'a Note> {
    let known_lines: Vec<usize> =
        r.divergences.iter().filter(|d| known.finding(&r.name, d).is_some()).map(|d| d.line).collect();
    r.failed.iter().filter(|n| !known_lines.contains(&n.line)).collect()
}

impl Totals {
    pub fn add(&mut self, r: &ScriptReport, known: &Known) {
        let k = r.divergences.iter().filter(|d| known.finding(&r.name, d).is_some()).count();
        self.passed += r.passed;
        self.failed += unexplained_failures(r, known).len();
        self.skipped += r.skipped.len();
        self.divergences += r.divergences.len() - k;
        self.known += k;
    }

    pub fn ok(&self) -> bool {
        self.failed == 0 && self.divergences == 0
    }
}

/// The one-line verdict of a script, and its notes below it.
pub fn script_lines(r: &ScriptReport, known: &Known, verbose: bool) -> String {
    let mut out = String::new();
    let unknown = r.divergences.iter().filter(|d| known.finding(&r.name, d).is_none()).count();
    let status = if unknown > 0 || !unexplained_failures(r, known).is_empty() {
        "FAIL"
    } else if r.divergences.is_empty() {
        "ok  "
    } else {
        "KNOWN"
    };
    let _ = writeln!(
        out,
        "{status} {}: {} passed, {} failed, {} skipped; {}",
        r.name,
        r.passed,
        r.failed.len(),
        r.skipped.len(),
        r.verdict()
    );
    for note in &r.failed {
        let _ = writeln!(out, "     failed {note}");
    }
    for d in &r.divergences {
        out += &divergence(r, d, known.finding(&r.name, d));
    }
    out += &skips(&r.skipped, verbose);
    out
}

/// One divergence: the step, the engine, what differs, the replay command.
pub fn divergence(r: &ScriptReport, d: &Divergence, known: Option<&str>) -> String {
    let mut out = String::new();
    let reference = r.engines.first().map(String::as_str).unwrap_or("the reference");
    let tag = match known {
        Some(f) => format!("KNOWN FINDING corpus/findings/{f}"),
        None => "DIVERGENCE".into(),
    };
    let _ = writeln!(out, "     {tag} at line {} ({} vs the reference {reference}):", d.line, d.engine);
    for line in d.what.lines() {
        let _ = writeln!(out, "       {line}");
    }
    let _ = writeln!(out, "       step: {}", first_line(&d.directive));
    let _ = writeln!(out, "       replay: lockstep replay --engines {} {}", r.engines.join(","), r.name);
    out
}

fn first_line(s: &str) -> String {
    let line = s.lines().next().unwrap_or("");
    if s.lines().nth(1).is_some() { format!("{line} …") } else { line.to_string() }
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
    for d in &r.divergences {
        let _ = writeln!(out, "\n== line {}: {} diverges\n{}\n\nthe step:\n{}", d.line, d.engine, d.what, d.directive);
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

/// The module directives of a script that start before `line`, as WAT:
/// text modules as written, binary ones printed by wasmprinter.
fn modules_before(text: &str, line: usize) -> Vec<String> {
    let mut lexer = wast::lexer::Lexer::new(text);
    lexer.allow_confusing_unicode(true);
    let Ok(buf) = wast::parser::ParseBuffer::new_with_lexer(lexer) else { return vec![] };
    let Ok(script) = wast::parser::parse::<wast::Wast<'_>>(&buf) else { return vec![] };
    let mut out = Vec::new();
    for d in script.directives {
        let (at, offset) = (d.span().linecol_in(text).0 + 1, d.span().offset());
        if at > line {
            break;
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
                if r.failed.is_empty() { "reference".to_string() } else { "checks fail".to_string() }
            } else {
                let mine: Vec<&Divergence> = r.divergences.iter().filter(|d| &d.engine == e).collect();
                match (&mine[..], &r.poisoned) {
                    ([], None) => "agree".into(),
                    ([], Some(_)) => "poisoned".into(),
                    (ds, _) if ds.iter().all(|d| known.finding(&r.name, d).is_some()) => "known bug".into(),
                    (ds, _)
                        if ds.iter().any(|d| d.what.starts_with("crashed") || d.what.starts_with("did not finish")) =>
                    {
                        "CRASH".into()
                    }
                    (ds, _) => format!("DIVERGE ({})", ds.len()),
                }
            };
            let _ = write!(out, "  {cell:<12}");
        }
        out.push('\n');
    }
    out
}

/// A run as data, for `--json`.
#[derive(Serialize)]
pub struct Json<'a> {
    pub scripts: &'a [ScriptReport],
    pub totals: &'a Totals,
}
