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

/// Seed 001's three multi-agent task bodies ("API Documentation" and
/// "Usage Examples"), as ad-hoc tasks.
fn seed_bodies() -> Vec<super::adhoc::AdhocTask> {
    use super::adhoc::{AdhocTask, Constraints};
    let task = |name: &str,
                task_type: &str,
                pattern: &str,
                requirements: &[&str],
                payload: Value,
                constraints: Constraints| AdhocTask {
        pattern: pattern.into(),
        name: Some(name.into()),
        description: Some(format!("{name}, as seed 001 writes it")),
        task_type: task_type.into(),
        requirements: requirements.iter().map(|r| r.to_string()).collect(),
        payload,
        constraints,
    };
    vec![
        task(
            "Code Review Task",
            "code_review",
            "collaborative",
            &["code_analysis", "security_review"],
            Value::Null,
            Constraints::default(),
        ),
        task(
            "Generate Authentication Module",
            "code_generation",
            "collaborative",
            &["code_generation", "security_implementation"],
            json!({"language": "python", "framework": "fastapi", "features": ["login", "register", "password_reset"]}),
            Constraints::default(),
        ),
        task(
            "Full Stack Application Deployment",
            "deployment",
            "pipeline",
            &[
                "infrastructure_management",
                "deployment_automation",
                "monitoring_setup",
                "security_configuration",
            ],
            json!({"application": "web-app", "environment": "production", "monitoring": true, "ssl_enabled": true}),
            Constraints {
                max_agents: Some(6),
                estimated_duration: Some(3600),
                required_approvals: vec!["security-review".into(), "infrastructure-review".into()],
            },
        ),
    ]
}

#[test]
fn seed_001s_multi_agent_tasks_become_valid_workflows_of_their_pattern() {
    use super::adhoc::workflow;
    use crate::workflow::model::StepKind;
    let shapes: Vec<String> = seed_bodies()
        .iter()
        .map(|task| {
            let w = workflow(task, catalog())
                .unwrap_or_else(|e| panic!("{}: {e}", task.name.as_deref().unwrap_or_default()));
            let problems = crate::workflow::validate(&w, catalog());
            assert!(problems.is_empty(), "{}: {problems:?}", w.name);
            let steps: Vec<String> = w
                .steps
                .iter()
                .map(|s| {
                    let kind = match &s.kind {
                        StepKind::Collaborative { agents, .. } => format!("collaborative×{agents} "),
                        StepKind::Approval { timeout_ms, .. } => format!("approval {}s ", timeout_ms / 1000),
                        _ => String::new(),
                    };
                    let worker = s.capability.as_ref().map_or(String::new(), |c| {
                        format!(" {c}/{}", s.task_type.as_deref().unwrap_or_default())
                    });
                    format!("{kind}{}{worker} after {:?}", s.id, s.depends_on)
                })
                .collect();
            format!("{} ({}):\n  {}", w.name, w.id, steps.join("\n  "))
        })
        .collect();
    insta::assert_snapshot!(shapes.join("\n"));
    for pattern in ["hierarchical", "swarm"] {
        let task = super::adhoc::AdhocTask {
            pattern: pattern.into(),
            ..seed_bodies().remove(1)
        };
        let w = workflow(&task, catalog()).unwrap();
        assert!(crate::workflow::validate(&w, catalog()).is_empty(), "{pattern}: {w:?}");
    }
    let unknown = super::adhoc::AdhocTask {
        requirements: vec!["telepathy".into()],
        ..seed_bodies().remove(0)
    };
    let err = workflow(&unknown, catalog()).unwrap_err();
    assert!(
        err.starts_with("requirements: no agent in the catalog has capability `telepathy`"),
        "{err}"
    );
}

#[test]
fn seed_words_with_defaults_render_from_a_bare_body() {
    use crate::workflow::render::{input, Scope};
    let task = seed_bodies().remove(0);
    let w = super::adhoc::workflow(&task, catalog()).unwrap();
    let inputs = super::adhoc::inputs(&task);
    for step in &w.steps {
        let rendered = input(
            &step.input,
            &Scope {
                inputs: Some(&inputs),
                ..Scope::default()
            },
        );
        let rendered = rendered.unwrap_or_else(|e| panic!("{}: {e}", step.id));
        assert_eq!(
            rendered["code"],
            json!("Code Review Task, as seed 001 writes it"),
            "{}",
            step.id
        );
    }
}

#[test]
fn the_shipped_templates_give_every_prompt_the_fields_it_needs() {
    use super::preflight::{check, Facts};
    let catalog = catalog();
    let everyone = Facts {
        healthy: catalog.all().map(|e| e.manifest.id.clone()).collect(),
        models: Some(
            catalog
                .all()
                .flat_map(|e| [e.manifest.model.preferred.clone(), e.manifest.model.fallback.clone()])
                .collect(),
        ),
    };
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut warnings = Vec::new();
    for definition in crate::workflow::load_dir(&repo.join("agents/workflows"), catalog) {
        let workflow = definition.workflow.expect("a shipped template parses");
        for w in check(&workflow, catalog, &everyone) {
            warnings.push(format!("{}/{}: {}", workflow.id, w.step.unwrap_or_default(), w.message));
        }
    }
    assert!(warnings.is_empty(), "{warnings:#?}");
}
