//! The check before a run: what would make a valid definition's steps fail
//! or wait right now, said as warnings that do not block it. Pure: the
//! live facts (healthy agents, installed models) are passed in.

use std::collections::BTreeSet;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::catalog::Catalog;
use crate::workflow::model::{Step, StepKind, Workflow};

/// One thing that may make a step fail or wait.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Warning {
    pub step: Option<String>,
    pub message: String,
}

/// What is true right now.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// Agents (catalog ids) with at least one healthy container.
    pub healthy: BTreeSet<String>,
    /// The models Ollama has installed; `None` when Ollama cannot be asked.
    pub models: Option<BTreeSet<String>>,
}

/// The agents that could run a step: the one it names, or every agent with
/// its capability that knows its task type.
fn candidates<'a>(step: &Step, catalog: &'a Catalog) -> Vec<&'a crate::catalog::Entry> {
    let task_type = step.task_type.as_deref().unwrap_or_default();
    match (&step.agent, &step.capability) {
        (Some(agent), _) => catalog.get(agent).map(|e| e.as_ref()).into_iter().collect(),
        (None, Some(capability)) => catalog
            .with_capability(capability)
            .into_iter()
            .map(|e| e.as_ref())
            .filter(|e| e.manifest.knows_task_type(task_type))
            .collect(),
        (None, None) => Vec::new(),
    }
}

/// The payload fields an agent's task type needs and may use, read from its
/// prompt (none for a tool).
pub fn prompt_fields(entry: &crate::catalog::Entry, task_type: &str) -> Option<(Vec<String>, Vec<String>)> {
    let task = entry.manifest.task_type(task_type)?;
    let prompt = task.prompt.as_deref()?;
    Some(sutazai_protocol::manifest::template::fields(prompt))
}

/// The fields every agent that could run `step` needs and its input (an
/// object with literal keys) lacks.
fn missing_fields(step: &Step, able: &[&crate::catalog::Entry]) -> Vec<String> {
    let serde_json::Value::Object(input) = &step.input else {
        return Vec::new();
    };
    let task_type = step.task_type.as_deref().unwrap_or_default();
    let mut missing: Option<BTreeSet<String>> = None;
    for entry in able {
        let Some((needed, _)) = prompt_fields(entry, task_type) else {
            return Vec::new(); // a tool, or no prompt: nothing to check
        };
        let lacks: BTreeSet<String> = needed.into_iter().filter(|f| !input.contains_key(f)).collect();
        // What every candidate lacks: some agent may do without the rest.
        missing = Some(match missing {
            None => lacks,
            Some(before) => before.intersection(&lacks).cloned().collect(),
        });
    }
    missing.unwrap_or_default().into_iter().collect()
}

/// Every warning for `workflow` given `facts`.
pub fn check(workflow: &Workflow, catalog: &Catalog, facts: &Facts) -> Vec<Warning> {
    let mut warnings = Vec::new();
    let mut llm_steps = false;
    for step in workflow.steps.iter().filter(|s| s.kind.runs_tasks()) {
        let warn = |message: String| Warning {
            step: Some(step.id.clone()),
            message,
        };
        let able = candidates(step, catalog);
        let healthy: Vec<&str> = able
            .iter()
            .filter(|e| facts.healthy.contains(&e.manifest.id))
            .map(|e| e.manifest.id.as_str())
            .collect();
        let needed = match step.kind {
            StepKind::Collaborative { agents, .. } | StepKind::Swarm { agents, .. } => agents as usize,
            _ => 1,
        };
        if healthy.len() < needed {
            let phases: BTreeSet<u8> = able.iter().map(|e| e.manifest.phase).collect();
            let phases: Vec<String> = phases.iter().map(|p| p.to_string()).collect();
            let (who, then) = if needed == 1 {
                ("no healthy agent can take it".to_string(), "it waits until one is up")
            } else {
                (
                    format!("it needs {needed} healthy agents and {} are", healthy.len()),
                    "it waits up to a minute for them, then fails",
                )
            };
            warnings.push(warn(format!(
                "{who}; {} can (deploy phase {}): {then}",
                able.iter()
                    .map(|e| e.manifest.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                phases.join(" or ")
            )));
        }
        let missing = missing_fields(step, &able);
        if !missing.is_empty() {
            warnings.push(warn(format!(
                "its input lacks {}, which the `{}` prompt needs: the task fails with payload_invalid",
                missing.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", "),
                step.task_type.as_deref().unwrap_or_default()
            )));
        }
        let task_type = step.task_type.as_deref().unwrap_or_default();
        let thinks = able
            .iter()
            .any(|e| e.manifest.task_type(task_type).is_some_and(|t| t.tool.is_none()));
        if !thinks {
            continue;
        }
        llm_steps = true;
        if let Some(installed) = &facts.models {
            let served = able.iter().any(|e| {
                installed.contains(&e.manifest.model.preferred) || installed.contains(&e.manifest.model.fallback)
            });
            if !served {
                let wanted: BTreeSet<&str> = able
                    .iter()
                    .flat_map(|e| [e.manifest.model.preferred.as_str(), e.manifest.model.fallback.as_str()])
                    .collect();
                warnings.push(warn(format!(
                    "its agents' models are not pulled in Ollama (any of {}): pull one in Models",
                    wanted.into_iter().collect::<Vec<_>>().join(", ")
                )));
            }
        }
    }
    if llm_steps && facts.models.is_none() {
        warnings.push(Warning {
            step: None,
            message: "Ollama cannot be reached: the steps that ask a model will fail".into(),
        });
    }
    warnings
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use serde_json::json;

    use super::*;

    fn catalog() -> Catalog {
        Catalog::load(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../agents/catalog"))
    }

    #[test]
    fn warnings_name_the_step_and_what_to_do() {
        let catalog = catalog();
        let workflow: Workflow = serde_json::from_value(json!({
            "id": "w", "name": "w",
            "steps": [
                {"id": "plan", "agent": "AG-001", "taskType": "decompose", "input": {"goal": "x"}},
                {"id": "echo", "capability": "prioritization", "taskType": "echo"},
                {"id": "gap", "agent": "AG-001", "taskType": "decompose", "input": {"constraints": "none"}},
                {"id": "team", "kind": {"type": "collaborative", "agents": 3, "merge": "all"},
                 "capability": "orchestration", "taskType": "echo"},
                {"id": "ok", "kind": {"type": "approval", "approvals": 1, "timeoutMs": 1000}}
            ]
        }))
        .unwrap();
        let lines = |facts: &Facts| -> Vec<String> {
            check(&workflow, &catalog, facts)
                .into_iter()
                .map(|w| format!("{}: {}", w.step.unwrap_or_default(), w.message))
                .collect()
        };
        let nothing = Facts::default();
        insta::assert_snapshot!(lines(&nothing).join("\n"), @r"
        plan: no healthy agent can take it; AG-001 can (deploy phase 1): it waits until one is up
        echo: no healthy agent can take it; AG-001, AG-003, AG-010, AG-011, AG-037 can (deploy phase 1 or 2): it waits until one is up
        gap: no healthy agent can take it; AG-001 can (deploy phase 1): it waits until one is up
        gap: its input lacks `goal`, which the `decompose` prompt needs: the task fails with payload_invalid
        team: it needs 3 healthy agents and 0 are; AG-001, AG-002, AG-059 can (deploy phase 1 or 3): it waits up to a minute for them, then fails
        : Ollama cannot be reached: the steps that ask a model will fail
        ");
        let ready = Facts {
            healthy: ["AG-001", "AG-002", "AG-059"].map(String::from).into(),
            models: Some(["llama3.2:1b".to_string()].into()),
        };
        assert_eq!(
            lines(&ready),
            ["gap: its input lacks `goal`, which the `decompose` prompt needs: the task fails with payload_invalid"]
        );
        let unpulled = Facts {
            models: Some(BTreeSet::new()),
            ..ready
        };
        assert_eq!(
            lines(&unpulled)[0],
            "plan: its agents' models are not pulled in Ollama (any of llama3.2:1b, mistral:7b-instruct-q4_K_M): pull one in Models"
        );
    }
}
