//! The fleet in the real dockerd: a phase deploys healthy and hardened,
//! redeploy is a no-op, stats come from the cgroups and agree with Docker's,
//! logs follow, scaling adds and removes instances, an agent that stops
//! answering or dies is restarted, one that keeps dying is left stopped, a
//! restart with a changed manifest replaces just that container, strays are
//! reported, a failed agent rolls the phase back and leaves nothing behind,
//! undeploy removes everything. One test, in order: the phase's ports and
//! container names are shared, so its steps must not run concurrently.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bollard::query_parameters::{ListContainersOptionsBuilder, StatsOptionsBuilder};
use futures::StreamExt;
use sutazai_engine::fleet::model::{AgentAction, AgentStatus, DeployEvent, DeployStage, FailurePolicy, FleetEvent};
use sutazai_engine::fleet::spec::{container_name, instance_name};
use sutazai_engine::fleet::stats::StatsSource;
use sutazai_engine::fleet::FleetError;
use sutazai_engine::security::Principal;
use sutazai_engine::{Engine, SystemClock};
use sutazai_tests::docker::{ContainerGuard, PhaseGuard};
use sutazai_tests::engine::config;

async fn containers_of_phase(engine: &Engine, phase: u8) -> Vec<bollard::models::ContainerSummary> {
    let docker = sutazai_engine::docker::connect(&engine.config().docker_endpoint, Duration::from_secs(30)).unwrap();
    let filters = HashMap::from([("label", vec![format!("ai.sutazai.agent.phase={phase}")])]);
    let options = ListContainersOptionsBuilder::default()
        .all(true)
        .filters(&filters)
        .build();
    docker.list_containers(Some(options)).await.unwrap()
}

/// The next self-healing event (restarted or flapping), skipping the rest.
async fn next_event(events: &mut tokio::sync::broadcast::Receiver<FleetEvent>, within_s: u64) -> FleetEvent {
    let wait = async {
        loop {
            let event = events.recv().await.unwrap();
            if matches!(event, FleetEvent::Restarted { .. } | FleetEvent::Flapping { .. }) {
                break event;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(within_s), wait)
        .await
        .unwrap_or_else(|_| panic!("no self-healing event within {within_s} s"))
}

async fn health(port: u16) -> bool {
    reqwest::get(format!("http://127.0.0.1:{port}/health"))
        .await
        .is_ok_and(|r| r.status().is_success())
}

async fn wait_healthy(engine: &Engine, id: &str) {
    for _ in 0..150 {
        let rows = engine.agents().await;
        if rows.iter().any(|r| r.id == id && r.status == AgentStatus::Healthy) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{id} did not become healthy within 15 s");
}

#[tokio::test(flavor = "multi_thread")]
async fn phase_one_deploys_healthy_hardened_idempotent_and_rolls_back_on_failure() {
    // What the fleet did, in the test's output (`--nocapture` to see it).
    let _ = tracing_subscriber::fmt()
        .with_env_filter("sutazai_engine::fleet=info,sutazai_engine::fleet::watch=debug")
        .with_test_writer()
        .try_init();
    let dir = tempfile::tempdir().unwrap();
    let (config, report) = config(dir.path(), &[("SUTAZAI_HEALTH_TIMEOUT_MS", "20000")]);
    let engine = Engine::start(config, report, Arc::new(SystemClock)).await.unwrap();
    let _fleet = PhaseGuard(1);
    engine.undeploy_phase(1, &Principal::Desktop).await.unwrap();

    // 1. Deploy: every agent goes pending → creating → starting → healthy.
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&events);
    let report = engine
        .deploy_phase(1, FailurePolicy::RollBack, &Principal::Desktop, move |e| {
            sink.lock().unwrap().push(e)
        })
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
    let rows = engine.agents().await;
    let phase1: Vec<_> = rows.iter().filter(|r| r.phase == 1).collect();
    assert!(phase1.iter().all(|r| r.status == AgentStatus::Healthy), "{phase1:?}");
    assert!(rows
        .iter()
        .filter(|r| r.phase == 2)
        .all(|r| r.status == AgentStatus::NotDeployed));

    // Every container is hardened, as Docker reports it.
    let docker = sutazai_engine::docker::connect(&engine.config().docker_endpoint, Duration::from_secs(30)).unwrap();
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
    let again = engine
        .deploy_phase(1, FailurePolicy::RollBack, &Principal::Desktop, |_| {})
        .await
        .unwrap();
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

    // Stats: from the cgroup files, one per running container, CPU from the
    // second sample on, memory within the limit and close to Docker's figure.
    let first = engine.fleet_stats().await.unwrap();
    assert_eq!(first.len(), 20, "{first:?}");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let second = engine.fleet_stats().await.unwrap();
    for s in &second {
        let m = &catalog.get(&s.agent_id).unwrap().manifest;
        assert_eq!(s.source, StatsSource::CgroupV1, "this machine is cgroup v1: {s:?}");
        let cpu = s
            .cpu_percent
            .unwrap_or_else(|| panic!("no CPU on the second sample: {s:?}"));
        assert!(
            (0.0..=100.0 * f64::from(m.resources.cpus) + 5.0).contains(&cpu),
            "{s:?}"
        );
        assert!(s.memory_bytes > 0, "{s:?}");
        assert_eq!(
            s.memory_limit_bytes,
            Some(u64::from(m.resources.memory_mb) << 20),
            "{s:?}"
        );
        assert!(s.net_rx_per_s.is_some(), "{s:?}");
    }
    let ours = second.iter().find(|s| s.agent_id == "AG-001").unwrap();
    let theirs = docker
        .stats(
            &ours.container,
            Some(StatsOptionsBuilder::default().stream(false).build()),
        )
        .next()
        .await
        .unwrap()
        .unwrap();
    let memory = theirs.memory_stats.unwrap();
    let inactive = memory
        .stats
        .unwrap_or_default()
        .get("total_inactive_file")
        .copied()
        .unwrap_or(0);
    let docker_memory = memory.usage.unwrap() - inactive;
    let gap = (ours.memory_bytes as f64 - docker_memory as f64).abs();
    println!(
        "AG-001 memory: cgroup {} B, Docker API {} B",
        ours.memory_bytes, docker_memory
    );
    assert!(
        gap <= (docker_memory as f64 * 0.2).max(512.0 * 1024.0),
        "cgroup says {} B, Docker says {docker_memory} B",
        ours.memory_bytes
    );
    // The metrics collection keeps the agent's figures, once a second.
    let now = sutazai_engine::Clock::now_ms(&SystemClock);
    let kept = engine
        .metrics_query(&sutazai_engine::metrics::MetricsQuery {
            series: vec!["memory_bytes{AG-001}".into()],
            from_ms: now - 30_000,
            to_ms: now,
            width: Some(30),
            tier: None,
        })
        .await
        .unwrap();
    assert!(!kept.series[0].columns.is_empty(), "{kept:?}");

    // Logs follow: lines written after the stream opened arrive on it.
    let mut follow = engine.follow_logs("AG-010", 0).await.unwrap();
    // The stream asks Docker on its first poll: poll it before the restart.
    let first_chunk = tokio::spawn(async move { follow.next().await });
    tokio::time::sleep(Duration::from_millis(500)).await;
    engine
        .agent_action("AG-010", AgentAction::Restart, &Principal::Desktop)
        .await
        .unwrap();
    let chunk = tokio::time::timeout(Duration::from_secs(15), first_chunk)
        .await
        .expect("a line within 15 s of the restart")
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(chunk.contains("AG-010") || chunk.contains("draining"), "{chunk}");
    wait_healthy(&engine, "AG-010").await;

    // Scaling: two more instances on ports Docker picks, then back to one.
    assert!(matches!(
        engine.scale_agent("AG-010", 0, &Principal::Desktop).await,
        Err(FleetError::Instances { asked: 0, max: 10 })
    ));
    let scaled = engine.scale_agent("AG-010", 3, &Principal::Desktop).await.unwrap();
    assert_eq!((scaled.instances, scaled.healthy), (3, 3), "{scaled:?}");
    let port = catalog.get("AG-010").unwrap().manifest.port;
    for n in 2..=3 {
        let inspect = docker
            .inspect_container(&instance_name("AG-010", n), None)
            .await
            .unwrap();
        let bindings = inspect.host_config.unwrap().port_bindings.unwrap();
        assert_eq!(
            bindings[&format!("{port}/tcp")].clone().unwrap()[0].host_ip.as_deref(),
            Some("127.0.0.1")
        );
        let published = inspect.network_settings.unwrap().ports.unwrap()[&format!("{port}/tcp")]
            .clone()
            .unwrap()[0]
            .host_port
            .clone()
            .unwrap();
        let published: u16 = published.parse().unwrap();
        assert_ne!(published, port);
        assert!(health(published).await, "instance {n} answers on {published}");
    }
    let row = engine.agents().await.into_iter().find(|r| r.id == "AG-010").unwrap();
    assert_eq!((row.instances, row.status), (3, AgentStatus::Healthy), "{row:?}");
    let down = engine.scale_agent("AG-010", 1, &Principal::Desktop).await.unwrap();
    assert_eq!((down.instances, down.healthy), (1, 1), "{down:?}");
    assert!(docker
        .inspect_container(&instance_name("AG-010", 2), None)
        .await
        .is_err());
    assert_eq!(containers_of_phase(&engine, 1).await.len(), 20);

    // A running agent that stops answering (its process frozen) is restarted.
    let mut fleet_events = engine.subscribe_fleet();
    let frozen = docker
        .inspect_container(&container_name("AG-016"), None)
        .await
        .unwrap()
        .state
        .unwrap()
        .pid
        .unwrap();
    assert!(std::process::Command::new("kill")
        .args(["-STOP", &frozen.to_string()])
        .status()
        .unwrap()
        .success());
    let event = next_event(&mut fleet_events, 20).await;
    assert!(
        matches!(&event, FleetEvent::Restarted { agent_id, reason, .. } if agent_id == "AG-016" && reason.starts_with("unhealthy")),
        "{event:?}"
    );
    wait_healthy(&engine, "AG-016").await;

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
            FleetEvent::Flapping { agent_id, restarts, .. } if agent_id == "AG-017" => break restarts,
            _ => {}
        }
    };
    assert_eq!(flapping, 3);
    let row = engine.agents().await.into_iter().find(|r| r.id == "AG-017").unwrap();
    assert_eq!(row.status, AgentStatus::Flapping, "{row:?}");
    tokio::time::sleep(Duration::from_secs(3)).await;
    let state = docker.inspect_container(&name, None).await.unwrap().state.unwrap();
    assert_eq!(state.running, Some(false), "a flapping agent is left stopped");
    let history = engine.agent_history("AG-017", 100).await.unwrap();
    let kinds: Vec<&str> = history
        .iter()
        .rev()
        .map(|h| h.event.kind.as_str())
        .filter(|k| matches!(*k, "restarted" | "flapping"))
        .collect();
    assert_eq!(
        kinds,
        ["restarted", "restarted", "restarted", "flapping"],
        "{history:?}"
    );
    assert_eq!(row.restarts, 4, "every unplanned exit is counted: {row:?}");
    // Starting it by hand clears the verdict.
    engine
        .agent_action("AG-017", AgentAction::Start, &Principal::Desktop)
        .await
        .unwrap();
    wait_healthy(&engine, "AG-017").await;

    // Restarting the app with AG-003's manifest changed replaces just that
    // container and adopts the others; a stray is reported, not touched.
    let before: HashMap<String, String> = containers_of_phase(&engine, 1)
        .await
        .into_iter()
        .map(|c| (c.names.unwrap()[0].clone(), c.id.unwrap()))
        .collect();
    engine.shutdown(Duration::from_secs(2)).await;
    let manifest = engine.config().catalog_dir.join(&catalog.get("AG-003").unwrap().file);
    let text = std::fs::read_to_string(&manifest).unwrap();
    let title = &catalog.get("AG-003").unwrap().manifest.title;
    let changed = text.replacen(
        &format!("title = \"{title}\""),
        "title = \"Changed while the app was closed\"",
        1,
    );
    assert_ne!(changed, text);
    std::fs::write(&manifest, changed).unwrap();
    let stray = ContainerGuard("sutazai-stray-for-test".into());
    let created = std::process::Command::new("docker")
        .args([
            "create",
            "--name",
            &stray.0,
            "--label",
            "ai.sutazai.app=sutazai-control-center",
        ])
        .arg(format!("sutazai-agent:{}", sutazai_engine::engine::VERSION))
        .output()
        .unwrap();
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let (config2, report2) = sutazai_tests::engine::config(dir.path(), &[("SUTAZAI_HEALTH_TIMEOUT_MS", "20000")]);
    let engine = Engine::start(config2, report2, Arc::new(SystemClock)).await.unwrap();
    let mut replaced = None;
    for _ in 0..200 {
        let history = engine.agent_history("AG-003", 5).await.unwrap();
        if let Some(h) = history.iter().find(|h| h.event.kind == "replaced") {
            replaced = Some(h.clone());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let replaced = replaced.unwrap_or_else(|| {
        panic!(
            "AG-003 not replaced within 20 s; catalog hash {}, file {}",
            engine.catalog().get("AG-003").unwrap().hash,
            engine.catalog().get("AG-003").unwrap().file.display()
        )
    });
    assert!(
        replaced.event.detail["reason"].as_str().unwrap().contains("manifest"),
        "{replaced:?}"
    );
    let after: HashMap<String, String> = containers_of_phase(&engine, 1)
        .await
        .into_iter()
        .map(|c| (c.names.unwrap()[0].clone(), c.id.unwrap()))
        .collect();
    assert_eq!(after.len(), 20);
    for (name, id) in &before {
        let same = after.get(name) == Some(id);
        assert_eq!(same, name != "/sutazai-ag-003", "{name}");
    }
    wait_healthy(&engine, "AG-003").await;
    let strays = engine.strays().await.unwrap();
    assert_eq!(strays.len(), 1, "{strays:?}");
    assert_eq!(strays[0].container, stray.0);
    assert_eq!(strays[0].reason, "no agent label");
    drop(stray);
    let catalog = engine.catalog();

    // 4. A port held by a host process: that agent fails with the reason,
    //    the phase is rolled back, nothing is left behind (not even `Created`).
    engine.undeploy_phase(1, &Principal::Desktop).await.unwrap();
    let port = catalog.get("AG-005").unwrap().manifest.port;
    let squatter = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
    let failed = engine
        .deploy_phase(1, FailurePolicy::RollBack, &Principal::Desktop, |_| {})
        .await
        .unwrap();
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
        .deploy_phase(1, FailurePolicy::KeepHealthy, &Principal::Desktop, |_| {})
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
    assert_eq!(engine.undeploy_phase(1, &Principal::Desktop).await.unwrap(), 19);
    assert!(containers_of_phase(&engine, 1).await.is_empty());

    // 7. Every fleet action above is in the audit log, with who and where
    //    from (the window's commands pass the desktop principal).
    let audit: Vec<_> = engine
        .audit_log(500)
        .await
        .unwrap()
        .into_iter()
        .map(|entry| entry.record)
        .collect();
    for (action, target, outcome) in [
        ("fleet.deploy", "phase 1", "ok"),
        ("agent.restart", "AG-010", "ok"),
        ("fleet.scale", "AG-010", "refused: "),
        ("fleet.scale", "AG-010", "ok"),
        ("agent.start", "AG-017", "ok"),
        ("fleet.undeploy", "phase 1", "ok"),
    ] {
        let found = audit
            .iter()
            .find(|e| e.action == action && e.target == target && e.outcome.starts_with(outcome));
        let entry = found.unwrap_or_else(|| panic!("no audit entry {action} {target} {outcome}: {audit:#?}"));
        assert_eq!((entry.actor.as_str(), entry.origin.as_str()), ("desktop", "window"));
    }
    let deploys = audit.iter().filter(|e| e.action == "fleet.deploy").count();
    assert!(deploys >= 4, "every deploy is recorded: {deploys}");
    engine.shutdown(Duration::from_secs(2)).await;
}
