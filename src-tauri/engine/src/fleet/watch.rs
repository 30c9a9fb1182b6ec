//! The watch keeps the fleet as the user wants it. Docker's events stream
//! (filtered on the daemon side to the app's containers and a few actions)
//! says at once when a container dies; a full list every few seconds covers
//! a lost stream; each agent's `/health` is polled every 3 s. A dead
//! container is started again and one that stops answering is restarted,
//! both with backoff (`heal::Healing`); one that keeps dying is flapping and
//! left stopped. When Docker is down the watch retries every second.

use std::collections::HashMap;
use std::time::Duration;

use tokio::time::Instant;

use bollard::models::EventMessage;
use bollard::query_parameters::{EventsOptionsBuilder, RestartContainerOptionsBuilder};
use futures::stream::BoxStream;
use futures::{FutureExt, StreamExt};
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use super::heal::{Decision, Healing};
use super::image::LABEL_APP;
use super::model::{Endpoint, FleetEvent};
use super::{lock, Containers, Fleet, FleetError, Placed};

/// How often the watch lists every container even when events flow.
const LIST_EVERY: Duration = Duration::from_secs(10);
/// After an event, the watch lists every round for this long: dockerd may
/// send `die` before its container list says the container exited.
const SETTLE: Duration = Duration::from_secs(3);
/// How often each agent's `/health` is polled. Deaths come at once through
/// the events stream; polls find the agents that run but stopped answering.
/// Each poll of 69 agents costs about 1 % of a core (measured by
/// `./.dev/bench fleet`), so not every second.
const POLL_EVERY: Duration = Duration::from_secs(3);
/// How long `/health` must keep failing (and at least `UNHEALTHY_POLLS`
/// polls in a row) before a running agent is restarted.
const UNHEALTHY_FOR: Duration = Duration::from_secs(5);
const UNHEALTHY_POLLS: u32 = 2;

/// What self-healing knows about one container.
#[derive(Debug, Default)]
struct Watched {
    healing: Healing,
    /// `/health` polls failed in a row, since when, and the last reason.
    failing: u32,
    failing_since: Option<Instant>,
    last_failure: String,
    /// Unplanned exits seen while the container was wanted.
    exits: u32,
    /// Set when left stopped for flapping: the restarts that led to it.
    flapping: Option<u32>,
}

/// Self-healing's memory, by container name.
#[derive(Debug, Default)]
pub(super) struct HealState {
    by_name: HashMap<String, Watched>,
}

/// What the Agents view shows of a container's healing.
pub(super) struct HealFacts {
    pub restarts: u32,
    pub flapping: Option<u32>,
}

impl HealState {
    /// Forgets a container's restarts and verdicts (deployed or started anew).
    pub(super) fn forget(&mut self, name: &str) {
        self.by_name.remove(name);
    }

    pub(super) fn restarts_of(&self, name: &str) -> HealFacts {
        let watched = self.by_name.get(name);
        HealFacts {
            restarts: watched.map_or(0, |w| w.exits),
            flapping: watched.and_then(|w| w.flapping),
        }
    }
}

/// Why a container needs healing this round.
enum Trouble {
    Dead(String),
    Unhealthy(String),
}

impl Fleet {
    /// Runs until `cancel`: see the module's comment.
    pub async fn watch(&self, cancel: CancellationToken) {
        let mut events: Option<BoxStream<'static, Result<EventMessage, bollard::errors::Error>>> = None;
        let mut listed_at: Option<Instant> = None;
        let mut polled_at: Option<Instant> = None;
        let mut settle_until = Instant::now();
        let mut down: Option<String> = None;
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            let mut changed = false;
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tick.tick() => {}
                event = next(&mut events) => match event {
                    Some(Ok(event)) => {
                        self.note(&event);
                        changed = true;
                        // Take whatever else already arrived before acting.
                        while let Some(Some(Ok(event))) = events.as_mut().and_then(|s| s.next().now_or_never()) {
                            self.note(&event);
                        }
                    }
                    other => {
                        tracing::debug!(end = ?other.map(|r| r.map(|_| ())), "docker events stream ended");
                        events = None
                    }
                }
            }
            if events.is_none() {
                events = self.subscribe_events().await;
                changed = true;
            }
            if changed {
                settle_until = Instant::now() + SETTLE;
            }
            let relist = Instant::now() < settle_until || listed_at.is_none_or(|t| t.elapsed() >= LIST_EVERY);
            let poll = polled_at.is_none_or(|t| t.elapsed() >= POLL_EVERY - Duration::from_millis(100));
            if poll {
                polled_at = Some(Instant::now());
            }
            match self.round(relist, poll).await {
                Ok(()) => {
                    if relist {
                        listed_at = Some(Instant::now());
                    }
                    if let Some(was) = down.take() {
                        info!(was = %was, "Docker answers again; watching the fleet");
                    }
                }
                Err(err) => {
                    if down.is_none() {
                        warn!(cause = %err, "Docker is not reachable; retrying every second");
                    }
                    down = Some(err.to_string());
                    events = None;
                }
            }
        }
    }

    /// Docker's events about the app's containers, filtered by the daemon.
    async fn subscribe_events(&self) -> Option<BoxStream<'static, Result<EventMessage, bollard::errors::Error>>> {
        let docker = self.docker().await.ok()?;
        let filters = HashMap::from([
            ("type", vec!["container".to_string()]),
            ("label", vec![format!("{LABEL_APP}=sutazai-control-center")]),
            (
                "event",
                ["create", "start", "die", "stop", "destroy", "pause", "unpause", "oom"]
                    .map(String::from)
                    .to_vec(),
            ),
        ]);
        let options = EventsOptionsBuilder::default().filters(&filters).build();
        Some(docker.events(Some(options)).boxed())
    }

    /// Counts a wanted container's unplanned exit.
    fn note(&self, event: &EventMessage) {
        let action = event.action.as_deref().unwrap_or_default();
        let name = event
            .actor
            .as_ref()
            .and_then(|a| a.attributes.as_ref())
            .and_then(|a| a.get("name"))
            .cloned()
            .unwrap_or_default();
        let wanted = lock(&self.desired)
            .as_ref()
            .is_some_and(|d| d.get(&name) == Some(&true));
        tracing::debug!(action, container = %name, wanted, "docker event");
        if !wanted {
            return;
        }
        let attribute = |key: &str| {
            event
                .actor
                .as_ref()
                .and_then(|a| a.attributes.as_ref())
                .and_then(|a| a.get(key))
                .cloned()
        };
        let agent_id = attribute(super::spec::LABEL_AGENT_ID).unwrap_or_default();
        match action {
            "die" => {
                lock(&self.healing).by_name.entry(name.clone()).or_default().exits += 1;
                self.emit(FleetEvent::Died {
                    agent_id,
                    container: name,
                    exit_code: attribute("exitCode").and_then(|c| c.parse().ok()),
                });
            }
            "oom" => self.emit(FleetEvent::OutOfMemory {
                agent_id,
                container: name,
            }),
            _ => {}
        }
    }

    /// One round: adopt, then heal what is dead or stopped answering.
    async fn round(&self, relist: bool, poll: bool) -> Result<(), FleetError> {
        let docker = self.docker().await?;
        let cached = if relist { None } else { lock(&self.seen).clone() };
        let containers = match cached {
            Some(containers) => containers,
            None => self.containers(&docker).await?,
        };
        let wanted = self.wanted(&containers);
        let polls = wanted.iter().filter(|p| poll && p.running()).map(|p| async move {
            let health = match first_loopback_port(p) {
                Some(port) => self.health(port).await,
                None => Err("no port published on 127.0.0.1".to_string()),
            };
            (p.name.clone(), health)
        });
        let polls = futures::future::join_all(polls).await;
        let mut trouble: Vec<(&Placed, Trouble)> = Vec::new();
        {
            let mut state = lock(&self.healing);
            for (name, health) in polls {
                let watched = state.by_name.entry(name.clone()).or_default();
                match health {
                    Ok(()) => {
                        watched.failing = 0;
                        watched.failing_since = None;
                    }
                    Err(reason) => {
                        watched.failing += 1;
                        watched.failing_since.get_or_insert_with(Instant::now);
                        watched.last_failure = reason;
                    }
                }
            }
            for p in &wanted {
                let watched = state.by_name.entry(p.name.clone()).or_default();
                if p.dead() {
                    let status = p.summary.status.clone().unwrap_or_else(|| "not running".into());
                    trouble.push((p, Trouble::Dead(status)));
                } else if p.running()
                    && watched.failing >= UNHEALTHY_POLLS
                    && watched.failing_since.is_some_and(|t| t.elapsed() >= UNHEALTHY_FOR)
                {
                    let reason = format!(
                        "unhealthy: /health failed {} times in a row over {} s ({})",
                        watched.failing,
                        watched.failing_since.map_or(0, |t| t.elapsed().as_secs()),
                        watched.last_failure
                    );
                    trouble.push((p, Trouble::Unhealthy(reason)));
                }
            }
        }
        self.publish_endpoints(&containers);
        let docker = &docker;
        futures::future::join_all(trouble.into_iter().map(|(p, trouble)| self.heal(docker, p, trouble))).await;
        Ok(())
    }

    /// Tells the orchestrator which containers run, where and how healthy.
    fn publish_endpoints(&self, containers: &Containers) {
        let endpoints: Vec<Endpoint> = {
            let state = lock(&self.healing);
            containers
                .all()
                .filter(|p| p.running())
                .filter_map(|p| {
                    let port = first_loopback_port(p)?;
                    let failing = state.by_name.get(&p.name).map_or(0, |w| w.failing);
                    let token_epoch = p
                        .summary
                        .labels
                        .as_ref()
                        .and_then(|labels| labels.get(super::spec::LABEL_TOKEN_EPOCH))
                        .cloned()
                        .unwrap_or_default();
                    Some(Endpoint {
                        agent_id: p.agent_id.clone(),
                        container: p.name.clone(),
                        port,
                        healthy: failing == 0,
                        token_epoch,
                    })
                })
                .collect()
        };
        self.endpoints.send_if_modified(|current| {
            if **current == endpoints {
                return false;
            }
            *current = std::sync::Arc::new(endpoints);
            true
        });
    }

    /// The containers that should run; on the first round, whatever runs.
    fn wanted<'a>(&self, containers: &'a Containers) -> Vec<&'a Placed> {
        let mut desired = lock(&self.desired);
        let map = desired.get_or_insert_with(|| {
            containers
                .all()
                .filter(|p| p.running())
                .map(|p| (p.name.clone(), true))
                .collect()
        });
        map.retain(|name, _| containers.get(name).is_some());
        containers.all().filter(|p| map.get(&p.name) == Some(&true)).collect()
    }

    async fn heal(&self, docker: &bollard::Docker, p: &Placed, trouble: Trouble) {
        let decision = lock(&self.healing)
            .by_name
            .entry(p.name.clone())
            .or_default()
            .healing
            .decide(Instant::now(), &self.policy);
        let (agent_id, container) = (p.agent_id.clone(), p.name.clone());
        match decision {
            Decision::Wait => {}
            Decision::Restart { attempt } => {
                let (result, reason) = match trouble {
                    Trouble::Dead(reason) => {
                        warn!(container, attempt, %reason, "agent died; starting it again");
                        (docker.start_container(&container, None).await, reason)
                    }
                    Trouble::Unhealthy(reason) => {
                        warn!(container, attempt, %reason, "agent stopped answering; restarting it");
                        let options = RestartContainerOptionsBuilder::default().t(2).build();
                        (docker.restart_container(&container, Some(options)).await, reason)
                    }
                };
                if let Some(w) = lock(&self.healing).by_name.get_mut(&container) {
                    w.failing = 0;
                    w.failing_since = None;
                }
                match result {
                    Ok(()) | Err(bollard::errors::Error::DockerResponseServerError { status_code: 304, .. }) => {
                        self.emit(FleetEvent::Restarted {
                            agent_id,
                            container,
                            attempt,
                            reason,
                        });
                    }
                    Err(err) => warn!(container, cause = %err, "cannot restart the agent"),
                }
            }
            Decision::GiveUp { restarts } => {
                warn!(container, restarts, "agent is flapping; leaving it stopped");
                lock(&self.desired)
                    .get_or_insert_with(HashMap::new)
                    .insert(container.clone(), false);
                if let Some(w) = lock(&self.healing).by_name.get_mut(&container) {
                    w.flapping = Some(restarts as u32);
                }
                let _ = docker.stop_container(&container, None).await;
                self.emit(FleetEvent::Flapping {
                    agent_id,
                    container,
                    restarts: restarts as u32,
                });
            }
        }
    }
}

/// The first port the container publishes on 127.0.0.1.
fn first_loopback_port(p: &Placed) -> Option<u16> {
    p.summary
        .ports
        .as_ref()?
        .iter()
        .find(|port| port.ip.as_deref() == Some("127.0.0.1"))
        .and_then(|port| port.public_port)
}

async fn next<S: futures::Stream + Unpin>(stream: &mut Option<S>) -> Option<S::Item> {
    match stream {
        Some(stream) => stream.next().await,
        None => std::future::pending().await,
    }
}
