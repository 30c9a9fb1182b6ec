//! Docker stopping in the middle of a phase deploy: the deploy ends with a
//! clear "not reachable" error (not a pile of per-agent failures), the
//! registry still lists every agent as `unknown`, and once Docker is back a
//! deploy succeeds with nothing left over. A private dockerd (its own
//! network namespace) is stopped, not the machine's engine; the test's
//! thread enters that namespace to reach the agents' published ports.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::sync::Arc;
use std::time::Duration;

use bollard::models::ContainerSummaryStateEnum;
use bollard::query_parameters::ListContainersOptionsBuilder;
use sutazai_engine::fleet::model::{AgentStatus, DeployEvent, DeployStage, FailurePolicy};
use sutazai_engine::fleet::spec::container_name;
use sutazai_engine::fleet::FleetError;
use sutazai_engine::security::Principal;
use sutazai_engine::{Code, Engine, SystemClock};
use sutazai_tests::dockerd::PrivateDockerd;
use sutazai_tests::engine::config;

#[test]
fn docker_stopping_mid_deploy_is_a_clear_error_and_a_later_deploy_leaves_no_orphans() {
    let mut dockerd = PrivateDockerd::start(Duration::from_secs(60)).unwrap();
    let socket = format!("unix://{}", dockerd.socket().display());
    // A thread of its own: entering the namespace must not move the harness.
    std::thread::spawn(move || {
        dockerd.enter_network().unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let dir = tempfile::tempdir().unwrap();
            let (config, report) = config(
                dir.path(),
                &[("DOCKER_HOST", socket.as_str()), ("SUTAZAI_HEALTH_TIMEOUT_MS", "20000")],
            );
            let engine = Engine::start(config, report, Arc::new(SystemClock)).await.unwrap();

            // Stop Docker once three agents are healthy.
            let (healthy_tx, mut healthy_rx) = tokio::sync::mpsc::unbounded_channel();
            let deploy = engine.deploy_phase(1, FailurePolicy::RollBack, &Principal::Desktop, move |event| {
                if let DeployEvent::Agent {
                    stage: DeployStage::Healthy,
                    ..
                } = event
                {
                    let _ = healthy_tx.send(());
                }
            });
            let stopper = async {
                for _ in 0..3 {
                    healthy_rx.recv().await.unwrap();
                }
                let stopped = tokio::task::spawn_blocking(move || {
                    dockerd.stop();
                    dockerd
                });
                stopped.await.unwrap()
            };
            let started = std::time::Instant::now();
            let (result, mut dockerd) = tokio::join!(deploy, stopper);
            let err = result.unwrap_err();
            println!("deploy ended after {:?}: {err}", started.elapsed());
            let FleetError::Unreachable { code, message } = &err else {
                panic!("expected Docker unreachable, got {err:?}")
            };
            assert!(matches!(code, Code::DockerRefused | Code::DockerMissing), "{err:?}");
            assert!(message.contains(&socket), "names the endpoint: {message}");
            assert!(message.contains("deploy of phase 1 stopped"), "{message}");
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "no wait for the health timeout"
            );

            // The registry is still there, every agent `unknown`, with why.
            let rows = engine.agents().await;
            assert_eq!(rows.len(), 69);
            assert!(rows.iter().all(|r| r.status == AgentStatus::Unknown), "{rows:?}");
            assert!(rows[0].reason.as_deref().unwrap_or_default().contains(&socket));

            // Docker back (a new namespace: enter it), deploy again.
            dockerd.restart(Duration::from_secs(60)).unwrap();
            dockerd.enter_network().unwrap();
            let report = engine
                .deploy_phase(1, FailurePolicy::RollBack, &Principal::Desktop, |_| {})
                .await
                .unwrap();
            assert_eq!((report.healthy, report.failed.len()), (20, 0), "{report:?}");

            // No orphans: exactly the phase's 20 containers, all running.
            let docker =
                sutazai_engine::docker::connect(&engine.config().docker_endpoint, Duration::from_secs(30)).unwrap();
            let all = docker
                .list_containers(Some(ListContainersOptionsBuilder::default().all(true).build()))
                .await
                .unwrap();
            let mut names: Vec<String> = all
                .iter()
                .map(|c| c.names.as_ref().unwrap()[0].trim_start_matches('/').to_string())
                .collect();
            names.sort();
            let mut want: Vec<String> = engine
                .catalog()
                .phase(1)
                .iter()
                .map(|e| container_name(&e.manifest.id))
                .collect();
            want.sort();
            assert_eq!(names, want);
            assert!(
                all.iter().all(|c| c.state == Some(ContainerSummaryStateEnum::RUNNING)),
                "{all:?}"
            );
            engine.undeploy_phase(1, &Principal::Desktop).await.unwrap();
            engine.shutdown(Duration::from_secs(2)).await;
            drop(dockerd);
        });
    })
    .join()
    .unwrap();
}
