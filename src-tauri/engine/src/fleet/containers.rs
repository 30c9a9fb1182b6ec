//! The app's containers as Docker lists them: which agent and instance each
//! one runs, by its labels and canonical name. Anything else that carries
//! the app's label is a stray.

use std::collections::{BTreeMap, HashMap};

use bollard::models::{ContainerSummary, ContainerSummaryStateEnum};
use bollard::query_parameters::ListContainersOptionsBuilder;
use bollard::Docker;

use super::image::LABEL_APP;
use super::model::Stray;
use super::spec::{instance_name, LABEL_AGENT_ID, LABEL_INSTANCE, LABEL_MANIFEST_HASH};
use crate::catalog::Catalog;

/// One agent container.
#[derive(Debug, Clone)]
pub struct Placed {
    pub agent_id: String,
    /// 1 for the agent's own container, 2.. for further instances.
    pub instance: u32,
    /// The container's name without Docker's leading slash.
    pub name: String,
    pub summary: ContainerSummary,
}

impl Placed {
    pub fn running(&self) -> bool {
        self.summary.state == Some(ContainerSummaryStateEnum::RUNNING)
    }

    /// Exited, dead, or created and never started: not coming back alone.
    pub fn dead(&self) -> bool {
        matches!(
            self.summary.state,
            Some(
                ContainerSummaryStateEnum::EXITED
                    | ContainerSummaryStateEnum::DEAD
                    | ContainerSummaryStateEnum::CREATED
            )
        )
    }

    pub fn manifest_hash(&self) -> Option<&str> {
        self.summary
            .labels
            .as_ref()
            .and_then(|l| l.get(LABEL_MANIFEST_HASH))
            .map(String::as_str)
    }

    /// The epoch of the service tokens the container was made with.
    pub fn token_epoch(&self) -> Option<&str> {
        self.summary
            .labels
            .as_ref()
            .and_then(|l| l.get(super::spec::LABEL_TOKEN_EPOCH))
            .map(String::as_str)
    }

    /// The port on 127.0.0.1 where the container's `private` port is published.
    pub fn published_port(&self, private: u16) -> Option<u16> {
        self.summary.ports.as_ref()?.iter().find_map(|p| {
            (p.private_port == private && p.ip.as_deref() == Some("127.0.0.1"))
                .then_some(p.public_port)
                .flatten()
        })
    }

    pub fn state(&self) -> String {
        self.summary
            .state
            .map(|s| s.to_string())
            .unwrap_or_else(|| "unknown".into())
    }
}

/// Every container with the app's label, sorted by name.
#[derive(Debug, Clone, Default)]
pub struct Containers {
    agents: BTreeMap<String, Placed>,
    /// Labelled as ours but named or labelled unlike any agent container.
    odd: Vec<(ContainerSummary, String)>,
}

impl Containers {
    pub async fn list(docker: &Docker) -> Result<Containers, bollard::errors::Error> {
        let filters = HashMap::from([("label", vec![format!("{LABEL_APP}=sutazai-control-center")])]);
        let options = ListContainersOptionsBuilder::default()
            .all(true)
            .filters(&filters)
            .build();
        Ok(Containers::from_summaries(docker.list_containers(Some(options)).await?))
    }

    pub fn from_summaries(list: Vec<ContainerSummary>) -> Containers {
        let mut containers = Containers::default();
        for summary in list {
            let name = summary
                .names
                .as_ref()
                .and_then(|n| n.first())
                .map(|n| n.trim_start_matches('/').to_string())
                .unwrap_or_default();
            let labels = summary.labels.clone().unwrap_or_default();
            let Some(agent_id) = labels.get(LABEL_AGENT_ID).cloned() else {
                containers.odd.push((summary, "no agent label".into()));
                continue;
            };
            let instance = labels.get(LABEL_INSTANCE).map_or(Some(1), |i| i.parse().ok());
            match instance {
                Some(instance) if instance >= 1 && instance_name(&agent_id, instance) == name => {
                    containers.agents.insert(
                        name.clone(),
                        Placed {
                            agent_id,
                            instance,
                            name,
                            summary,
                        },
                    );
                }
                _ => containers
                    .odd
                    .push((summary, format!("named {name}, not like an instance of {agent_id}"))),
            }
        }
        containers
    }

    /// Every agent container, by name.
    pub fn all(&self) -> impl Iterator<Item = &Placed> {
        self.agents.values()
    }

    pub fn get(&self, name: &str) -> Option<&Placed> {
        self.agents.get(name)
    }

    /// The agent's own container (instance 1).
    pub fn primary(&self, agent_id: &str) -> Option<&Placed> {
        self.agents.get(&instance_name(agent_id, 1))
    }

    /// Every instance of the agent, the first one first.
    pub fn of<'a>(&'a self, agent_id: &'a str) -> impl Iterator<Item = &'a Placed> + 'a {
        let mut instances: Vec<&Placed> = self.agents.values().filter(|p| p.agent_id == agent_id).collect();
        instances.sort_by_key(|p| p.instance);
        instances.into_iter()
    }

    /// Containers with the app's label that no catalog agent accounts for:
    /// odd names or labels, or agents the catalog no longer has.
    pub fn strays(&self, catalog: &Catalog) -> Vec<Stray> {
        let name_of = |s: &ContainerSummary| {
            s.names
                .as_ref()
                .and_then(|n| n.first())
                .map(|n| n.trim_start_matches('/').to_string())
                .unwrap_or_else(|| s.id.clone().unwrap_or_default())
        };
        let state_of = |s: &ContainerSummary| s.state.map(|s| s.to_string()).unwrap_or_else(|| "unknown".into());
        let mut strays: Vec<Stray> = self
            .odd
            .iter()
            .map(|(s, reason)| Stray {
                container: name_of(s),
                state: state_of(s),
                reason: reason.clone(),
            })
            .collect();
        strays.extend(
            self.agents
                .values()
                .filter(|p| catalog.get(&p.agent_id).is_none())
                .map(|p| Stray {
                    container: p.name.clone(),
                    state: p.state(),
                    reason: format!("agent {} is not in the catalog", p.agent_id),
                }),
        );
        strays
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(name: &str, labels: &[(&str, &str)]) -> ContainerSummary {
        ContainerSummary {
            names: Some(vec![format!("/{name}")]),
            labels: Some(labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()),
            state: Some(ContainerSummaryStateEnum::RUNNING),
            ..Default::default()
        }
    }

    #[test]
    fn instances_are_found_by_label_and_name_and_the_rest_are_odd() {
        let app = (LABEL_APP, "sutazai-control-center");
        let containers = Containers::from_summaries(vec![
            summary("sutazai-ag-001", &[app, (LABEL_AGENT_ID, "AG-001")]),
            summary(
                "sutazai-ag-001-2",
                &[app, (LABEL_AGENT_ID, "AG-001"), (LABEL_INSTANCE, "2")],
            ),
            summary(
                "sutazai-ag-001-3",
                &[app, (LABEL_AGENT_ID, "AG-001"), (LABEL_INSTANCE, "2")],
            ),
            summary("copy-of-ag-002", &[app, (LABEL_AGENT_ID, "AG-002")]),
            summary("something", &[app]),
        ]);
        let instances: Vec<(u32, &str)> = containers.of("AG-001").map(|p| (p.instance, p.name.as_str())).collect();
        assert_eq!(instances, [(1, "sutazai-ag-001"), (2, "sutazai-ag-001-2")]);
        assert_eq!(containers.primary("AG-001").map(|p| p.instance), Some(1));
        assert!(containers.primary("AG-002").is_none());
        let odd: Vec<&str> = containers.odd.iter().map(|(_, reason)| reason.as_str()).collect();
        assert_eq!(
            odd,
            [
                "named sutazai-ag-001-3, not like an instance of AG-001",
                "named copy-of-ag-002, not like an instance of AG-002",
                "no agent label"
            ]
        );
    }
}
