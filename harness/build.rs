//! Records the versions of the engines this build links (from the
//! workspace's `Cargo.lock`, which names a `[patch]`ed development build's
//! version and its path source too), for `--version` and reports.

use std::path::{Path, PathBuf};

const ENGINES: [&str; 2] = ["wasmi", "wasmtime"];

fn main() {
    let dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let lock = dir.ancestors().map(|d| d.join("Cargo.lock")).find(|p| p.exists());
    let mut versions = Vec::new();
    if let Some(lock) = &lock {
        println!("cargo:rerun-if-changed={}", lock.display());
        versions = read(lock);
    }
    for name in ENGINES {
        let v = versions
            .iter()
            .find(|(n, _)| n == name)
            .map_or("unknown (no Cargo.lock found)".to_string(), |(_, v)| v.clone());
        println!("cargo:rustc-env=LOCKSTEP_VERSION_{}={v}", name.to_uppercase());
    }
    println!("cargo:rerun-if-changed=build.rs");
}

/// `(name, "VERSION")` or `(name, "VERSION (SOURCE)")` for a package not
/// from crates.io, of each engine package in the lock file.
fn read(lock: &Path) -> Vec<(String, String)> {
    let Ok(text) = std::fs::read_to_string(lock) else { return Vec::new() };
    let Ok(doc) = text.parse::<toml::Table>() else { return Vec::new() };
    let Some(packages) = doc.get("package").and_then(|p| p.as_array()) else { return Vec::new() };
    let mut found = Vec::new();
    for p in packages {
        let field = |k: &str| p.get(k).and_then(|v| v.as_str());
        let (Some(name), Some(version)) = (field("name"), field("version")) else { continue };
        if !ENGINES.contains(&name) {
            continue;
        }
        let version = match field("source") {
            Some(s) if s.starts_with("registry+") => version.to_string(),
            Some(s) => format!("{version} ({s})"),
            None => format!("{version} (a local path)"),
        };
        found.push((name.to_string(), version));
    }
    found
}
