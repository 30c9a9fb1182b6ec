//! Alerts on a real Docker engine: two deployed agents killed with
//! `docker kill` at once are two alerts of one rule and ONE desktop
//! notification that says two, each alert names the exit code, is kept,
//! can be acknowledged, and resolves by itself once self-healing has the
//! agent healthy again (and its keep-firing time has passed).

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::time::Duration;

use sutazai_engine::alerts::model::{AlertQuery, AlertState};
use sutazai_engine::alerts::notify::Notice;
use sutazai_engine::security::Principal;
use sutazai_engine::AlertNews;
use sutazai_tests::docker::PhaseGuard;
use sutazai_tests::engine::{deploy_one, start_with_api};
use sutazai_tests::fake_ollama::{FakeModel, FakeOllama};
use sutazai_tests::until;

const AGENTS: [&str; 2] = ["AG-011", "AG-012"];

fn container(agent: &str) -> String {
    format!("sutazai-{}", agent.to_lowercase())
}

#[tokio::test(flavor = "multi_thread")]
async fn killed_agents_are_one_notification_and_their_alerts_resolve_when_they_are_back() {
    let dir = tempfile::tempdir().unwrap();
    let ollama = FakeOllama::start_for_agents(vec![FakeModel::new("llama3.2:1b")])
        .await
        .unwrap();
    let (engine, _listen, stop_api) = start_with_api(
        dir.path(),
        &[
            ("SUTAZAI_OLLAMA_URL", ollama.url().as_str()),
            ("SUTAZAI_HEALTH_TIMEOUT_MS", "20000"),
        ],
    )
    .await;
    let _fleet = PhaseGuard(1);
    engine.undeploy_phase(1, &Principal::Desktop).await.unwrap();
    // A short keep-firing, so the test need not wait the default 30 s.
    let mut died = engine
        .alert_rules()
        .iter()
        .find(|r| r.id == "agent_died")
        .cloned()
        .unwrap();
    died.threshold.keep_firing_s = 3;
    engine.set_alert_rule(died, &Principal::Desktop).await.unwrap();
    for agent in AGENTS {
        deploy_one(&engine, agent).await;
    }
    let mut news = engine.subscribe_alerts();

    let out = std::process::Command::new("docker")
        .arg("kill")
        .args(AGENTS.map(container))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "docker kill: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    // One notification for both, naming each.
    let notice: Notice = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match news.recv().await {
                Ok(AlertNews::Notify(n)) if n.fingerprints.iter().any(|f| f.starts_with("agent_died")) => break n,
                Ok(_) => {}
                Err(err) => panic!("the alert news ended: {err}"),
            }
        }
    })
    .await
    .expect("a notification within 10 s of docker kill");
    assert_eq!(notice.title, "Agent container died: 2 at once", "{notice:?}");
    assert_eq!(notice.body, "AG-011, AG-012");

    // Two alerts, kept, each naming the exit code.
    let open = engine
        .alerts(AlertQuery {
            text: Some("agent_died".into()),
            ..AlertQuery::open(50)
        })
        .await
        .unwrap();
    let subjects: Vec<&str> = open.iter().filter_map(|a| a.subject.as_deref()).collect();
    assert_eq!(open.len(), 2, "{open:?}");
    for agent in AGENTS {
        assert!(subjects.contains(&agent), "{subjects:?}");
    }
    assert!(
        open.iter()
            .all(|a| a.detail.as_deref().unwrap_or("").contains("exit code 137")),
        "{open:?}"
    );
    let acked = engine
        .ack_alert(open[0].id, &Principal::Desktop)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(acked.acked_by.as_deref(), Some("desktop"));
    // The notification sent is kept too.
    let notices = engine.alert_notices(10).await.unwrap();
    assert!(notices.iter().any(|n| n.title == notice.title), "{notices:?}");

    // Self-healing brings both back; the alerts resolve by themselves.
    until("both alerts resolve", Duration::from_secs(60), async || {
        let open = engine
            .alerts(AlertQuery {
                text: Some("agent_died".into()),
                ..AlertQuery::open(50)
            })
            .await
            .unwrap();
        open.is_empty()
    })
    .await;
    let resolved = engine
        .alerts(AlertQuery {
            state: Some(AlertState::Resolved),
            text: Some("agent_died".into()),
            ..AlertQuery::all(50)
        })
        .await
        .unwrap();
    assert_eq!(resolved.len(), 2, "{resolved:?}");
    assert!(resolved.iter().all(|a| a.resolved_ms.unwrap() > a.fired_ms));

    stop_api.cancel();
    engine.shutdown(Duration::from_secs(3)).await;
}
