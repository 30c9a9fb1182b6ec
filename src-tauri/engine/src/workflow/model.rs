//! A workflow definition as its JSON file holds it: typed inputs and
//! outputs and a graph of steps. This is the domain model; the designer's
//! canvas is a projection of it, never the other way round.
//!
//! Strings inside a step's `input`, its `when`, a `forEach`'s `over` and an
//! output's `from` are templates (minijinja, strict) over `inputs.<name>`,
//! `steps.<id>.output`, `context.<name>` and, in a `forEach` step, `item`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// One workflow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Workflow {
    /// The JSON Schema editors check the file against (ignored here).
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub schema: Option<String>,
    /// 1–64 lowercase letters, digits, `-` and `_`; the file is `<id>.json`.
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub inputs: Vec<Input>,
    #[serde(default)]
    pub outputs: Vec<Output>,
    pub steps: Vec<Step>,
    /// Sticky notes on the designer's canvas, for people (ignored by runs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<Vec<Note>>", optional)]
    pub notes: Vec<Note>,
}

impl Workflow {
    /// Each step's index by its id (the last one, when ids repeat).
    pub fn step_index(&self) -> std::collections::HashMap<&str, usize> {
        self.steps.iter().enumerate().map(|(i, s)| (s.id.as_str(), i)).collect()
    }
}

/// An input the run is started with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Input {
    pub name: String,
    #[serde(rename = "type", default)]
    pub kind: ValueType,
    #[serde(default)]
    pub required: bool,
    /// Used when the run does not set it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<serde_json::Value>")]
    #[ts(optional, type = "unknown")]
    pub default: Option<serde_json::Value>,
    #[serde(default)]
    pub description: String,
    /// Content to analyse, not instructions (code to scan, an order to
    /// screen): the threat gate records what it finds in it but lets it
    /// in, and a step of the workflow is expected to screen it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[ts(as = "Option<bool>", optional)]
    pub untrusted: bool,
}

/// The JSON type of an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
pub enum ValueType {
    String,
    Number,
    Boolean,
    List,
    Object,
    #[default]
    Any,
}

/// A value the run reports when it ends, rendered from a template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Output {
    pub name: String,
    /// A template, e.g. `{{ steps.review.output }}`.
    pub from: String,
}

/// One step of the graph.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Step {
    /// 1–64 letters, digits, `-` and `_`; unique in the workflow.
    pub id: String,
    #[serde(default)]
    pub title: String,
    /// What the step is (a task, unless said otherwise).
    #[serde(default)]
    pub kind: StepKind,
    /// The agent that must run it; or else `capability`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub agent: Option<String>,
    /// Any healthy agent with this capability runs it (the router picks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub capability: Option<String>,
    /// The task type the agent offers (every kind but `approval`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub task_type: Option<String>,
    /// The task's payload; every string in it is a template.
    #[serde(default)]
    #[schemars(with = "serde_json::Value")]
    #[ts(type = "unknown")]
    pub input: serde_json::Value,
    /// Steps that must end first, besides those the templates name.
    #[serde(default)]
    pub depends_on: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub retry: Option<Retry>,
    /// How long one attempt may take (default: the task timeout).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub timeout_ms: Option<u64>,
    /// A condition over earlier outputs; false skips the step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub when: Option<String>,
    #[serde(default)]
    pub on_error: OnError,
    /// Values the step shares with the steps after it when it succeeds
    /// (seed 003's shared context), read there as `context.<key>`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<Vec<Share>>", optional)]
    pub share: Vec<Share>,
    /// Where the designer draws the step (ignored by runs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub position: Option<Position>,
}

/// A point on the designer's canvas.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema, TS)]
#[serde(deny_unknown_fields)]
pub struct Position {
    pub x: f64,
    pub y: f64,
}

/// A sticky note on the designer's canvas: free text beside the steps,
/// never connected to them and never run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Note {
    /// 1–64 letters, digits, `-` and `_`; unique among the notes.
    pub id: String,
    #[serde(default)]
    pub text: String,
    pub position: Position,
    /// The note's size on the canvas; the designer's default when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub width: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub height: Option<f64>,
}

/// One value a step shares with later steps of its run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Share {
    /// The name later templates read as `context.<key>`.
    pub key: String,
    /// A template; it may read this step's own output.
    pub value: String,
    /// How long the value lives; kept as long as the run when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub ttl_ms: Option<u64>,
}

/// What a step is. `task` runs one orchestrator task; the others are the
/// seeds' coordination patterns.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema, TS)]
// Two attributes: ts-rs drops a whole `serde(...)` it cannot read, and it
// does not read `deny_unknown_fields` on an enum.
#[serde(tag = "type", rename_all = "camelCase")]
#[serde(deny_unknown_fields)]
pub enum StepKind {
    #[default]
    Task,
    /// Parallel fan-out / fan-in: one task per item of `over` (a template
    /// that yields a list), the results collected in order.
    #[serde(rename_all = "camelCase")]
    ForEach { over: String },
    /// The same task to `agents` distinct containers, merged.
    #[serde(rename_all = "camelCase")]
    Collaborative { agents: u32, merge: Merge },
    /// The step's JSON plan becomes steps of the running run.
    #[serde(rename_all = "camelCase")]
    Hierarchical { max_steps: u32, max_depth: u32 },
    /// `agents` agents answer in rounds, each seeing the others' last
    /// answers, until they agree or `rounds` have passed.
    #[serde(rename_all = "camelCase")]
    Swarm { agents: u32, rounds: u32 },
    /// Waits for `approvals` people to approve (one reject fails it).
    #[serde(rename_all = "camelCase")]
    Approval {
        approvals: u32,
        #[ts(type = "number")]
        timeout_ms: u64,
    },
}

impl StepKind {
    /// Whether the step sends work to agents (all but `approval`).
    pub fn runs_tasks(&self) -> bool {
        !matches!(self, StepKind::Approval { .. })
    }
}

/// How a collaborative step merges its answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
pub enum Merge {
    /// Every answer, in order.
    All,
    /// The first answer that succeeds.
    First,
    /// The answer most agents gave.
    Majority,
}

/// Attempts of one step's task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Retry {
    /// Attempts in all, the first included (1–10).
    pub attempts: u32,
    /// The first retry's delay ceiling; it doubles each time.
    #[serde(default)]
    #[ts(type = "number")]
    pub backoff_ms: u64,
}

/// What a failed step means for the run.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema, TS)]
#[serde(rename_all = "camelCase")]
pub enum OnError {
    /// The run fails (seed 000's `stop_on_error`).
    #[default]
    Stop,
    /// The step is failed; the steps that need it are skipped, the rest go on.
    Continue,
    /// The named step runs in its place.
    Fallback(String),
}
