use std::path::PathBuf;
use std::sync::OnceLock;

use serde_json::{json, Value};

use super::patterns::plan;
use super::upstream_of;
use crate::catalog::Catalog;
use crate::workflow::model::Workflow;

fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
        Catalog::load(&repo.join("agents/catalog"))
    })
}

fn workflow(steps: Value) -> Workflow {
    serde_json::from_value(json!({
        "id": "demo",
        "name": "Demo",
        "inputs": [{"name": "topic", "type": "string"}],
        "steps": steps
    }))
    .expect("a workflow")
}

/// What a coordinator's output becomes: the planned step ids, or the error.
fn check(output: Value, max_steps: u32, depth: u32, max_depth: u32) -> Result<Vec<String>, String> {
    let outer = workflow(json!([{"id": "lead", "capability": "orchestration", "taskType": "echo"}]));
    plan(&output, &outer, max_steps, depth, max_depth, catalog())
        .map(|w| w.steps.into_iter().map(|s| s.id).collect())
        .map_err(|e| format!("{}: {}", e.code, e.message))
}

#[test]
fn a_coordinators_plan_is_checked_like_a_definition() {
    let step = |id: &str, extra: Value| {
        let mut s =
            json!({"id": id, "capability": "orchestration", "taskType": "echo", "input": {"t": "{{ inputs.topic }}"}});
        s.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        s
    };
    let ok = json!({"steps": [step("a", json!({})), step("b", json!({"dependsOn": ["a"]}))]});
    assert_eq!(check(ok.clone(), 5, 1, 2), Ok(vec!["a".into(), "b".into()]));
    // A bare list, or the plan as JSON text, is a plan too.
    assert_eq!(check(ok["steps"].clone(), 5, 1, 2).map(|s| s.len()), Ok(2));
    assert_eq!(check(Value::String(ok.to_string()), 5, 1, 2).map(|s| s.len()), Ok(2));
    let cases = [
        (
            json!("just words"),
            "invalid_plan: the coordinator's output is not a plan",
        ),
        (json!({"steps": []}), "plan.steps: expected 1 to 5 steps, found 0"),
        (
            json!({"steps": [step("a", json!({"capability": "nope"}))]}),
            "plan.steps[0].capability: no agent in the catalog has capability `nope`",
        ),
        (
            json!({"steps": [step("a", json!({"dependsOn": ["b"]})), step("b", json!({"dependsOn": ["a"]}))]}),
            "plan.steps[0].dependsOn: dependency cycle",
        ),
        (
            json!({"steps": [{"id": "ok", "kind": {"type": "approval", "approvals": 1, "timeoutMs": 5}}]}),
            "plan.steps[0].kind: a plan cannot wait for people",
        ),
        (
            json!({"steps": [step("deep", json!({"kind": {"type": "hierarchical", "maxSteps": 2, "maxDepth": 1}}))]}),
            "plan.steps[0].kind: plans may not nest deeper",
        ),
        (
            json!({"steps": [{"id": "x", "bogus": 1}]}),
            "plan.steps: not a list of steps: unknown field `bogus`",
        ),
    ];
    for (output, expected) in cases {
        let got = check(output.clone(), 5, 2, 2).expect_err("refused");
        assert!(got.contains(expected), "{output}\n  got: {got}\n  expected: {expected}");
    }
}

#[test]
fn upstream_is_every_step_a_step_needs_directly_or_not() {
    let w = workflow(json!([
        {"id": "a", "capability": "orchestration", "taskType": "echo"},
        {"id": "b", "capability": "orchestration", "taskType": "echo", "input": {"x": "{{ steps.a.output }}"}},
        {"id": "c", "capability": "orchestration", "taskType": "echo", "dependsOn": ["b"]},
        {"id": "d", "capability": "orchestration", "taskType": "echo"}
    ]));
    let names = |from: usize| -> Vec<&str> {
        upstream_of(&w, from)
            .into_iter()
            .map(|i| w.steps[i].id.as_str())
            .collect()
    };
    assert_eq!(names(2), ["a", "b"]);
    assert_eq!(names(1), ["a"]);
    assert!(names(0).is_empty() && names(3).is_empty());
}
