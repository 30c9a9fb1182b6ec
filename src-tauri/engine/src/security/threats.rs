//! Threat blocking: what the gate in front of the orchestrator and the runs
//! makes of an input, and what the store keeps of the ones it stopped (the
//! `threats` table): every input refused or held, what the scanner found in
//! it, and for a held one the request itself until a person approves or
//! rejects it.
//!
//! The scan itself is `sutazai_protocol::threat`; its action (allow,
//! challenge, block, from the thresholds it declares) decides here.

use std::borrow::Cow;

use rusqlite::{params, OptionalExtension, Row};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sutazai_protocol::threat;
use ts_rs::TS;

use crate::store::{Store, StoreError};

/// The most bytes of an input that are scanned: its first half and its
/// last half of this. The scanner runs every pattern on four forms of the
/// text, which takes seconds on 100 KB in a debug build and would let one
/// large submission hold up the caller (and the API's worker) for as long.
/// An injection aimed at a prompt sits where a model reads it first or
/// last; a payload hidden in the middle of a larger input is not scanned,
/// which the audit of a held or refused input cannot show either.
pub const SCANNED_BYTES: usize = 64 * 1024;

/// The most characters of an input kept as a threat's excerpt.
pub const EXCERPT_CHARS: usize = 240;

/// The most threats one read returns.
pub const MAX_PAGE: u32 = 1000;

/// What the gate does with an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Nothing (or only a hint) found: it goes on.
    Pass,
    /// In the scanner's challenge band: kept until a person decides.
    Hold,
    /// At the scanner's block threshold or above: refused.
    Refuse,
}

/// An input's scan, as the gate reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct Screening {
    pub decision: Decision,
    /// The scanner's risk score, 0 to 1.
    pub score: f64,
    /// The names of the patterns that matched, in the scanner's order.
    pub patterns: Vec<String>,
}

/// Scans `input` (at most [`SCANNED_BYTES`] of it) and says what the gate
/// does with it.
pub fn screen(input: &str) -> Screening {
    let report = threat::scan(&scanned(input));
    let decision = match report.action {
        threat::Action::Allow => Decision::Pass,
        threat::Action::Challenge => Decision::Hold,
        threat::Action::Block => Decision::Refuse,
    };
    Screening {
        decision,
        score: report.risk_score,
        patterns: report.findings.iter().map(|f| f.pattern.to_string()).collect(),
    }
}

/// What of `input` is scanned: all of it up to [`SCANNED_BYTES`], else its
/// first and its last half of that (cut on character boundaries), joined
/// by a line break so no pattern spans the gap.
pub fn scanned(input: &str) -> Cow<'_, str> {
    if input.len() <= SCANNED_BYTES {
        return input.into();
    }
    let half = SCANNED_BYTES / 2;
    let mut head_end = half;
    while !input.is_char_boundary(head_end) {
        head_end -= 1;
    }
    let mut tail_start = input.len() - half;
    while !input.is_char_boundary(tail_start) {
        tail_start += 1;
    }
    format!("{}\n{}", &input[..head_end], &input[tail_start..]).into()
}

/// The first [`EXCERPT_CHARS`] characters of `input`.
pub fn excerpt(input: &str) -> String {
    input.chars().take(EXCERPT_CHARS).collect()
}

/// Where a stopped input came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ThreatSource {
    /// A task's submission (by a person, a client or an agent delegating).
    Task,
    /// A workflow run's start.
    Run,
}

/// What became of a stopped input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ThreatAction {
    /// Refused at once.
    Blocked,
    /// Kept until a person decides.
    Held,
    /// Held, then submitted on a person's approval.
    Approved,
    /// Held, then dropped by a person.
    Rejected,
    /// Let through as material to analyse: a task for a security agent,
    /// or a workflow input declared `untrusted` (recorded, not alerted).
    Forwarded,
}

impl ThreatSource {
    fn as_str(self) -> &'static str {
        match self {
            Self::Task => "task",
            Self::Run => "run",
        }
    }

    fn parse(text: &str) -> ThreatSource {
        match text {
            "run" => Self::Run,
            _ => Self::Task,
        }
    }
}

impl ThreatAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Blocked => "blocked",
            Self::Held => "held",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Forwarded => "forwarded",
        }
    }

    fn parse(text: &str) -> ThreatAction {
        match text {
            "held" => Self::Held,
            "approved" => Self::Approved,
            "rejected" => Self::Rejected,
            "forwarded" => Self::Forwarded,
            _ => Self::Blocked,
        }
    }
}

/// One input the gate stopped, as the Security view shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Threat {
    #[ts(type = "number")]
    pub id: i64,
    #[ts(type = "number")]
    pub at_ms: i64,
    pub source: ThreatSource,
    /// Who submitted it: `desktop`, `key:<name>`, `agent:<id>`.
    pub by: String,
    /// The input's first [`EXCERPT_CHARS`] characters.
    pub excerpt: String,
    pub score: f64,
    /// The names of the patterns that matched.
    pub patterns: Vec<String>,
    pub action: ThreatAction,
    /// Who approved or rejected it.
    pub decided_by: Option<String>,
    #[ts(type = "number | null")]
    pub decided_ms: Option<i64>,
    /// The task's or run's id, once approved.
    pub result_id: Option<String>,
}

/// A stopped input to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewThreat {
    pub at_ms: i64,
    pub source: ThreatSource,
    pub by: String,
    pub excerpt: String,
    pub score: f64,
    pub patterns: Vec<String>,
    /// [`ThreatAction::Blocked`] or [`ThreatAction::Held`].
    pub action: ThreatAction,
    /// The request as JSON, kept for a held input only.
    pub request: Option<String>,
}

const COLUMNS: &str =
    "id, at_ms, source, submitted_by, excerpt, score, patterns, action, decided_by, decided_ms, result_id";

fn threat_of(row: &Row<'_>) -> rusqlite::Result<Threat> {
    let patterns: String = row.get(6)?;
    Ok(Threat {
        id: row.get(0)?,
        at_ms: row.get(1)?,
        source: ThreatSource::parse(&row.get::<_, String>(2)?),
        by: row.get(3)?,
        excerpt: row.get(4)?,
        score: row.get(5)?,
        // Written by `record` below from a list of strings.
        patterns: serde_json::from_str(&patterns).unwrap_or_default(),
        action: ThreatAction::parse(&row.get::<_, String>(7)?),
        decided_by: row.get(8)?,
        decided_ms: row.get(9)?,
        result_id: row.get(10)?,
    })
}

/// Records a stopped input; its id.
pub async fn record(store: &Store, threat: NewThreat) -> Result<i64, StoreError> {
    let patterns = serde_json::to_string(&threat.patterns).unwrap_or_else(|_| "[]".into());
    store
        .call(move |conn| {
            conn.execute(
                "INSERT INTO threats (at_ms, source, submitted_by, excerpt, score, patterns, action, request)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    threat.at_ms,
                    threat.source.as_str(),
                    threat.by,
                    threat.excerpt,
                    threat.score,
                    patterns,
                    threat.action.as_str(),
                    threat.request
                ],
            )?;
            Ok(conn.last_insert_rowid())
        })
        .await
}

/// The newest `limit` threats, newest first.
pub async fn list(store: &Store, limit: u32) -> Result<Vec<Threat>, StoreError> {
    store
        .read(move |conn| {
            let mut stmt = conn.prepare(&format!("SELECT {COLUMNS} FROM threats ORDER BY id DESC LIMIT ?1"))?;
            let rows = stmt.query_map([limit], threat_of)?;
            rows.collect()
        })
        .await
}

/// One threat with its kept request (`None` once decided, or for a
/// blocked one).
pub async fn get(store: &Store, id: i64) -> Result<Option<(Threat, Option<String>)>, StoreError> {
    store
        .read(move |conn| {
            conn.query_row(
                &format!("SELECT {COLUMNS}, request FROM threats WHERE id = ?1"),
                [id],
                |row| Ok((threat_of(row)?, row.get(11)?)),
            )
            .optional()
        })
        .await
}

/// Decides a held threat: `action` (approved or rejected) by `by` at
/// `at_ms`. `false` when it is not held (decided already, or blocked), so
/// of two people deciding at once only one does.
pub async fn decide(store: &Store, id: i64, action: ThreatAction, by: &str, at_ms: i64) -> Result<bool, StoreError> {
    let by = by.to_string();
    store
        .call(move |conn| {
            let changed = conn.execute(
                "UPDATE threats SET action = ?2, decided_by = ?3, decided_ms = ?4
                 WHERE id = ?1 AND action = 'held'",
                params![id, action.as_str(), by, at_ms],
            )?;
            Ok(changed == 1)
        })
        .await
}

/// Holds an approved threat again (its submission failed, so it can be
/// decided anew).
pub async fn hold_again(store: &Store, id: i64) -> Result<(), StoreError> {
    store
        .call(move |conn| {
            conn.execute(
                "UPDATE threats SET action = 'held', decided_by = NULL, decided_ms = NULL
                 WHERE id = ?1 AND action = 'approved' AND result_id IS NULL",
                [id],
            )?;
            Ok(())
        })
        .await
}

/// Records the task or run an approved threat became; the kept request
/// goes (it is that task or run now). A rejected one's request goes too.
pub async fn settle(store: &Store, id: i64, result_id: Option<String>) -> Result<(), StoreError> {
    store
        .call(move |conn| {
            conn.execute(
                "UPDATE threats SET result_id = ?2, request = NULL WHERE id = ?1",
                params![id, result_id],
            )?;
            Ok(())
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Inputs from the scanner's corpus (`agents/protocol/tests/threat_corpus`)
    /// and its challenge band, as the gate decides them.
    #[test]
    fn the_scanners_action_decides() {
        let cases = [
            ("Summarise the quarterly report for the board", Decision::Pass, &[][..]),
            (
                r#"{"task":"'; DROP TABLE users; --"}"#,
                Decision::Refuse,
                &["stacked_ddl"][..],
            ),
            (r#"{"q":"' OR '1'='1"}"#, Decision::Refuse, &["tautology"][..]),
            (
                r#"{"file":"../../../etc/passwd"}"#,
                Decision::Refuse,
                &["traversal_to_file"][..],
            ),
            (r#"{"user":"admin'--"}"#, Decision::Hold, &["comment_terminator"][..]),
        ];
        for (input, decision, named) in cases {
            let screening = screen(input);
            assert_eq!(screening.decision, decision, "{input}: {screening:?}");
            for pattern in named {
                assert!(
                    screening.patterns.iter().any(|p| p == pattern),
                    "{input}: {pattern} not among {:?}",
                    screening.patterns
                );
            }
        }
    }

    #[test]
    fn a_large_input_is_scanned_at_its_start_and_end_only() {
        let attack = "'; DROP TABLE users; --";
        let benign = "the quick brown fox jumps over the lazy dog. ".repeat(200 * 1024 / 45);
        let half = benign.len() / 2;
        let placed = [
            ("start", format!("{attack}\n{benign}"), Decision::Refuse),
            ("end", format!("{benign}\n{attack}"), Decision::Refuse),
            // Documented blind spot: the middle of a large input is not scanned.
            (
                "middle",
                format!("{}\n{attack}\n{}", &benign[..half], &benign[half..]),
                Decision::Pass,
            ),
        ];
        for (where_, input, decision) in placed {
            assert!(input.len() > 190 * 1024);
            assert!(scanned(&input).len() <= SCANNED_BYTES + 1, "{where_}");
            assert_eq!(screen(&input).decision, decision, "an attack at the {where_}");
        }
    }

    #[test]
    fn the_cut_keeps_whole_characters() {
        // Three-byte characters, so the halves' edges fall inside one.
        let input = "€".repeat(SCANNED_BYTES);
        let cut = scanned(&input);
        assert!(cut.len() <= SCANNED_BYTES + 1);
        assert!(cut.chars().filter(|&c| c == '€').count() >= SCANNED_BYTES / 3 - 2);
        let short = "short input";
        assert!(matches!(scanned(short), Cow::Borrowed(s) if s == short));
    }

    #[test]
    fn the_excerpt_is_cut_on_a_character_boundary() {
        assert_eq!(excerpt("é".repeat(300).as_str()), "é".repeat(EXCERPT_CHARS));
        assert_eq!(excerpt("short"), "short");
    }
}
