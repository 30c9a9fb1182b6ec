//! What the user does to agents that exist: start, stop, restart, remove
//! (every instance), undeploy a phase, read and follow logs.

use bollard::query_parameters::{
    LogsOptionsBuilder, RemoveContainerOptionsBuilder, RestartContainerOptionsBuilder, StopContainerOptionsBuilder,
};
use bollard::Docker;
use futures::stream::BoxStream;
use futures::StreamExt;
use tracing::{info, instrument, warn};

use super::model::{AgentAction, FleetEvent, Stray};
use super::spec::container_name;
use super::{Fleet, FleetError};
use crate::catalog::Catalog;

impl Fleet {
    /// Removes a container whatever its state; absent is fine.
    pub(super) async fn remove(&self, docker: &Docker, name: &str) {
        let options = RemoveContainerOptionsBuilder::default().force(true).v(true).build();
        match docker.remove_container(name, Some(options)).await {
            Ok(()) => {}
            Err(bollard::errors::Error::DockerResponseServerError { status_code: 404, .. }) => {}
            Err(err) => warn!(container = name, cause = %err, "cannot remove the container"),
        }
    }

    /// Removes every container (all instances) of `phase`; returns how many
    /// agents had one.
    #[instrument(skip(self, catalog), err)]
    pub async fn undeploy_phase(&self, catalog: &Catalog, phase: u8) -> Result<u32, FleetError> {
        let docker = self.docker().await?;
        let containers = self.containers(&docker).await?;
        let mut agents = 0;
        let mut names = Vec::new();
        for entry in catalog.phase(phase) {
            let before = names.len();
            names.extend(containers.of(&entry.manifest.id).map(|p| p.name.clone()));
            if names.len() > before {
                agents += 1;
                self.emit(FleetEvent::Acted {
                    agent_id: entry.manifest.id.clone(),
                    action: AgentAction::Remove,
                });
            }
        }
        for name in &names {
            self.want(name, None);
        }
        futures::future::join_all(names.iter().map(|name| self.remove(&docker, name))).await;
        info!(phase, agents, containers = names.len(), "phase undeployed");
        Ok(agents)
    }

    /// Start, stop, restart or remove every instance of one agent.
    #[instrument(skip(self, catalog), err)]
    pub async fn act(&self, catalog: &Catalog, agent_id: &str, action: AgentAction) -> Result<(), FleetError> {
        if catalog.get(agent_id).is_none() {
            return Err(FleetError::UnknownAgent(agent_id.to_string()));
        }
        let docker = self.docker().await?;
        let containers = self.containers(&docker).await?;
        let mut names: Vec<String> = containers.of(agent_id).map(|p| p.name.clone()).collect();
        if names.is_empty() {
            // Docker's own error names what is missing.
            names.push(container_name(agent_id));
        }
        for name in &names {
            self.want(
                name,
                match action {
                    // Not wanted while it restarts, or the watch would start
                    // it again between Docker's stop and start.
                    AgentAction::Start => Some(true),
                    AgentAction::Stop | AgentAction::Restart => Some(false),
                    AgentAction::Remove => None,
                },
            );
        }
        let calls = names.iter().map(|name| {
            let docker = &docker;
            async move {
                match action {
                    AgentAction::Start => match docker.start_container(name, None).await {
                        // Already running is what the user asked for.
                        Err(bollard::errors::Error::DockerResponseServerError { status_code: 304, .. }) => Ok(()),
                        other => other,
                    },
                    AgentAction::Stop => {
                        docker
                            .stop_container(name, Some(StopContainerOptionsBuilder::default().t(10).build()))
                            .await
                    }
                    AgentAction::Restart => {
                        docker
                            .restart_container(name, Some(RestartContainerOptionsBuilder::default().t(10).build()))
                            .await
                    }
                    AgentAction::Remove => {
                        self.remove(docker, name).await;
                        Ok(())
                    }
                }
            }
        });
        let results = futures::future::join_all(calls).await;
        if action == AgentAction::Restart {
            for name in &names {
                self.want(name, Some(true));
            }
        }
        self.emit(FleetEvent::Acted {
            agent_id: agent_id.to_string(),
            action,
        });
        for result in results {
            result.map_err(|e| self.docker_error(e))?;
        }
        Ok(())
    }

    /// The last `tail` lines of an agent's log (stdout and stderr).
    pub async fn logs(&self, agent_id: &str, tail: u32) -> Result<String, FleetError> {
        let mut stream = self.follow_logs(agent_id, tail, false).await?;
        let mut out = String::new();
        while let Some(chunk) = stream.next().await {
            out.push_str(&chunk?);
        }
        Ok(out)
    }

    /// The last `tail` lines of an agent's log and, with `follow`, every
    /// line after them as the agent writes it. The stream ends when the
    /// container is gone.
    pub async fn follow_logs(
        &self,
        agent_id: &str,
        tail: u32,
        follow: bool,
    ) -> Result<BoxStream<'static, Result<String, FleetError>>, FleetError> {
        let docker = self.docker().await?;
        Ok(log_stream(&docker, &container_name(agent_id), tail, follow)
            .map(|chunk| chunk.map_err(FleetError::Docker))
            .boxed())
    }

    /// Containers with the app's label that no catalog agent accounts for.
    pub async fn strays(&self, catalog: &Catalog) -> Result<Vec<Stray>, FleetError> {
        let docker = self.docker().await?;
        Ok(self.containers(&docker).await?.strays(catalog))
    }
}

/// A container's log lines (stdout and stderr): the last `tail`, then, with
/// `follow`, whatever it writes next.
pub(super) fn log_stream(
    docker: &Docker,
    name: &str,
    tail: u32,
    follow: bool,
) -> BoxStream<'static, Result<String, bollard::errors::Error>> {
    // Docker's default is neither stream (a 400): ask for both.
    let options = LogsOptionsBuilder::default()
        .stdout(true)
        .stderr(true)
        .follow(follow)
        .tail(&tail.to_string())
        .build();
    docker
        .logs(name, Some(options))
        .map(|c| c.map(|c| c.to_string()))
        .boxed()
}
