use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::json;

use super::*;

/// The shipped catalog (69 agents), loaded once.
fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| Catalog::load(&repo().join("agents/catalog")))
}

/// The repository, at run time (a test binary may have been built in
/// another clone).
fn repo() -> PathBuf {
    PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into()))
        .join("../..")
}

/// A valid two-step workflow, changed by `change` (as JSON, so a test can
/// write what a file would hold).
fn workflow(change: impl FnOnce(&mut serde_json::Value)) -> Workflow {
    let mut value = json!({
        "id": "demo",
        "name": "Demo",
        "inputs": [{"name": "text", "type": "string", "required": true}, {"name": "items", "type": "list"}],
        "steps": [
            {"id": "first", "capability": "orchestration", "taskType": "echo", "input": {"text": "{{ inputs.text }}"}},
            {"id": "second", "agent": "AG-001", "taskType": "echo", "input": {"text": "{{ steps.first.output }}"}}
        ]
    });
    change(&mut value);
    serde_json::from_value(value).expect("a workflow")
}

/// A sticky note as a file holds it.
fn note(id: &str, text: &str) -> serde_json::Value {
    json!({"id": id, "text": text, "position": {"x": 10.0, "y": 20.0}})
}

fn problems(workflow: &Workflow) -> Vec<String> {
    validate(workflow, catalog()).iter().map(ToString::to_string).collect()
}

#[test]
fn a_valid_workflow_has_no_problems() {
    assert_eq!(problems(&workflow(|_| {})), Vec::<String>::new());
}

/// One row per rule: what is changed → the one problem it makes (path and
/// the start of the message).
#[test]
fn each_rule_names_the_step_and_the_field() {
    #[allow(clippy::type_complexity)]
    let table: Vec<(&str, Box<dyn Fn(&mut serde_json::Value)>, &str)> = vec![
        (
            "bad id",
            Box::new(|w| w["id"] = json!("Demo Flow")),
            "id: expected 1–64 lowercase",
        ),
        ("no name", Box::new(|w| w["name"] = json!(" ")), "name: expected a name"),
        (
            "no steps",
            Box::new(|w| w["steps"] = json!([])),
            "steps: expected at least one step",
        ),
        (
            "duplicate input",
            Box::new(|w| w["inputs"][1]["name"] = json!("text")),
            "inputs[1].name: `text` is declared twice",
        ),
        (
            "duplicate step id",
            Box::new(|w| w["steps"][1]["id"] = json!("first")),
            "steps[1].id: `first` is used by an earlier step too",
        ),
        (
            "unknown dependency",
            Box::new(|w| w["steps"][0]["dependsOn"] = json!(["nope"])),
            "steps[0].dependsOn[0]: no step `nope`",
        ),
        (
            "depends on itself",
            Box::new(|w| w["steps"][0]["dependsOn"] = json!(["first"])),
            "steps[0].dependsOn[0]: a step cannot depend on itself",
        ),
        (
            "cycle through a template",
            Box::new(|w| w["steps"][0]["input"]["text"] = json!("{{ steps.second.output }}")),
            "steps[0].dependsOn: dependency cycle among first, second",
        ),
        (
            "unknown input",
            Box::new(|w| w["steps"][0]["input"]["text"] = json!("{{ inputs.nope }}")),
            "steps[0].input.text: no input `nope`",
        ),
        (
            "unknown step in a template",
            Box::new(|w| w["steps"][1]["input"]["text"] = json!("{{ steps.ghost.output }}")),
            "steps[1].input.text: no step `ghost`",
        ),
        (
            "unknown variable",
            Box::new(|w| w["steps"][0]["input"]["text"] = json!("{{ payload.x }}")),
            "steps[0].input.text: `payload.x` is not an input",
        ),
        (
            "broken template",
            Box::new(|w| w["steps"][0]["input"]["text"] = json!("{{ inputs.text")),
            "steps[0].input.text: not a valid template",
        ),
        (
            "item outside forEach",
            Box::new(|w| w["steps"][0]["input"]["text"] = json!("{{ item }}")),
            "steps[0].input.text: `item` exists only in a forEach step's input",
        ),
        (
            "forEach over a string input",
            Box::new(|w| w["steps"][0]["kind"] = json!({"type": "forEach", "over": "inputs.text"})),
            "steps[0].kind.over: forEach needs a list; input `text` is string",
        ),
        (
            "broken when",
            Box::new(|w| w["steps"][1]["when"] = json!("steps.first.output ==")),
            "steps[1].when: not a valid template",
        ),
        (
            "unknown agent",
            Box::new(|w| w["steps"][1]["agent"] = json!("AG-999")),
            "steps[1].agent: no agent AG-999 in the catalog",
        ),
        (
            "unknown capability",
            Box::new(|w| w["steps"][0]["capability"] = json!("cooking")),
            "steps[0].capability: no agent in the catalog has capability `cooking`",
        ),
        (
            "task type the agent lacks",
            Box::new(|w| w["steps"][1]["taskType"] = json!("juggle")),
            "steps[1].taskType: AG-001 has no task type `juggle`; it knows",
        ),
        (
            "task type no agent with the capability has",
            Box::new(|w| w["steps"][0]["taskType"] = json!("juggle")),
            "steps[0].taskType: no agent with capability `orchestration` has task type `juggle`",
        ),
        (
            "capability the named agent lacks",
            Box::new(|w| w["steps"][1]["capability"] = json!("cooking")),
            "steps[1].capability: AG-001 has no capability `cooking`",
        ),
        (
            "no agent and no capability",
            Box::new(|w| {
                w["steps"][0]
                    .as_object_mut()
                    .unwrap()
                    .remove("capability")
                    .map(drop)
                    .unwrap_or(())
            }),
            "steps[0].agent: expected an agent or a capability",
        ),
        (
            "no task type",
            Box::new(|w| {
                w["steps"][0]
                    .as_object_mut()
                    .unwrap()
                    .remove("taskType")
                    .map(drop)
                    .unwrap_or(())
            }),
            "steps[0].taskType: expected the task type",
        ),
        (
            "fallback to nowhere",
            Box::new(|w| w["steps"][0]["onError"] = json!({"fallback": "nope"})),
            "steps[0].onError.fallback: no step `nope`",
        ),
        (
            "fallback to itself",
            Box::new(|w| w["steps"][0]["onError"] = json!({"fallback": "first"})),
            "steps[0].onError.fallback: a step cannot be its own fallback",
        ),
        (
            "too many retries",
            Box::new(|w| w["steps"][0]["retry"] = json!({"attempts": 11})),
            "steps[0].retry.attempts: expected 1 to 10, found 11",
        ),
        (
            "zero timeout",
            Box::new(|w| w["steps"][0]["timeoutMs"] = json!(0)),
            "steps[0].timeoutMs: expected 1 to 86400000 ms",
        ),
        (
            "a collaboration of one",
            Box::new(|w| w["steps"][0]["kind"] = json!({"type": "collaborative", "agents": 1, "merge": "all"})),
            "steps[0].kind.agents: expected 2 to 10 agents, found 1",
        ),
        (
            "an endless swarm",
            Box::new(|w| w["steps"][0]["kind"] = json!({"type": "swarm", "agents": 3, "rounds": 50})),
            "steps[0].kind.rounds: expected 1 to 10 rounds, found 50",
        ),
        (
            "a deep hierarchy",
            Box::new(|w| w["steps"][0]["kind"] = json!({"type": "hierarchical", "maxSteps": 10, "maxDepth": 9})),
            "steps[0].kind.maxDepth: expected 1 to 3, found 9",
        ),
        (
            "an approval that names an agent",
            Box::new(
                |w| w["steps"][1] = json!({"id": "second", "agent": "AG-001", "kind": {"type": "approval", "approvals": 1, "timeoutMs": 60000}}),
            ),
            "steps[1].agent: an approval waits for a person",
        ),
        (
            "a note id used twice",
            Box::new(|w| w["notes"] = json!([note("a", "x"), note("a", "y")])),
            "notes[1].id: `a` is used by an earlier note too",
        ),
        (
            "a note id with a space",
            Box::new(|w| w["notes"] = json!([note("a b", "x")])),
            "notes[0].id: expected 1–64 letters",
        ),
        (
            "a note too long",
            Box::new(|w| w["notes"] = json!([note("a", "ok"), note("b", &"x".repeat(4001))])),
            "notes[1].text: at most 4000 characters, found 4001",
        ),
        (
            "a note of no width",
            Box::new(|w| w["notes"] = json!([{"id": "a", "text": "", "position": {"x": 0, "y": 0}, "width": 0}])),
            "notes[0].width: expected 1 to 4000 pixels, found 0",
        ),
        (
            "an output from nowhere",
            Box::new(|w| w["outputs"] = json!([{"name": "x", "from": "{{ steps.ghost.output }}"}])),
            "outputs[0].from: no step `ghost`",
        ),
    ];
    for (case, change, want) in table {
        let found = problems(&workflow(change));
        assert!(
            found.len() == 1 && found[0].starts_with(want),
            "{case}: expected one problem starting with {want:?}, found {found:#?}"
        );
    }
}

#[test]
fn templates_imply_dependencies_and_other_kinds_are_accepted() {
    let w = workflow(|w| {
        w["steps"].as_array_mut().unwrap().extend([
            json!({"id": "each", "capability": "orchestration", "taskType": "echo",
                   "kind": {"type": "forEach", "over": "inputs.items"}, "input": {"text": "{{ item }} after {{ steps.second.output }}"}}),
            json!({"id": "gate", "kind": {"type": "approval", "approvals": 2, "timeoutMs": 3600000}, "dependsOn": ["each"]}),
            json!({"id": "panel", "capability": "code_review", "taskType": "review",
                   "kind": {"type": "collaborative", "agents": 3, "merge": "majority"},
                   "input": {"code": "{{ context.code }}"}, "when": "steps.each.output | length > 0", "onError": "continue"}),
            json!({"id": "safe", "agent": "AG-001", "taskType": "echo", "onError": {"fallback": "first"}}),
        ]);
    });
    assert_eq!(problems(&w), Vec::<String>::new());
}

/// Every template shipped in agents/workflows/ is valid against the
/// shipped catalog and named after its id.
#[test]
fn the_shipped_templates_are_valid() {
    let shipped = load_dir(&repo().join("agents/workflows"), catalog());
    assert!(shipped.len() >= 2, "{shipped:#?}");
    for definition in &shipped {
        assert!(definition.is_valid(), "{}: {:#?}", definition.file, definition.problems);
    }
}

/// A file that is not a definition, or is named after another id, is
/// reported with where; the good ones still load.
#[test]
fn a_bad_file_is_named_and_the_others_still_load() {
    let dir = tempfile::tempdir().unwrap();
    let good = serde_json::to_string(&workflow(|_| {})).unwrap();
    std::fs::write(dir.path().join("demo.json"), &good).unwrap();
    std::fs::write(dir.path().join("other.json"), &good).unwrap();
    std::fs::write(dir.path().join("broken.json"), "{\"id\": \"broken\",\n \"steps\": [}").unwrap();
    std::fs::write(
        dir.path().join("typo.json"),
        "{\"id\": \"typo\", \"name\": \"T\", \"stepz\": []}",
    )
    .unwrap();
    std::fs::write(dir.path().join("workflow.schema.json"), json_schema()).unwrap();
    let loaded = load_dir(dir.path(), catalog());
    let by_file = |name: &str| {
        loaded
            .iter()
            .find(|d| Path::new(&d.file).file_name().is_some_and(|f| f == name))
            .unwrap_or_else(|| panic!("{name} is listed"))
    };
    assert_eq!(loaded.len(), 4, "the schema is not a workflow");
    assert!(by_file("demo.json").is_valid());
    assert!(
        by_file("broken.json").problems[0].message.contains("line 2"),
        "{:?}",
        by_file("broken.json")
    );
    assert!(by_file("typo.json").problems[0]
        .message
        .contains("unknown field `stepz`"));
    assert_eq!(
        by_file("other.json").problems[0].to_string(),
        "id: the file of workflow `demo` must be named demo.json"
    );
}

/// `agents/workflows/workflow.schema.json` is committed for editors; it
/// must match the types. Regenerate: UPDATE_SCHEMA=1 cargo test -p sutazai-engine workflow
#[test]
fn the_shipped_schema_is_fresh() {
    let path = repo().join("agents/workflows/workflow.schema.json");
    let want = json_schema();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &want).unwrap();
    }
    assert!(
        std::fs::read_to_string(&path).unwrap_or_default() == want,
        "{} is stale; regenerate with `UPDATE_SCHEMA=1 cargo test -p sutazai-engine workflow`",
        path.display()
    );
}

/// Notes are written only when there are some, so a file or a version
/// without them reads and writes byte for byte as before; they round-trip
/// and change nothing a run depends on.
#[test]
fn notes_are_kept_only_when_there_are_some_and_runs_ignore_them() {
    let plain = workflow(|_| {});
    let text = serde_json::to_string(&plain).unwrap();
    assert!(!text.contains("notes"), "{text}");
    let noted = workflow(
        |w| w["notes"] = json!([note("todo", "ask **legal**\nfirst"), {"id": "b", "text": "", "position": {"x": 0, "y": 0}, "width": 240.0, "height": 120.0}]),
    );
    let back: Workflow = serde_json::from_str(&serde_json::to_string(&noted).unwrap()).unwrap();
    assert_eq!(back, noted);
    assert_eq!(back.notes[0].text, "ask **legal**\nfirst");
    assert_eq!((back.notes[1].width, back.notes[1].height), (Some(240.0), Some(120.0)));
    assert_eq!(problems(&noted), Vec::<String>::new());
    assert_eq!(validate::dependencies(&noted), validate::dependencies(&plain));
    let mut value = serde_json::to_value(&noted).unwrap();
    value["notes"][0]["colour"] = json!("yellow");
    let err = serde_json::from_value::<Workflow>(value).unwrap_err().to_string();
    assert!(err.contains("unknown field `colour`"), "{err}");
}

/// A misspelt field is an error, in a step's kind too, never silently
/// ignored.
#[test]
fn unknown_fields_are_refused() {
    let mut value = serde_json::to_value(workflow(|_| {})).unwrap();
    value["steps"][0]["kind"] = json!({"type": "forEach", "over": "inputs.items", "ovr": "x"});
    let err = serde_json::from_value::<Workflow>(value.clone())
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown field `ovr`"), "{err}");
    value["steps"][0]["kind"] = json!({"type": "forEach", "over": "inputs.items"});
    value["steps"][0]["dependOn"] = json!([]);
    let err = serde_json::from_value::<Workflow>(value).unwrap_err().to_string();
    assert!(err.contains("unknown field `dependOn`"), "{err}");
}

#[test]
fn a_diff_names_each_changed_field_with_its_value_before() {
    let old = workflow(|_| {});
    let new = workflow(|w| {
        w["steps"][1]["input"]["text"] = json!("{{ inputs.text }}");
        w["steps"][0]["onError"] = json!("continue");
    });
    let changes: Vec<String> = versions::diff(&old, &new)
        .iter()
        .map(|c| format!("{} {} {:?} -> {:?}", c.op, c.path, c.before, c.after))
        .collect();
    assert_eq!(
        changes,
        [
            r#"replace /steps/0/onError Some(String("stop")) -> Some(String("continue"))"#,
            r#"replace /steps/1/input/text Some(String("{{ steps.first.output }}")) -> Some(String("{{ inputs.text }}"))"#,
        ]
    );
    assert!(versions::diff(&old, &old).is_empty());
}

#[tokio::test]
async fn a_draft_is_kept_replaced_and_dropped_once_saved() {
    let dir = tempfile::tempdir().unwrap();
    let store = crate::store::Store::open(&dir.path().join("s.db")).unwrap();
    let first = workflow(|_| {});
    assert_eq!(versions::draft(&store, "demo").await.unwrap(), None);
    versions::save_draft(&store, &first, None, 1).await.unwrap();
    let edited = workflow(|w| w["steps"][0]["position"] = json!({"x": 10.0, "y": 20.5}));
    versions::save_draft(&store, &edited, Some(3), 2).await.unwrap();
    let kept = versions::draft(&store, "demo").await.unwrap().unwrap();
    assert_eq!((kept.workflow, kept.base, kept.saved_ms), (edited, Some(3), 2));
    versions::discard_draft(&store, "demo").await.unwrap();
    assert_eq!(versions::draft(&store, "demo").await.unwrap(), None);
}
