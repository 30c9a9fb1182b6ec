//! An alert as it is kept and shown.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::lifecycle::Severity;

/// One alert: one firing of a rule for its subject, from fire to resolve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    #[ts(type = "number")]
    pub id: i64,
    /// Rule and subject: the same fingerprint never fires twice at once.
    pub fingerprint: String,
    pub rule: String,
    /// The rule's name when it fired.
    pub name: String,
    /// The agent it is about, for a rule of each agent.
    pub subject: Option<String>,
    pub severity: Severity,
    #[ts(type = "number")]
    pub fired_ms: i64,
    #[ts(type = "number | null")]
    pub resolved_ms: Option<i64>,
    #[ts(type = "number | null")]
    pub acked_ms: Option<i64>,
    pub acked_by: Option<String>,
    /// What happened, for an event rule's alert (`exit code 137`).
    pub detail: Option<String>,
}

/// An alert fired or resolved, as the window and the API are told.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AlertEvent {
    pub fingerprint: String,
    pub rule: String,
    pub name: String,
    pub subject: Option<String>,
    pub severity: Severity,
    pub detail: Option<String>,
    /// Fired (true) or resolved (false).
    pub fired: bool,
}

impl AlertEvent {
    /// The event of a change that fired or resolved an alert.
    pub fn of(change: &super::notify::AlertChange) -> Option<AlertEvent> {
        use super::lifecycle::Change;
        let fired = match change.change {
            Change::Fired => true,
            Change::Resolved => false,
            Change::Pending | Change::Withdrawn => return None,
        };
        Some(AlertEvent {
            fingerprint: change.fingerprint.clone(),
            rule: change.rule.clone(),
            name: change.rule_name.clone(),
            subject: change.subject.clone(),
            severity: change.severity,
            detail: change.detail.clone(),
            fired,
        })
    }
}

/// Which alerts a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum AlertState {
    /// Not resolved.
    Open,
    /// Not resolved and nobody acknowledged it.
    Unacknowledged,
    Resolved,
}

/// A search of the alerts kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct AlertQuery {
    pub state: Option<AlertState>,
    pub severity: Option<Severity>,
    /// The agent (or model, client, container) it is about.
    pub subject: Option<String>,
    /// Words in its name, rule, subject or detail.
    pub text: Option<String>,
    pub limit: u32,
}

impl Default for AlertQuery {
    fn default() -> AlertQuery {
        AlertQuery::all(200)
    }
}

impl AlertQuery {
    pub fn all(limit: u32) -> AlertQuery {
        AlertQuery {
            state: None,
            severity: None,
            subject: None,
            text: None,
            limit,
        }
    }

    pub fn open(limit: u32) -> AlertQuery {
        AlertQuery {
            state: Some(AlertState::Open),
            ..AlertQuery::all(limit)
        }
    }
}

/// A desktop notification that was sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AlertNotice {
    #[ts(type = "number")]
    pub id: i64,
    #[ts(type = "number")]
    pub at_ms: i64,
    pub title: String,
    pub body: String,
    pub severity: Severity,
    /// The alerts it told of.
    pub fingerprints: Vec<String>,
}

/// The rules in force and as shipped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AlertRules {
    pub rules: Vec<super::rules::Rule>,
    pub defaults: Vec<super::rules::Rule>,
}

/// An alert (by fingerprint) that sends no notification until then.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Silence {
    pub fingerprint: String,
    #[ts(type = "number")]
    pub until_ms: i64,
    pub by: String,
    #[ts(type = "number")]
    pub at_ms: i64,
}
