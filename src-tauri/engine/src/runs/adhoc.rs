//! Seed 001's multi-agent task bodies as workflows. A task with the
//! coordination pattern `pipeline`, `collaborative`, `hierarchical` or
//! `swarm` over several required capabilities becomes an ad-hoc definition
//! of that pattern, checked against the catalog like any other and run as
//! one. Pure.
//!
//! Seed 001 names capabilities in its own words (`security_review`,
//! `monitoring_setup`); [`VOCABULARY`] says which catalog capability and
//! task type does that work and what the task is given. A capability the
//! catalog has itself is used as it is, with the body's `type` when one of
//! its agents knows that task type.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::catalog::Catalog;
use crate::workflow::model::{Input, Merge, Output, Step, StepKind, ValueType, Workflow};

/// A multi-agent task in seed 001's words.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AdhocTask {
    pub pattern: String,
    pub name: Option<String>,
    pub description: Option<String>,
    /// The seed's `type`.
    pub task_type: String,
    pub requirements: Vec<String>,
    #[schemars(with = "Value")]
    pub payload: Value,
    pub constraints: Constraints,
}

/// Seed 001's `constraints`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Constraints {
    /// At most this many agents at once (collaborative and swarm steps).
    #[serde(default)]
    pub max_agents: Option<u32>,
    /// Seconds the whole task may take: each step's timeout, and how long
    /// an approval waits.
    #[serde(default)]
    pub estimated_duration: Option<u64>,
    /// A person's approval, per name, before the last stage runs.
    #[serde(default)]
    pub required_approvals: Vec<String>,
}

/// Seed 001's capability words: (seed word, catalog capability, task type,
/// the task's input over `inputs.name`, `inputs.description`, `inputs.payload`).
pub const VOCABULARY: &[(&str, &str, &str, &str)] = &[
    (
        "code_analysis",
        "code_review",
        "review",
        r#"{"code": "{{ inputs.payload.code | default(inputs.description) }}", "language": "{{ inputs.payload.language | default('') }}", "focus": "{{ inputs.name }}"}"#,
    ),
    (
        "security_review",
        "security_audit",
        "audit",
        r#"{"code": "{{ inputs.payload.code | default(inputs.description) }}", "language": "{{ inputs.payload.language | default('') }}", "focus": "security"}"#,
    ),
    (
        "code_generation",
        "code_generation",
        "implement",
        r#"{"spec": "{{ inputs.name }}: {{ inputs.description }}\n{{ inputs.payload | tojson }}", "language": "{{ inputs.payload.language | default('python') }}"}"#,
    ),
    (
        "security_implementation",
        "security_remediation",
        "remediation_plan",
        r#"{"findings": ["{{ inputs.name }}: {{ inputs.description }}", "{{ inputs.payload | tojson }}"]}"#,
    ),
    (
        "infrastructure_management",
        "infrastructure_as_code",
        "write_compose",
        r#"{"services": [{"name": "{{ inputs.payload.application | default(inputs.name) }}", "environment": "{{ inputs.payload.environment | default('production') }}"}]}"#,
    ),
    (
        "deployment_automation",
        "deployment_automation",
        "deployment_plan",
        r#"{"service": "{{ inputs.payload.application | default(inputs.name) }}", "environment": "{{ inputs.payload.environment | default('production') }}"}"#,
    ),
    (
        "monitoring_setup",
        "monitoring",
        "define_metric",
        r#"{"question": "What should we watch for {{ inputs.name }}? {{ inputs.description }} {{ inputs.payload | tojson }}"}"#,
    ),
    (
        "security_configuration",
        "container_security",
        "harden_container",
        r#"{"config": "{{ inputs.payload | tojson }}"}"#,
    ),
];

/// The patterns that make a workflow (`single` is one task).
pub const PATTERNS: &[&str] = &["pipeline", "collaborative", "hierarchical", "swarm"];

/// Agents a collaborative or swarm step asks when the body sets no bound.
const DEFAULT_AGENTS: u32 = 3;
/// How long an approval waits when the body gives no duration: a day.
const DEFAULT_APPROVAL_MS: u64 = 24 * 3600 * 1000;

/// The catalog capability, task type and input for one required capability.
fn resolve(requirement: &str, task_type: &str, catalog: &Catalog) -> Result<(String, String, Value), String> {
    let known = catalog.with_capability(requirement);
    if !known.is_empty() {
        let offered = known.iter().any(|e| e.manifest.knows_task_type(task_type));
        let chosen = if offered {
            task_type.to_string()
        } else if let Some((_, _, t, _)) = VOCABULARY.iter().find(|(seed, ..)| *seed == requirement) {
            (*t).to_string()
        } else {
            return Err(format!(
                "requirements: no agent with capability `{requirement}` has task type `{task_type}`"
            ));
        };
        let input = VOCABULARY
            .iter()
            .find(|(seed, _, t, _)| *seed == requirement && *t == chosen)
            .map_or_else(
                || Ok(json!("{{ inputs.payload }}")),
                |(.., input)| serde_json::from_str(input),
            )
            .map_err(|err| format!("the input of `{requirement}` is not JSON: {err}"))?;
        return Ok((requirement.to_string(), chosen, input));
    }
    let Some((_, capability, chosen, input)) = VOCABULARY.iter().find(|(seed, ..)| *seed == requirement) else {
        return Err(format!(
            "requirements: no agent in the catalog has capability `{requirement}`, and it is not one of seed 001's words ({})",
            VOCABULARY.iter().map(|(seed, ..)| *seed).collect::<Vec<_>>().join(", ")
        ));
    };
    let input =
        serde_json::from_str(input).map_err(|err| format!("the input of `{requirement}` is not JSON: {err}"))?;
    Ok(((*capability).to_string(), (*chosen).to_string(), input))
}

fn step(
    id: String,
    title: String,
    capability: String,
    task_type: String,
    input: Value,
    timeout_ms: Option<u64>,
) -> Step {
    Step {
        id,
        title,
        kind: StepKind::Task,
        agent: None,
        capability: Some(capability),
        task_type: Some(task_type),
        input,
        depends_on: Vec::new(),
        retry: None,
        timeout_ms,
        when: None,
        on_error: Default::default(),
        share: Vec::new(),
        position: None,
    }
}

/// The ad-hoc definition of a multi-agent task, or why there is none (the
/// message names the field).
pub fn workflow(task: &AdhocTask, catalog: &Catalog) -> Result<Workflow, String> {
    if !PATTERNS.contains(&task.pattern.as_str()) {
        return Err(format!(
            "coordination_pattern: expected single, {}; found `{}`",
            PATTERNS.join(", "),
            task.pattern
        ));
    }
    if task.requirements.is_empty() {
        return Err(format!(
            "requirements: a `{}` task names the capabilities it needs",
            task.pattern
        ));
    }
    let timeout_ms = task.constraints.estimated_duration.map(|s| s.saturating_mul(1000));
    let agents = task.constraints.max_agents.unwrap_or(DEFAULT_AGENTS).clamp(2, 10);
    let resolved = task
        .requirements
        .iter()
        .map(|r| resolve(r, &task.task_type, catalog))
        .collect::<Result<Vec<_>, _>>()?;
    let mut steps: Vec<Step> = resolved
        .into_iter()
        .zip(&task.requirements)
        .map(|((capability, task_type, input), requirement)| {
            step(
                requirement.clone(),
                requirement.replace('_', " "),
                capability,
                task_type,
                input,
                timeout_ms,
            )
        })
        .collect();
    match task.pattern.as_str() {
        "pipeline" => {
            for i in 1..steps.len() {
                steps[i].depends_on = vec![steps[i - 1].id.clone()];
            }
        }
        "collaborative" => {
            // Every capability's agents on the same task at once; a
            // capability that several agents have asks as many of them.
            for s in &mut steps {
                let able = catalog
                    .with_capability(s.capability.as_deref().unwrap_or_default())
                    .iter()
                    .filter(|e| e.manifest.knows_task_type(s.task_type.as_deref().unwrap_or_default()))
                    .count() as u32;
                if able >= 2 {
                    s.kind = StepKind::Collaborative {
                        agents: agents.min(able),
                        merge: Merge::All,
                    };
                }
            }
        }
        "swarm" => {
            for s in &mut steps {
                s.kind = StepKind::Swarm { agents, rounds: 3 };
            }
        }
        _ => {
            // hierarchical: a coordinator plans the work over the required
            // capabilities; its plan's steps run as steps of this run.
            // Each offer says what input its task type's prompt needs, so
            // the coordinator can plan steps that run.
            let offered: Vec<Value> = steps
                .iter()
                .map(|s| {
                    let (capability, task_type) = (
                        s.capability.as_deref().unwrap_or_default(),
                        s.task_type.as_deref().unwrap_or_default(),
                    );
                    let (needs, may) = catalog
                        .with_capability(capability)
                        .into_iter()
                        .find_map(|e| super::preflight::prompt_fields(e, task_type))
                        .unwrap_or_default();
                    json!({"capability": capability, "taskType": task_type, "needs": needs, "may": may})
                })
                .collect();
            let mut lead = step(
                "plan".into(),
                "Plan the work".into(),
                "task_decomposition".into(),
                "plan_run".into(),
                json!({
                    "goal": "{{ inputs.name }}: {{ inputs.description }}",
                    "payload": "{{ inputs.payload }}",
                    "capabilities": offered,
                }),
                timeout_ms,
            );
            lead.agent = Some("AG-001".into());
            lead.kind = StepKind::Hierarchical {
                max_steps: (steps.len() as u32 * 2).clamp(1, 50),
                max_depth: 1,
            };
            steps = vec![lead];
        }
    }
    // Approvals gate the last stage: nothing ships before the reviews.
    let approvals: Vec<Step> = task
        .constraints
        .required_approvals
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let mut gate = step(
                format!("approval_{}", i + 1),
                name.clone(),
                String::new(),
                String::new(),
                Value::Null,
                None,
            );
            gate.capability = None;
            gate.task_type = None;
            gate.kind = StepKind::Approval {
                approvals: 1,
                timeout_ms: timeout_ms.unwrap_or(DEFAULT_APPROVAL_MS),
            };
            gate.depends_on = steps
                .len()
                .checked_sub(2)
                .map(|before_last| vec![steps[before_last].id.clone()])
                .unwrap_or_default();
            gate
        })
        .collect();
    if let Some(last) = steps.last_mut() {
        last.depends_on.extend(approvals.iter().map(|a| a.id.clone()));
    }
    let count = steps.len();
    steps.splice(count.saturating_sub(1)..count.saturating_sub(1), approvals);
    let name = task.name.clone().unwrap_or_else(|| format!("{} task", task.pattern));
    let text = |name: &str| Input {
        name: name.into(),
        kind: ValueType::String,
        required: false,
        default: Some(json!("")),
        description: String::new(),
        untrusted: false,
    };
    Ok(Workflow {
        schema: None,
        id: format!("task_{}", task.pattern),
        name,
        description: task.description.clone().unwrap_or_default(),
        inputs: vec![
            text("name"),
            text("description"),
            Input {
                name: "payload".into(),
                kind: ValueType::Any,
                required: false,
                default: Some(json!({})),
                description: String::new(),
                untrusted: false,
            },
        ],
        outputs: steps
            .iter()
            .filter(|s| s.kind.runs_tasks())
            .map(|s| Output {
                name: s.id.clone(),
                from: format!("{{{{ steps.{}.output }}}}", s.id),
            })
            .collect(),
        steps,
        notes: Vec::new(),
    })
}

/// The run's inputs for an ad-hoc task.
pub fn inputs(task: &AdhocTask) -> serde_json::Map<String, Value> {
    let mut map = serde_json::Map::new();
    map.insert("name".into(), json!(task.name.clone().unwrap_or_default()));
    map.insert(
        "description".into(),
        json!(task.description.clone().unwrap_or_default()),
    );
    map.insert(
        "payload".into(),
        if task.payload.is_null() {
            json!({})
        } else {
            task.payload.clone()
        },
    );
    map
}
