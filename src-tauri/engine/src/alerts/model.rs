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
}
