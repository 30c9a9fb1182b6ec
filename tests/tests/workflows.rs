//! Workflow definitions as the engine keeps them: seeded on first start
//! from the shipped templates, read back valid against the live catalog,
//! a broken file named beside the good ones, and a folder the user has
//! edited never overwritten.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::sync::Arc;

use sutazai_engine::{Engine, SystemClock};
use sutazai_tests::engine::config;

async fn start(data_dir: &std::path::Path) -> Arc<Engine> {
    let (config, report) = config(data_dir, &[]);
    Engine::start(config, report, Arc::new(SystemClock)).await.unwrap()
}

fn names(engine: &Engine) -> Vec<String> {
    engine
        .workflows()
        .iter()
        .map(|d| {
            std::path::Path::new(&d.file)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

#[tokio::test]
async fn the_shipped_templates_are_seeded_once_and_read_back_valid() {
    let data = tempfile::tempdir().unwrap();
    let engine = start(data.path()).await;
    let dir = engine.config().workflows_dir.clone();
    assert_eq!(dir, data.path().join("workflows"));
    assert!(
        dir.join("workflow.schema.json").is_file(),
        "the schema is seeded for editors"
    );
    let definitions = engine.workflows();
    assert_eq!(
        names(&engine),
        [
            "auth_module.json",
            "code_review.json",
            "content_pipeline.json",
            "ecommerce_order.json",
            "feature_delivery.json",
            "full_stack_deployment.json",
            "incident_response.json",
            "mcq_generation.json",
            "scan_and_fix.json",
            "sprint_planning.json",
        ]
    );
    for d in &definitions {
        assert!(d.is_valid(), "{}: {:?}", d.file, d.problems);
    }

    // The user's edits: one removed, one broken, one new. A restart keeps them.
    std::fs::remove_file(dir.join("code_review.json")).unwrap();
    std::fs::write(dir.join("mine.json"), "{\"id\": \"mine\", \"name\": \"Mine\", \"steps\": [{\"id\": \"a\", \"agent\": \"AG-999\", \"taskType\": \"echo\"}]}").unwrap();
    engine.shutdown(std::time::Duration::from_secs(5)).await;
    drop(engine);
    let engine = start(data.path()).await;
    let after = names(&engine);
    assert!(
        after.contains(&"mine.json".to_string()) && !after.contains(&"code_review.json".to_string()),
        "{after:?}"
    );
    assert_eq!(after.len(), 10, "{after:?}"); // ten shipped, one removed, one added
    let definitions = engine.workflows();
    let mine = definitions.iter().find(|d| d.file.ends_with("mine.json")).unwrap();
    assert_eq!(mine.problems.len(), 1, "{:?}", mine.problems);
    assert_eq!(
        mine.problems[0].to_string(),
        "steps[0].agent: no agent AG-999 in the catalog"
    );
    assert_eq!(mine.problems[0].step.as_deref(), Some("a"));
    engine.shutdown(std::time::Duration::from_secs(5)).await;
}

#[tokio::test]
async fn a_definition_written_on_disk_is_announced() {
    let data = tempfile::tempdir().unwrap();
    let engine = start(data.path()).await;
    let mut changes = engine.subscribe_workflows();
    let dir = engine.config().workflows_dir.clone();
    std::fs::write(dir.join("fresh.json"), "{}").unwrap();
    let changed = tokio::time::timeout(std::time::Duration::from_secs(5), changes.recv())
        .await
        .expect("announced within 5 s")
        .unwrap();
    assert_eq!(changed.files, ["fresh.json"]);
    let fresh = engine.workflow("fresh").unwrap();
    assert!(
        fresh.problems[0].message.starts_with("not a workflow definition"),
        "{fresh:?}"
    );
    engine.shutdown(std::time::Duration::from_secs(5)).await;
}
