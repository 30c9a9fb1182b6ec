//! Live metrics and auto-scaling on a real Docker engine: one agent
//! (AG-010) deployed, LLM tasks held in flight by a slow fake Ollama. The
//! collection (always on, once a second) must show the agent's container
//! and its tasks in the history; an auto-scaling policy on "tasks in flight
//! per instance" must add an instance under load and take it away when the
//! load is gone, each change in the agent's history with its figures.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::time::Duration;

use serde_json::json;
use sutazai_engine::fleet::autoscale::{AutoscalePolicy, Signal};
use sutazai_engine::metrics::tier::Tier;
use sutazai_engine::metrics::{MetricsQuery, MetricsReading};
use sutazai_engine::orchestrator::model::NewTask;
use sutazai_engine::security::Principal;
use sutazai_engine::{Clock, Engine, SystemClock};
use sutazai_tests::docker::PhaseGuard;
use sutazai_tests::engine::{deploy_one, start_with_api};
use sutazai_tests::fake_ollama::{FakeModel, FakeOllama, Fault};
use sutazai_tests::until;

const AGENT: &str = "AG-010";

async fn read(engine: &Engine, series: &[&str], seconds: i64) -> MetricsReading {
    let now = SystemClock.now_ms();
    engine
        .metrics_query(&MetricsQuery {
            series: series.iter().map(|s| s.to_string()).collect(),
            from_ms: now - seconds * 1000,
            to_ms: now,
            width: Some(u32::try_from(seconds).unwrap()),
            tier: Some(Tier::Second),
        })
        .await
        .unwrap()
}

/// Sum of the column means of series `i` (per-second counts: the total).
fn total(reading: &MetricsReading, i: usize) -> f64 {
    reading.series[i].columns.iter().map(|c| c.mean).sum()
}

async fn instances(engine: &Engine) -> u32 {
    engine
        .agents()
        .await
        .iter()
        .find(|r| r.id == AGENT)
        .map_or(0, |r| r.instances)
}

#[tokio::test(flavor = "multi_thread")]
async fn collection_records_the_fleet_and_autoscaling_follows_the_load() {
    let dir = tempfile::tempdir().unwrap();
    let ollama = FakeOllama::start_for_agents(vec![FakeModel::new("llama3.2:1b")])
        .await
        .unwrap();
    let started_ms = SystemClock.now_ms();
    let (engine, _listen, stop_api) = start_with_api(
        dir.path(),
        &[
            ("SUTAZAI_OLLAMA_URL", ollama.url().as_str()),
            ("SUTAZAI_LLM_MODEL_CONCURRENCY", "100"),
            ("SUTAZAI_HEALTH_TIMEOUT_MS", "20000"),
        ],
    )
    .await;
    let _fleet = PhaseGuard(1);
    engine.undeploy_phase(1, &Principal::Desktop).await.unwrap();
    deploy_one(&engine, AGENT).await;

    // Collection: the container's memory and the app's own figures, every second.
    until(
        "the container's memory is in the history",
        Duration::from_secs(15),
        async || {
            let r = read(
                &engine,
                &["memory_bytes{AG-010}", "app_memory_bytes", "agents_deployed"],
                10,
            )
            .await;
            r.series.iter().all(|s| s.columns.len() >= 3)
        },
    )
    .await;
    let r = read(&engine, &["memory_bytes{AG-010}", "agents_deployed"], 10).await;
    assert!(
        r.series[0].columns.iter().all(|c| c.mean > 100_000.0),
        "{:?}",
        r.series[0]
    );
    assert_eq!(r.series[1].columns.last().unwrap().mean, 1.0);
    // The only gap is before the engine started.
    assert!(
        r.gaps.iter().all(|g| g.to_ms <= started_ms + 2_000),
        "started {started_ms}: {:?}",
        r.gaps
    );

    // Load: eight slow LLM tasks; the agent takes four at a time.
    ollama.set_fault(Fault::Latency(Duration::from_secs(25)));
    let policy = AutoscalePolicy {
        min: 1,
        max: 2,
        signal: Signal::Tasks,
        scale_up_above: 1.0,
        scale_down_below: 0.5,
        window_s: 10,
        cooldown_s: 5,
    };
    engine
        .set_autoscale_policy(AGENT, Some(policy.clone()), &Principal::Desktop)
        .await
        .unwrap();
    assert_eq!(engine.autoscale_policy(AGENT).await.unwrap(), Some(policy));
    let mut ids = Vec::new();
    for i in 0..8 {
        let task = NewTask {
            agent_id: Some(AGENT.into()),
            task_type: "write_prd".into(),
            payload: json!({"idea": format!("idea {i}")}),
            ..NewTask::default()
        };
        ids.push(engine.submit_task(task, &Principal::Desktop).await.unwrap().id);
    }
    until("scaled up under load", Duration::from_secs(40), async || {
        instances(&engine).await == 2
    })
    .await;
    let r = read(&engine, &["tasks_started{AG-010}", "active_tasks{AG-010}"], 30).await;
    assert!(total(&r, 0) >= 4.0, "tasks started: {:?}", r.series[0].columns);
    assert!(
        r.series[1].columns.iter().any(|c| c.max >= 4.0),
        "{:?}",
        r.series[1].columns
    );

    // The load ends: back to one instance.
    ollama.set_fault(Fault::None);
    for id in &ids {
        let _ = engine.wait_task(id, Duration::from_secs(60)).await;
    }
    until("scaled down without load", Duration::from_secs(40), async || {
        instances(&engine).await == 1
    })
    .await;
    let history = engine.agent_history(AGENT, 50).await.unwrap();
    let scaled: Vec<_> = history.iter().filter(|h| h.event.kind == "autoscaled").collect();
    assert_eq!(scaled.len(), 2, "{history:?}");
    // Newest first: down, then up; each with its figures.
    let down = &scaled[0].event.detail["decision"];
    let up = &scaled[1].event.detail["decision"];
    assert_eq!((up["from"].as_u64(), up["to"].as_u64()), (Some(1), Some(2)), "{up}");
    assert!(up["value"].as_f64().unwrap() > 1.0, "{up}");
    assert_eq!(
        (down["from"].as_u64(), down["to"].as_u64()),
        (Some(2), Some(1)),
        "{down}"
    );
    assert!(down["value"].as_f64().unwrap() < 0.5, "{down}");

    // The latency of those tasks: p95 per minute from the merged histograms.
    let now = SystemClock.now_ms();
    let minutes = engine
        .metrics_query(&MetricsQuery {
            series: vec!["task_latency_ms:p95{AG-010}".into()],
            from_ms: now - 10 * 60_000,
            to_ms: now + 60_000,
            width: Some(11),
            tier: Some(Tier::Minute),
        })
        .await
        .unwrap();
    let slowest = minutes.series[0].columns.iter().map(|c| c.max).fold(0.0, f64::max);
    assert!(
        slowest >= 20_000.0,
        "the slow tasks' p95: {:?}",
        minutes.series[0].columns
    );

    engine
        .set_autoscale_policy(AGENT, None, &Principal::Desktop)
        .await
        .unwrap();
    engine.undeploy_phase(1, &Principal::Desktop).await.unwrap();
    stop_api.cancel();
    engine.shutdown(Duration::from_secs(5)).await;
}
