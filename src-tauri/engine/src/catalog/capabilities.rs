//! Capabilities as a task submitter chooses among them: per capability, the
//! agents that have it and the task types each knows. The router accepts a
//! task only when some agent has both the capability and the task type
//! (`Roster::contenders`), so this is what a submit form may offer.

use schemars::JsonSchema;
use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use ts_rs::TS;

use super::Catalog;

/// One capability and who offers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CapabilityInfo {
    pub capability: String,
    /// The agents that have it, by id.
    pub agents: Vec<CapableAgent>,
    /// Every task type at least one of them knows, sorted (`echo` included).
    pub task_types: Vec<String>,
}

/// An agent as the capability picker lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CapableAgent {
    pub id: String,
    pub name: String,
    pub phase: u8,
    /// The task types it knows, sorted; the built-in `echo` among them.
    pub task_types: Vec<String>,
}

impl Catalog {
    /// Every capability of a loaded agent, sorted by name.
    pub fn capabilities(&self) -> Vec<CapabilityInfo> {
        let mut by_capability: BTreeMap<&str, Vec<CapableAgent>> = BTreeMap::new();
        for entry in self.all() {
            let m = &entry.manifest;
            let mut task_types = m.task_type_names();
            task_types.sort();
            for capability in &m.capabilities {
                by_capability.entry(capability).or_default().push(CapableAgent {
                    id: m.id.clone(),
                    name: m.name.clone(),
                    phase: m.phase,
                    task_types: task_types.clone(),
                });
            }
        }
        by_capability
            .into_iter()
            .map(|(capability, agents)| {
                let task_types: BTreeSet<&String> = agents.iter().flat_map(|a| &a.task_types).collect();
                CapabilityInfo {
                    capability: capability.to_string(),
                    task_types: task_types.into_iter().cloned().collect(),
                    agents,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped() -> Catalog {
        // At run time: a test binary may have been built in another clone.
        let root = std::path::PathBuf::from(
            std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into()),
        );
        Catalog::load(&root.join("../../agents/catalog"))
    }

    /// "AG-001 [decompose, echo, …]" per agent of one capability.
    fn describe(info: &CapabilityInfo) -> String {
        let agents: Vec<String> = info
            .agents
            .iter()
            .map(|a| format!("{} {} p{} [{}]", a.id, a.name, a.phase, a.task_types.join(", ")))
            .collect();
        format!(
            "{}\n  {}\n  all: {}",
            info.capability,
            agents.join("\n  "),
            info.task_types.join(", ")
        )
    }

    #[test]
    fn each_capability_lists_its_agents_and_what_they_know() {
        let catalog = shipped();
        let all = catalog.capabilities();
        let names: Vec<&str> = all.iter().map(|c| c.capability.as_str()).collect();
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(names, sorted, "sorted and unique");
        for info in &all {
            assert!(!info.agents.is_empty(), "{} has agents", info.capability);
            for agent in &info.agents {
                let m = &catalog.get(&agent.id).unwrap().manifest;
                assert!(m.capabilities.contains(&info.capability));
                assert!(agent.task_types.iter().any(|t| t == "echo"), "{} knows echo", agent.id);
                assert!(agent.task_types.iter().all(|t| info.task_types.contains(t)));
            }
        }
        let every_pair: usize = catalog.all().map(|e| e.manifest.capabilities.len()).sum();
        assert_eq!(all.iter().map(|c| c.agents.len()).sum::<usize>(), every_pair);

        let decomposition = all.iter().find(|c| c.capability == "task_decomposition").unwrap();
        insta::assert_snapshot!(describe(decomposition), @r"
        task_decomposition
          AG-001 agentzero-coordinator p1 [decompose, echo, merge_results, plan_run, plan_workflow, prioritize]
          AG-033 devika p2 [check_code, echo, implement_step, plan_steps, research_queries]
          AG-036 autogpt p2 [critique, echo, next_action]
          AG-037 babyagi p2 [create_tasks, echo, execute, prioritize]
          AG-038 agentgpt-autonomous-executor p2 [echo, execute_task, start_goal, summarize_run]
          AG-039 crewai p2 [echo, form_crew, review_handoff, synthesize]
          all: check_code, create_tasks, critique, decompose, echo, execute, execute_task, form_crew, implement_step, merge_results, next_action, plan_run, plan_steps, plan_workflow, prioritize, research_queries, review_handoff, start_goal, summarize_run, synthesize
        ");
    }
}
