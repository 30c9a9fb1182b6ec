//! The injection scan shared by the hub (threat blocking) and AG-017's
//! deterministic tool: SQL injection, XSS, path traversal, template
//! injection, code execution and prompt-injection phrases, with a risk score
//! and the seed's allow / challenge / block thresholds (block above 0.8,
//! challenge above 0.5).
//!
//! The text is scanned as given and again after [`normalise`] undoes
//! encodings and Unicode disguises, and once more with SQL comments removed
//! (`UN/**/ION`) or turned into spaces (`UNION/**/SELECT`).
//!
//! The score combines findings as independent evidence:
//! `1 - Π(1 - weight)` over the distinct patterns that matched, so one weak
//! hint stays low, one strong pattern (0.85) blocks, and several medium ones
//! add up.
//!
//! Architecture invariant: pure and deterministic — no IO, no model, no
//! clock; the same text always gets the same report.

mod normalise;
mod patterns;

use std::sync::OnceLock;

#[cfg(feature = "fast-scan")]
use regex::{Regex, RegexBuilder};
#[cfg(not(feature = "fast-scan"))]
use regex_lite::{Regex, RegexBuilder};
use serde::Serialize;

use normalise::{normalise, strip_sql_comments};
use patterns::{Pattern, PATTERNS};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    SqlInjection,
    Xss,
    PathTraversal,
    TemplateInjection,
    CodeExecution,
    PromptInjection,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Allow,
    Challenge,
    Block,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub category: Category,
    /// Which pattern matched, e.g. `union_select`.
    pub pattern: &'static str,
    /// The matched text (at most 80 characters).
    pub excerpt: String,
    /// Byte offset of the match in the text it was found in: the input
    /// itself when it matched there, otherwise its normalised form.
    pub offset: usize,
    pub weight: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScanReport {
    pub action: Action,
    /// 0 (nothing found) to 1.
    pub risk_score: f64,
    pub findings: Vec<Finding>,
    pub categories: Vec<Category>,
}

/// The most memory one compiled pattern may take.
#[cfg(not(feature = "fast-scan"))]
const SIZE_LIMIT: usize = 1 << 20;
#[cfg(feature = "fast-scan")]
const SIZE_LIMIT: usize = 16 << 20;

fn compiled() -> &'static [(Regex, &'static Pattern)] {
    static COMPILED: OnceLock<Vec<(Regex, &'static Pattern)>> = OnceLock::new();
    COMPILED.get_or_init(|| {
        PATTERNS
            .iter()
            .filter_map(|p| {
                // regex-lite (the agent): small automata with ASCII classes.
                // The syntax these patterns look for is ASCII once the text
                // is normalised, and the full regex crate's Unicode-aware
                // engines made the compiled patterns the agent's largest
                // memory use (+2.3 MB after the first scan). With
                // `fast-scan` (the hub) the regex crate's DFAs, with room
                // for their Unicode classes.
                let mut builder = RegexBuilder::new(p.regex);
                builder.case_insensitive(true).size_limit(SIZE_LIMIT);
                builder.build().ok().map(|r| (r, p))
            })
            .collect()
    })
}

/// The forms of `text` the patterns run on, the input itself first and
/// without repeats.
fn variants(text: &str) -> Vec<String> {
    let normalised = normalise(text);
    let candidates = [
        text.to_owned(),
        strip_sql_comments(&normalised, " "),
        strip_sql_comments(&normalised, ""),
        normalised,
    ];
    let mut out: Vec<String> = Vec::with_capacity(candidates.len());
    for candidate in candidates {
        if !out.contains(&candidate) {
            out.push(candidate);
        }
    }
    out
}

/// With `fast-scan`, every pattern in one set: one pass over a text says
/// which patterns match, and only those run again to say where.
#[cfg(feature = "fast-scan")]
fn matching(text: &str) -> Vec<usize> {
    static SET: OnceLock<Option<regex::RegexSet>> = OnceLock::new();
    let set = SET.get_or_init(|| {
        regex::RegexSetBuilder::new(compiled().iter().map(|(r, _)| r.as_str()))
            .case_insensitive(true)
            .size_limit(SIZE_LIMIT * 4)
            .build()
            .ok()
    });
    match set {
        Some(set) => set.matches(text).into_iter().collect(),
        None => (0..compiled().len()).collect(),
    }
}

/// Without `fast-scan` every pattern runs on every text.
#[cfg(not(feature = "fast-scan"))]
fn matching(_text: &str) -> Vec<usize> {
    (0..compiled().len()).collect()
}

/// Scans `text`.
pub fn scan(text: &str) -> ScanReport {
    let mut findings: Vec<Finding> = Vec::new();
    for source in variants(text) {
        for (regex, pattern) in matching(&source).into_iter().map(|i| &compiled()[i]) {
            if findings.iter().any(|f| f.pattern == pattern.name) {
                continue;
            }
            if let Some(m) = regex.find(&source) {
                findings.push(Finding {
                    category: pattern.category,
                    pattern: pattern.name,
                    excerpt: m.as_str().chars().take(80).collect(),
                    offset: m.start(),
                    weight: pattern.weight,
                });
            }
        }
    }
    let risk_score = 1.0 - findings.iter().fold(1.0, |keep, f| keep * (1.0 - f.weight));
    let risk_score = (risk_score * 1000.0).round() / 1000.0;
    let action = if risk_score > 0.8 {
        Action::Block
    } else if risk_score > 0.5 {
        Action::Challenge
    } else {
        Action::Allow
    };
    let mut categories: Vec<Category> = Vec::new();
    for f in &findings {
        if !categories.contains(&f.category) {
            categories.push(f.category);
        }
    }
    ScanReport {
        action,
        risk_score,
        findings,
        categories,
    }
}

#[cfg(test)]
mod tests;
