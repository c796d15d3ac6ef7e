//! Module-level shrinking of a finding, after its steps are minimised: each
//! module of the script in turn is shrunk by `wasm-shrink` (which removes
//! and simplifies what it can) for as long as the script still shows the
//! same divergence, and is then printed back as WAT, so that a finding
//! speaks text. The number of attempts bounds the work, not a clock.

use wast::parser::{self, ParseBuffer};
use wast::{QuoteWat, Wast, WastDirective};

/// A module directive of a script, taken apart.
struct ModuleDirective {
    /// `" definition"` for `(module definition …)`, else empty.
    definition: &'static str,
    /// `" $name"`, or empty.
    name: String,
    bytes: Vec<u8>,
}

impl ModuleDirective {
    /// `text` as a module directive, if it is one that encodes.
    fn parse(text: &str) -> Option<ModuleDirective> {
        let buf = ParseBuffer::new(text).ok()?;
        let wast: Wast<'_> = parser::parse(&buf).ok()?;
        let [directive] = <[WastDirective<'_>; 1]>::try_from(wast.directives).ok()?;
        let (definition, mut m): (_, QuoteWat<'_>) = match directive {
            WastDirective::Module(m) => ("", m),
            WastDirective::ModuleDefinition(m) => (" definition", m),
            _ => return None,
        };
        let name = m.name().map(|id| format!(" ${}", id.name())).unwrap_or_default();
        let bytes = m.encode().ok()?;
        Some(ModuleDirective { definition, name, bytes })
    }

    /// The directive with `bytes` as a binary module.
    fn binary(&self, bytes: &[u8]) -> String {
        let escaped: String = bytes.iter().map(|b| format!("\\{b:02x}")).collect();
        format!("(module{}{} binary \"{escaped}\")\n", self.definition, self.name)
    }

    /// The directive with `bytes` printed as a text module.
    fn text(&self, bytes: &[u8]) -> Option<String> {
        let printed = wasmprinter::print_bytes(bytes).ok()?;
        // Replace the printer's head, `(module` and any `$id` of a name
        // section, with the script's own.
        let body = printed.strip_prefix("(module")?;
        let body = match body.trim_start_matches(' ').strip_prefix('$') {
            Some(named) => &named[named.find(|c: char| c.is_whitespace() || c == ')')?..],
            None => body,
        };
        Some(format!("(module{}{}{body}\n", self.definition, self.name))
    }
}

/// Shrinks every module of the script made of `pieces` (its top-level
/// directives) while `still` holds for the whole script, with at most
/// `attempts` failed tries in a row per module. Returns the script.
pub fn shrink_modules(pieces: &[String], attempts: u32, still: &mut dyn FnMut(&str) -> bool) -> String {
    let mut pieces = pieces.to_vec();
    for i in 0..pieces.len() {
        let Some(m) = ModuleDirective::parse(&pieces[i]) else { continue };
        let with = |directive: String, pieces: &[String]| -> String {
            pieces.iter().enumerate().map(|(j, p)| if j == i { directive.as_str() } else { p.as_str() }).collect()
        };
        let info = wasm_shrink::WasmShrink::default()
            .attempts(attempts)
            .seed(0)
            .run(m.bytes.clone(), |candidate| Ok(still(&with(m.binary(candidate), &pieces))));
        let Ok(info) = info else { continue };
        if info.output.len() >= m.bytes.len() {
            continue;
        }
        // The WAT form, if it still shows the divergence; else the binary.
        pieces[i] = match m.text(&info.output) {
            Some(text) if still(&with(text.clone(), &pieces)) => text,
            _ => m.binary(&info.output),
        };
    }
    pieces.concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shrinks_a_module_to_what_the_predicate_needs() {
        let pieces = vec![
            "(module $m (func (export \"keep\") (result i32) (i32.const 7)) (func (export \"drop\") (nop)) (memory 1))\n"
                .to_string(),
            "(assert_return (invoke $m \"keep\") (i32.const 7))\n".to_string(),
        ];
        let mut still = |script: &str| {
            let r =
                crate::wast::run_script("s", script, vec![crate::engine::make("model", Default::default()).unwrap()]);
            r.passed == 2 && r.failed.is_empty()
        };
        let out = shrink_modules(&pieces, 50, &mut still);
        assert!(out.starts_with("(module $m"), "{out}");
        assert!(out.contains("\"keep\""), "{out}");
        assert!(!out.contains("\"drop\"") && !out.contains("memory"), "{out}");
        assert!(still(&out));
    }
}
