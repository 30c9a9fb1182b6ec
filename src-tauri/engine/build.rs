//! Embeds what ships with the app so it can seed the user's folders on first
//! start: the agent catalog (agents/catalog/**/*.toml) and the workflow
//! templates (agents/workflows/*.json).

use std::path::{Path, PathBuf};

fn collect(dir: &Path, extension: &str, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, extension, out);
        } else if path.extension().is_some_and(|e| e == extension) {
            out.push(path);
        }
    }
}

/// Writes `$OUT_DIR/<out>`: a `&[(path inside the folder, text)]` of every
/// `*.<extension>` file under `root`.
fn embed(root: &Path, extension: &str, out: &str) {
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    collect(root, extension, &mut files);
    files.sort();
    assert!(!files.is_empty(), "no *.{extension} files under {}", root.display());
    let mut code = String::from("&[\n");
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
        let rel = file
            .strip_prefix(root)
            .unwrap_or(file)
            .to_string_lossy()
            .replace('\\', "/");
        let abs = file.canonicalize().unwrap_or_else(|_| file.clone());
        code.push_str(&format!(
            "    ({rel:?}, include_str!({:?})),\n",
            abs.display().to_string()
        ));
    }
    code.push_str("]\n");
    let path = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join(out);
    std::fs::write(path, code).expect("cannot write an embedded folder");
}

fn main() {
    // Read when the script runs, not `env!` (fixed when it was compiled):
    // cargo reuses a compiled build script for a clone elsewhere that shares
    // the target dir, and the clone it was compiled for may be gone.
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let agents = Path::new(&manifest_dir).join("../../agents");
    embed(&agents.join("catalog"), "toml", "shipped_catalog.rs");
    embed(&agents.join("workflows"), "json", "shipped_workflows.rs");
}
