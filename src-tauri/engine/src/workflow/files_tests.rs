//! Templates, new workflows, copies, renames, import and export, on a real
//! SQLite store and a real folder.

use std::path::PathBuf;
use std::sync::OnceLock;

use serde_json::json;

use super::*;
use crate::shipped;

fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        let repo =
            PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into()))
                .join("../..");
        Catalog::load(&repo.join("agents/catalog"))
    })
}

/// A store and an empty workflows folder in a tempdir.
struct Place {
    _dir: tempfile::TempDir,
    store: Store,
    folder: PathBuf,
}

fn place() -> Place {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("s.db")).unwrap();
    let folder = dir.path().join("workflows");
    std::fs::create_dir(&folder).unwrap();
    Place {
        _dir: dir,
        store,
        folder,
    }
}

fn workflow(id: &str, name: &str) -> Workflow {
    serde_json::from_value(json!({
        "id": id, "name": name,
        "steps": [{"id": "a", "agent": "AG-001", "taskType": "echo", "input": {"text": "hi"}}]
    }))
    .unwrap()
}

fn naming(id: &str, name: &str) -> Naming {
    Naming {
        id: id.into(),
        name: name.into(),
    }
}

fn on_disk(p: &Place, id: &str) -> Option<Workflow> {
    let text = std::fs::read_to_string(p.folder.join(format!("{id}.json"))).ok()?;
    Some(serde_json::from_str(&text).unwrap())
}

async fn version_numbers(p: &Place, id: &str) -> Vec<u32> {
    versions::versions(&p.store, id)
        .await
        .unwrap()
        .into_iter()
        .map(|v| v.version)
        .collect()
}

#[test]
fn the_gallery_lists_the_ten_shipped_templates() {
    let templates = templates(shipped::WORKFLOWS);
    let ids: Vec<&str> = templates.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "auth_module",
            "code_review",
            "content_pipeline",
            "ecommerce_order",
            "feature_delivery",
            "full_stack_deployment",
            "incident_response",
            "mcq_generation",
            "scan_and_fix",
            "sprint_planning"
        ]
    );
    let review = templates.iter().find(|t| t.id == "code_review").unwrap();
    let shipped_review = template(shipped::WORKFLOWS, "code_review").unwrap();
    assert_eq!(review.name, shipped_review.name);
    assert_eq!(review.steps as usize, shipped_review.steps.len());
    assert!(!review.description.is_empty());
    assert_eq!(template(shipped::WORKFLOWS, "workflow.schema"), None);
    assert_eq!(template(shipped::WORKFLOWS, "nope"), None);
}

#[tokio::test]
async fn a_template_copy_gets_the_new_id_and_name_and_stays_valid() {
    let p = place();
    let source = template(shipped::WORKFLOWS, "scan_and_fix").unwrap();
    let copy = copy_of(&source, &naming("my_scan", "  My scan  "));
    assert_eq!((copy.id.as_str(), copy.name.as_str()), ("my_scan", "My scan"));
    assert_eq!(copy.steps, source.steps);
    assert_eq!(validate(&copy, catalog()), Vec::new());
    assert_eq!(create(&p.store, &p.folder, &copy, "desktop", 1).await.unwrap(), 1);
    assert_eq!(on_disk(&p, "my_scan"), Some(copy));
}

#[tokio::test]
async fn a_new_workflow_never_takes_an_existing_id() {
    let p = place();
    assert_eq!(
        create(&p.store, &p.folder, &workflow("demo", "One"), "desktop", 1)
            .await
            .unwrap(),
        1
    );
    let err = create(&p.store, &p.folder, &workflow("demo", "Two"), "desktop", 2)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Conflict);
    assert_eq!(err.to_string(), "a workflow `demo` exists already: choose another id");
    assert_eq!(on_disk(&p, "demo").unwrap().name, "One");

    for (id, name, message) in [
        (
            "Demo Flow",
            "x",
            "id: expected 1–64 lowercase letters, digits, `-` or `_`, found `Demo Flow`",
        ),
        (
            "../etc",
            "x",
            "id: expected 1–64 lowercase letters, digits, `-` or `_`, found `../etc`",
        ),
        ("fine", " ", "name: expected a name"),
    ] {
        let err = create(&p.store, &p.folder, &workflow(id, name), "desktop", 3)
            .await
            .unwrap_err();
        assert_eq!(
            (err.code(), err.to_string()),
            (Code::InvalidRequest, message.to_string())
        );
    }
}

#[tokio::test]
async fn a_workflow_created_again_after_a_delete_continues_its_versions() {
    let p = place();
    create(&p.store, &p.folder, &workflow("demo", "One"), "desktop", 1)
        .await
        .unwrap();
    versions::save(&p.store, &p.folder, &workflow("demo", "Two"), Some(1), "desktop", 2)
        .await
        .unwrap();
    std::fs::remove_file(p.folder.join("demo.json")).unwrap();
    assert_eq!(
        create(&p.store, &p.folder, &workflow("demo", "Again"), "desktop", 3)
            .await
            .unwrap(),
        3
    );
    assert_eq!(version_numbers(&p, "demo").await, [3, 2, 1]);
    // The runs of the deleted one still find the version they pinned.
    assert!(versions::body(&p.store, "demo", 2)
        .await
        .unwrap()
        .unwrap()
        .contains("\"Two\""));
}

#[tokio::test]
async fn renaming_the_name_is_a_new_version() {
    let p = place();
    create(&p.store, &p.folder, &workflow("demo", "One"), "desktop", 1)
        .await
        .unwrap();
    assert_eq!(
        rename(&p.store, &p.folder, "demo", &naming("demo", "Better"), "desktop", 2)
            .await
            .unwrap(),
        2
    );
    assert_eq!(on_disk(&p, "demo").unwrap().name, "Better");
    assert_eq!(version_numbers(&p, "demo").await, [2, 1]);
}

#[tokio::test]
async fn renaming_the_id_moves_the_file_and_copies_the_history() {
    let p = place();
    create(&p.store, &p.folder, &workflow("demo", "One"), "desktop", 1)
        .await
        .unwrap();
    versions::save(&p.store, &p.folder, &workflow("demo", "Two"), Some(1), "key:bot", 2)
        .await
        .unwrap();
    // An edit made on disk is kept too.
    std::fs::write(
        p.folder.join("demo.json"),
        versions::text_of(&workflow("demo", "By hand")),
    )
    .unwrap();

    assert_eq!(
        rename(&p.store, &p.folder, "demo", &naming("review", "Review"), "desktop", 4)
            .await
            .unwrap(),
        4
    );
    assert!(!p.folder.join("demo.json").exists());
    assert_eq!(
        on_disk(&p, "review").unwrap(),
        copy_of(&workflow("demo", ""), &naming("review", "Review"))
    );

    // The new id has the whole history, each version carrying the new id.
    let history = versions::versions(&p.store, "review").await.unwrap();
    let listed: Vec<(u32, &str)> = history.iter().map(|v| (v.version, v.saved_by.as_str())).collect();
    assert_eq!(listed, [(4, "desktop"), (3, "disk"), (2, "key:bot"), (1, "desktop")]);
    for v in &history {
        let body = versions::body(&p.store, "review", v.version).await.unwrap().unwrap();
        let old: Workflow = serde_json::from_str(&body).unwrap();
        assert_eq!(old.id, "review", "version {}", v.version);
        assert_eq!(versions::hash(&body), v.hash);
    }
    let two: Workflow = serde_json::from_str(&versions::body(&p.store, "review", 2).await.unwrap().unwrap()).unwrap();
    assert_eq!(two.name, "Two");
    // The old id keeps its own for the runs that pinned them.
    assert_eq!(version_numbers(&p, "demo").await, [3, 2, 1]);
    assert!(versions::body(&p.store, "demo", 2)
        .await
        .unwrap()
        .unwrap()
        .contains("\"id\": \"demo\""));
}

#[tokio::test]
async fn a_rename_is_refused_before_anything_changes() {
    let p = place();
    for id in ["demo", "other", "gone"] {
        create(&p.store, &p.folder, &workflow(id, id), "desktop", 1)
            .await
            .unwrap();
    }
    std::fs::remove_file(p.folder.join("gone.json")).unwrap();
    std::fs::write(p.folder.join("broken.json"), "{ not json").unwrap();

    let cases = [
        (
            "demo",
            "other",
            Code::Conflict,
            "a workflow `other` exists already: choose another id",
        ),
        (
            "demo",
            "gone",
            Code::Conflict,
            "id `gone` keeps the versions of a deleted workflow: choose another id",
        ),
        ("missing", "x", Code::NotFound, "no workflow `missing`"),
        ("../demo", "x", Code::NotFound, "no workflow `../demo`"),
        (
            "demo",
            "Bad Id",
            Code::InvalidRequest,
            "id: expected 1–64 lowercase letters, digits, `-` or `_`, found `Bad Id`",
        ),
    ];
    for (id, to, code, message) in cases {
        let err = rename(&p.store, &p.folder, id, &naming(to, "New"), "desktop", 2)
            .await
            .unwrap_err();
        assert_eq!(
            (err.code(), err.to_string()),
            (code, message.to_string()),
            "{id} -> {to}"
        );
    }
    let err = rename(&p.store, &p.folder, "broken", &naming("fixed", "x"), "desktop", 2)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidRequest);
    assert!(
        err.to_string()
            .ends_with("broken.json does not parse (line 1, column 3): fix it before renaming it"),
        "{err}"
    );
    assert_eq!(on_disk(&p, "demo").unwrap().name, "demo");
    assert_eq!(version_numbers(&p, "demo").await, [1]);
}

#[tokio::test]
async fn a_draft_follows_a_renamed_workflow() {
    let p = place();
    versions::save_draft(&p.store, &workflow("demo", "Editing"), Some(1), 5)
        .await
        .unwrap();
    versions::move_draft(&p.store, "demo", "review").await.unwrap();
    assert_eq!(versions::draft(&p.store, "demo").await.unwrap(), None);
    let moved = versions::draft(&p.store, "review").await.unwrap().unwrap();
    assert_eq!(
        (moved.workflow.id.as_str(), moved.workflow.name.as_str()),
        ("review", "Editing")
    );
    assert_eq!((moved.base, moved.saved_ms), (Some(1), 5));
}

#[tokio::test]
async fn an_import_that_does_not_parse_or_validate_names_the_file_and_the_fault() {
    let p = place();
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let cases = [
        (
            file("notes.json", "hello"),
            Code::InvalidRequest,
            "notes.json is not a workflow definition: expected value at line 1 column 1",
        ),
        (
            file(
                "extra.json",
                r#"{"id": "x", "name": "X", "steps": [], "colour": "red"}"#,
            ),
            Code::InvalidRequest,
            "extra.json is not a workflow definition: unknown field `colour`, expected one of `$schema`, `id`",
        ),
        (
            file(
                "ghost.json",
                r#"{"id": "ghost", "name": "G", "steps": [{"id": "a", "agent": "AG-999", "taskType": "echo"}]}"#,
            ),
            Code::InvalidWorkflow,
            "ghost.json: workflow `ghost` has 1 problem: steps[0].agent: no agent AG-999 in the catalog",
        ),
    ];
    for (path, code, message) in cases {
        let err = read_import(&p.store, &p.folder, catalog(), &path).await.unwrap_err();
        assert_eq!(err.code(), code, "{err}");
        let text = err.to_string();
        assert!(text.starts_with(&path.display().to_string()), "{text}");
        let own = text
            .trim_start_matches(&*dir.path().display().to_string())
            .trim_start_matches('/');
        assert!(own.starts_with(message), "{own}\n does not start with\n{message}");
    }
    let missing = dir.path().join("missing.json");
    let err = read_import(&p.store, &p.folder, catalog(), &missing).await.unwrap_err();
    assert_eq!(err.code(), Code::InvalidRequest);
    assert!(
        err.to_string()
            .starts_with(&format!("cannot read {}: ", missing.display())),
        "{err}"
    );
    assert!(p.folder.read_dir().unwrap().next().is_none(), "nothing was saved");
}

#[tokio::test]
async fn an_import_of_a_taken_id_is_offered_as_a_copy_under_a_free_id() {
    let p = place();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.json");
    std::fs::write(&path, versions::text_of(&workflow("demo", "Imported"))).unwrap();

    let free = read_import(&p.store, &p.folder, catalog(), &path).await.unwrap();
    assert_eq!((free.taken, free.free_id.as_str()), (false, "demo"));
    assert_eq!(free.workflow, workflow("demo", "Imported"));

    create(&p.store, &p.folder, &workflow("demo", "Mine"), "desktop", 1)
        .await
        .unwrap();
    // demo_2 was used by a deleted workflow: not free either.
    create(&p.store, &p.folder, &workflow("demo_2", "Old"), "desktop", 1)
        .await
        .unwrap();
    std::fs::remove_file(p.folder.join("demo_2.json")).unwrap();
    let taken = read_import(&p.store, &p.folder, catalog(), &path).await.unwrap();
    assert_eq!((taken.taken, taken.free_id.as_str()), (true, "demo_3"));
    // Creating it under its own id is refused; mine is untouched.
    assert!(matches!(
        create(&p.store, &p.folder, &taken.workflow, "desktop", 2).await,
        Err(SaveError::Taken(_))
    ));
    assert_eq!(on_disk(&p, "demo").unwrap().name, "Mine");
}

#[tokio::test]
async fn a_free_id_stays_a_valid_id() {
    let p = place();
    let long = "x".repeat(64);
    create(&p.store, &p.folder, &workflow(&long, "Long"), "desktop", 1)
        .await
        .unwrap();
    let free = free_id(&p.store, &p.folder, &long).await.unwrap();
    assert_eq!(free, format!("{}_2", "x".repeat(62)));
    assert!(is_file_id(&free));
}

#[tokio::test]
async fn an_export_writes_the_file_as_it_is() {
    let p = place();
    let dir = tempfile::tempdir().unwrap();
    let text = "{\"id\": \"demo\", \"name\": \"Hand-made\", \"steps\": []}\n";
    std::fs::write(p.folder.join("demo.json"), text).unwrap();
    let out = dir.path().join("out.json");
    export(&p.folder, "demo", &out).unwrap();
    assert_eq!(std::fs::read_to_string(&out).unwrap(), text);

    for id in ["nope", "../demo"] {
        let err = export(&p.folder, id, &out).unwrap_err();
        assert_eq!(
            (err.code(), err.to_string()),
            (Code::NotFound, format!("no workflow `{id}`"))
        );
    }
    let err = export(&p.folder, "demo", &dir.path().join("no/such/dir/out.json")).unwrap_err();
    assert_eq!(err.code(), Code::InvalidRequest);
    assert!(err.to_string().starts_with("cannot write "), "{err}");
}
