//! Phase deploys in the real dockerd: all healthy and hardened, redeploy is
//! a no-op, a failed agent rolls the phase back and leaves nothing behind,
//! undeploy removes everything. One test, in order: the phase's ports and
//! container names are shared, so its steps must not run concurrently.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bollard::query_parameters::ListContainersOptionsBuilder;
use sutazai_engine::fleet::model::{AgentAction, AgentStatus, DeployEvent, DeployStage, FailurePolicy, FleetEvent};
use sutazai_engine::fleet::spec::container_name;
use sutazai_engine::{Engine, SystemClock};
use sutazai_tests::engine::config;

async fn containers_of_phase(engine: &Engine, phase: u8) -> Vec<bollard::models::ContainerSummary> {
    let docker = sutazai_engine::status::connect(&engine.config().docker_endpoint, Duration::from_secs(30)).unwrap();
    let filters = HashMap::from([("label", vec![format!("ai.sutazai.agent.phase={phase}")])]);
    let options = ListContainersOptionsBuilder::default()
        .all(true)
        .filters(&filters)
        .build();
    docker.list_containers(Some(options)).await.unwrap()
}

async fn next_event(events: &mut tokio::sync::broadcast::Receiver<FleetEvent>, within_s: u64) -> FleetEvent {
    tokio::time::timeout(Duration::from_secs(within_s), events.recv())
        .await
        .unwrap_or_else(|_| panic!("no self-healing event within {within_s} s"))
        .unwrap()
}

async fn wait_healthy(engine: &Engine, id: &str) {
    for _ in 0..150 {
        let rows = engine.agents().await.unwrap();
        if rows.iter().any(|r| r.id == id && r.status == AgentStatus::Healthy) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{id} did not become healthy within 15 s");
}

#[tokio::test(flavor = "multi_thread")]
async fn phase_one_deploys_healthy_hardened_idempotent_and_rolls_back_on_failure() {
    let dir = tempfile::tempdir().unwrap();
    let (config, report) = config(dir.path(), &[("SUTAZAI_HEALTH_TIMEOUT_MS", "20000")]);
    let engine = Engine::start(config, report, Arc::new(SystemClock)).await.unwrap();
    engine.undeploy_phase(1).await.unwrap();

    // 1. Deploy: every agent goes pending → creating → starting → healthy.
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&events);
    let report = engine
        .deploy_phase(1, FailurePolicy::RollBack, move |e| sink.lock().unwrap().push(e))
        .await
        .unwrap();
    assert_eq!(
        (report.total, report.healthy, report.failed.len()),
        (20, 20, 0),
        "{report:?}"
    );
    let events = events.lock().unwrap().clone();
    assert!(matches!(events.first(), Some(DeployEvent::Started { agents, .. }) if agents.len() == 20));
    assert!(matches!(events.last(), Some(DeployEvent::Finished(_))));
    let stages = |id: &str| -> Vec<DeployStage> {
        events
            .iter()
            .filter_map(|e| match e {
                DeployEvent::Agent { agent_id, stage, .. } if agent_id == id => Some(*stage),
                _ => None,
            })
            .collect()
    };
    assert_eq!(
        stages("AG-017"),
        [
            DeployStage::Pending,
            DeployStage::Creating,
            DeployStage::Starting,
            DeployStage::Healthy
        ]
    );
    let rows = engine.agents().await.unwrap();
    let phase1: Vec<_> = rows.iter().filter(|r| r.phase == 1).collect();
    assert!(phase1.iter().all(|r| r.status == AgentStatus::Healthy), "{phase1:?}");
    assert!(rows
        .iter()
        .filter(|r| r.phase == 2)
        .all(|r| r.status == AgentStatus::NotDeployed));

    // Every container is hardened, as Docker reports it.
    let docker = sutazai_engine::status::connect(&engine.config().docker_endpoint, Duration::from_secs(30)).unwrap();
    let catalog = engine.catalog();
    for entry in catalog.phase(1) {
        let m = &entry.manifest;
        let inspect = docker.inspect_container(&container_name(&m.id), None).await.unwrap();
        let host = inspect.host_config.unwrap();
        assert_eq!(host.readonly_rootfs, Some(true), "{}", m.id);
        assert_eq!(host.cap_drop, Some(vec!["ALL".to_string()]), "{}", m.id);
        assert!(
            host.security_opt
                .unwrap()
                .iter()
                .any(|o| o.starts_with("no-new-privileges")),
            "{}",
            m.id
        );
        assert_eq!(host.memory, Some(i64::from(m.resources.memory_mb) << 20), "{}", m.id);
        assert_eq!(
            host.nano_cpus,
            Some((f64::from(m.resources.cpus) * 1e9) as i64),
            "{}",
            m.id
        );
        assert_eq!(host.pids_limit, Some(i64::from(m.resources.pids)), "{}", m.id);
        assert_eq!(host.network_mode.as_deref(), Some("sutazai-agents"), "{}", m.id);
        assert!(host.binds.unwrap_or_default().is_empty(), "no host mounts: {}", m.id);
        let bindings = host.port_bindings.unwrap();
        let binding = &bindings[&format!("{}/tcp", m.port)].clone().unwrap()[0];
        assert_eq!(binding.host_ip.as_deref(), Some("127.0.0.1"), "{}", m.id);
        let cfg = inspect.config.unwrap();
        assert_eq!(cfg.user.as_deref(), Some("10001:10001"), "{}", m.id);
        assert_eq!(
            cfg.labels.unwrap()["ai.sutazai.agent.manifest-hash"],
            entry.hash,
            "{}",
            m.id
        );
    }

    // 2. Redeploying an unchanged, healthy phase does nothing.
    let before: Vec<String> = containers_of_phase(&engine, 1)
        .await
        .into_iter()
        .filter_map(|c| c.id)
        .collect();
    let again = engine.deploy_phase(1, FailurePolicy::RollBack, |_| {}).await.unwrap();
    assert_eq!((again.unchanged, again.healthy), (20, 20), "{again:?}");
    let after: Vec<String> = containers_of_phase(&engine, 1)
        .await
        .into_iter()
        .filter_map(|c| c.id)
        .collect();
    assert_eq!(before.len(), 20);
    assert!(
        before.iter().all(|id| after.contains(id)),
        "the same containers still run"
    );

    // 3. Self-healing: a killed agent is started again, with an event; one
    //    that keeps dying is flapping, left stopped, and its history kept.
    let mut fleet_events = engine.subscribe_fleet();
    let name = container_name("AG-017");
    let killed = std::time::Instant::now();
    docker
        .kill_container(&name, None::<bollard::query_parameters::KillContainerOptions>)
        .await
        .unwrap();
    let event = next_event(&mut fleet_events, 15).await;
    assert!(
        matches!(&event, FleetEvent::Restarted { agent_id, attempt: 1, .. } if agent_id == "AG-017"),
        "{event:?}"
    );
    wait_healthy(&engine, "AG-017").await;
    println!("AG-017 killed and healthy again after {:?}", killed.elapsed());
    let flapping = loop {
        if docker
            .inspect_container(&name, None)
            .await
            .unwrap()
            .state
            .unwrap()
            .running
            == Some(true)
        {
            let _ = docker
                .kill_container(&name, None::<bollard::query_parameters::KillContainerOptions>)
                .await;
        }
        match next_event(&mut fleet_events, 30).await {
            FleetEvent::Flapping { agent_id, restarts } if agent_id == "AG-017" => break restarts,
            _ => {}
        }
    };
    assert_eq!(flapping, 3);
    let row = engine
        .agents()
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.id == "AG-017")
        .unwrap();
    assert_eq!(row.status, AgentStatus::Flapping, "{row:?}");
    tokio::time::sleep(Duration::from_secs(3)).await;
    let state = docker.inspect_container(&name, None).await.unwrap().state.unwrap();
    assert_eq!(state.running, Some(false), "a flapping agent is left stopped");
    let history = engine.store().agent_events("AG-017").await.unwrap();
    let kinds: Vec<&str> = history.iter().map(|(_, kind, _)| kind.as_str()).collect();
    assert_eq!(
        kinds,
        ["restarted", "restarted", "restarted", "flapping"],
        "{history:?}"
    );
    // Starting it by hand clears the verdict.
    engine.agent_action("AG-017", AgentAction::Start).await.unwrap();
    wait_healthy(&engine, "AG-017").await;

    // 4. A port held by a host process: that agent fails with the reason,
    //    the phase is rolled back, nothing is left behind (not even `Created`).
    engine.undeploy_phase(1).await.unwrap();
    let port = catalog.get("AG-005").unwrap().manifest.port;
    let squatter = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
    let failed = engine.deploy_phase(1, FailurePolicy::RollBack, |_| {}).await.unwrap();
    assert!(failed.rolled_back, "{failed:?}");
    assert_eq!(failed.failed.len(), 1, "{failed:?}");
    assert_eq!(failed.failed[0].agent_id, "AG-005");
    assert!(
        failed.failed[0].reason.contains("address already in use"),
        "{}",
        failed.failed[0].reason
    );
    assert!(
        containers_of_phase(&engine, 1).await.is_empty(),
        "the rollback removed the phase"
    );

    // 5. Keeping the healthy part instead: 19 run, the failed one is gone.
    let kept = engine
        .deploy_phase(1, FailurePolicy::KeepHealthy, |_| {})
        .await
        .unwrap();
    assert_eq!(
        (kept.healthy, kept.failed.len(), kept.rolled_back),
        (19, 1, false),
        "{kept:?}"
    );
    let left = containers_of_phase(&engine, 1).await;
    assert_eq!(left.len(), 19);
    assert!(left
        .iter()
        .all(|c| c.state == Some(bollard::models::ContainerSummaryStateEnum::RUNNING)));
    drop(squatter);

    // 6. Undeploy removes everything.
    assert_eq!(engine.undeploy_phase(1).await.unwrap(), 19);
    assert!(containers_of_phase(&engine, 1).await.is_empty());
    engine.shutdown(Duration::from_secs(2)).await;
}
