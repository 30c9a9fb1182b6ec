//! The agent catalog: every manifest in a directory, validated one by one
//! and across files (unique ids, names and ports; dependencies that exist;
//! no cycles), queried by id, phase, capability and kind, and watched for
//! changes.
//!
//! One bad file never stops the others from loading: it becomes a
//! [`Problem`] that names the file and what is wrong, and the rest load.

mod capabilities;
mod watch;

pub use capabilities::{CapabilityInfo, CapableAgent};
pub use watch::{CatalogEvent, CatalogWatch};

use schemars::JsonSchema;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::dag::Dag;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sutazai_protocol::manifest::Kind;
use sutazai_protocol::Manifest;
use ts_rs::TS;

/// One loaded agent definition.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub manifest: Manifest,
    /// The file it came from.
    pub file: PathBuf,
    /// SHA-256 of the manifest's canonical JSON: changes whenever anything
    /// that matters changes, and not for comments or formatting.
    pub hash: String,
}

/// A file that could not be loaded, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    pub file: String,
    /// One sentence per error, each naming the field path.
    pub errors: Vec<String>,
}

/// What the Overview shows of the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CatalogSummary {
    pub dir: String,
    pub agents: u32,
    /// Agents in phase 1, 2 and 3.
    pub by_phase: Vec<u32>,
    pub problems: Vec<Problem>,
}

/// Everything loaded from one directory.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub dir: PathBuf,
    agents: BTreeMap<String, Arc<Entry>>,
    problems: Vec<Problem>,
}

impl Catalog {
    /// Loads every `*.toml` under `dir` (recursively). Never fails: an
    /// unreadable directory is itself a problem.
    pub fn load(dir: &Path) -> Catalog {
        let mut problems = Vec::new();
        let mut files = Vec::new();
        if let Err(err) = collect_toml(dir, &mut files) {
            problems.push(Problem {
                file: dir.display().to_string(),
                errors: vec![format!("cannot read the folder: {err}")],
            });
        }
        files.sort();
        let mut parsed = Vec::new();
        for file in files {
            let label = file.display().to_string();
            let text = match std::fs::read_to_string(&file) {
                Ok(text) => text,
                Err(err) => {
                    problems.push(Problem {
                        file: label,
                        errors: vec![format!("cannot read the file: {err}")],
                    });
                    continue;
                }
            };
            match Manifest::from_toml(&label, &text) {
                Ok(manifest) => parsed.push(Entry {
                    hash: hash(&manifest),
                    manifest,
                    file,
                }),
                Err(err) => problems.push(Problem {
                    file: label,
                    errors: err.errors.iter().map(ToString::to_string).collect(),
                }),
            }
        }
        let (agents, cross) = cross_check(parsed);
        problems.extend(cross);
        problems.sort_by(|a, b| a.file.cmp(&b.file));
        Catalog {
            dir: dir.to_path_buf(),
            agents: agents
                .into_iter()
                .map(|e| (e.manifest.id.clone(), Arc::new(e)))
                .collect(),
            problems,
        }
    }

    pub fn summary(&self) -> CatalogSummary {
        CatalogSummary {
            dir: self.dir.display().to_string(),
            agents: self.agents.len() as u32,
            by_phase: (1..=3).map(|p| self.phase(p).len() as u32).collect(),
            problems: self.problems.clone(),
        }
    }

    pub fn len(&self) -> usize {
        self.agents.len()
    }

    pub fn is_empty(&self) -> bool {
        self.agents.is_empty()
    }

    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    pub fn get(&self, id: &str) -> Option<&Arc<Entry>> {
        self.agents.get(id)
    }

    /// All agents, by id.
    pub fn all(&self) -> impl Iterator<Item = &Arc<Entry>> {
        self.agents.values()
    }

    pub fn phase(&self, phase: u8) -> Vec<&Arc<Entry>> {
        self.all().filter(|e| e.manifest.phase == phase).collect()
    }

    pub fn with_capability(&self, capability: &str) -> Vec<&Arc<Entry>> {
        self.all()
            .filter(|e| e.manifest.capabilities.iter().any(|c| c == capability))
            .collect()
    }

    pub fn of_kind(&self, kind: Kind) -> Vec<&Arc<Entry>> {
        self.all().filter(|e| e.manifest.kind == kind).collect()
    }

    /// The dependency graph of the agents `ids` (dependencies outside
    /// `ids` are assumed already running). The catalog has no cycles (they
    /// are problems), so its order and waves always exist.
    fn dependencies<'a>(&'a self, ids: &[&'a str]) -> Dag<'a> {
        let edges = ids.iter().filter_map(|id| self.agents.get(*id)).flat_map(|entry| {
            let id = entry.manifest.id.as_str();
            entry.manifest.dependencies.iter().map(move |dep| (dep.as_str(), id))
        });
        Dag::new(ids.iter().copied(), edges)
    }

    /// The agents of `ids` in an order where every agent comes after its
    /// dependencies.
    pub fn dependency_order(&self, ids: &[&str]) -> Vec<String> {
        let order = self.dependencies(ids).order().unwrap_or_default();
        order.into_iter().map(str::to_owned).collect()
    }

    /// The agents of `ids` by dependency wave: the first needs none of the
    /// others, each later one starts after the latest of its dependencies.
    pub fn dependency_waves(&self, ids: &[&str]) -> Vec<Vec<String>> {
        let waves = self.dependencies(ids).waves().unwrap_or_default();
        waves
            .into_iter()
            .map(|w| w.into_iter().map(str::to_owned).collect())
            .collect()
    }
}

fn collect_toml(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_toml(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path);
        }
    }
    Ok(())
}

fn hash(manifest: &Manifest) -> String {
    let canonical = serde_json::to_vec(manifest).unwrap_or_default();
    let digest = Sha256::digest(&canonical);
    hex::encode(digest)
}

/// Drops entries that clash with an earlier file, sit in the wrong phase
/// folder, depend on agents that are not loaded, or take part in a cycle —
/// repeating until what is left is consistent.
fn cross_check(entries: Vec<Entry>) -> (Vec<Entry>, Vec<Problem>) {
    let mut problems = Vec::new();
    let mut kept: Vec<Entry> = Vec::new();
    let mut seen: HashMap<String, String> = HashMap::new();
    for entry in entries {
        let m = &entry.manifest;
        let file = entry.file.display().to_string();
        let mut errors = Vec::new();
        for (what, key) in [
            ("id", m.id.clone()),
            ("name", m.name.clone()),
            ("port", m.port.to_string()),
        ] {
            if let Some(owner) = seen.get(&format!("{what}:{key}")) {
                errors.push(format!("`{what}`: {key} is already used by {owner}"));
            }
        }
        if let Some(folder) = phase_folder(&entry.file) {
            if folder != m.phase {
                errors.push(format!(
                    "`phase`: {} but the file is in the phase-{folder} folder",
                    m.phase
                ));
            }
        }
        if errors.is_empty() {
            for (what, key) in [
                ("id", m.id.clone()),
                ("name", m.name.clone()),
                ("port", m.port.to_string()),
            ] {
                seen.insert(format!("{what}:{key}"), file.clone());
            }
            kept.push(entry);
        } else {
            problems.push(Problem { file, errors });
        }
    }

    loop {
        let ids: HashMap<&str, u8> = kept
            .iter()
            .map(|e| (e.manifest.id.as_str(), e.manifest.phase))
            .collect();
        let mut dropped: Vec<(usize, Vec<String>)> = Vec::new();
        for (i, entry) in kept.iter().enumerate() {
            let mut errors = Vec::new();
            for (j, dep) in entry.manifest.dependencies.iter().enumerate() {
                match ids.get(dep.as_str()) {
                    None => errors.push(format!("`dependencies[{j}]`: {dep} is not a loaded agent")),
                    Some(phase) if *phase > entry.manifest.phase => errors.push(format!(
                        "`dependencies[{j}]`: {dep} is in phase {phase}, after this agent's phase {}",
                        entry.manifest.phase
                    )),
                    Some(_) => {}
                }
            }
            if !errors.is_empty() {
                dropped.push((i, errors));
            }
        }
        if dropped.is_empty() {
            let cycles = cycles(&kept);
            if cycles.is_empty() {
                break;
            }
            dropped = cycles;
        }
        for (i, errors) in dropped.iter().rev() {
            let entry = kept.remove(*i);
            problems.push(Problem {
                file: entry.file.display().to_string(),
                errors: errors.clone(),
            });
        }
    }
    (kept, problems)
}

/// Entries that are part of a dependency cycle, with the cycle spelled out.
fn cycles(entries: &[Entry]) -> Vec<(usize, Vec<String>)> {
    let nodes = entries.iter().map(|e| e.manifest.id.as_str());
    let edges = entries.iter().flat_map(|e| {
        let id = e.manifest.id.as_str();
        e.manifest.dependencies.iter().map(move |dep| (dep.as_str(), id))
    });
    let mut out = Vec::new();
    for cycle in Dag::new(nodes, edges).cycles() {
        let ring = cycle.members.join(", ");
        for (i, e) in entries.iter().enumerate() {
            if cycle.members.contains(&e.manifest.id) {
                out.push((i, vec![format!("`dependencies`: dependency cycle among {ring}")]));
            }
        }
    }
    out.sort_by_key(|(i, _)| *i);
    out
}

/// `n` when the file sits in a folder named `phase-n`.
fn phase_folder(file: &Path) -> Option<u8> {
    file.parent()?
        .file_name()?
        .to_str()?
        .strip_prefix("phase-")?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests;
