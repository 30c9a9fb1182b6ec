//! Checks a workflow definition against its own rules and the live agent
//! catalog: ids, the graph (dependencies the templates imply included;
//! cycles named by their steps), agents, capabilities and task types, what
//! each template refers to, fallbacks, each step kind's bounds, and the
//! canvas's notes. Pure;
//! every problem names the step and the field path.

use std::collections::{BTreeSet, HashMap, HashSet};

use serde::Serialize;

use super::model::{Note, OnError, Step, StepKind, ValueType, Workflow};
use crate::catalog::Catalog;
use crate::dag::Dag;

/// Steps a workflow may have.
pub const MAX_STEPS: usize = 500;
/// Agents a collaborative or swarm step may ask at once.
pub const MAX_AGENTS: u32 = 10;
/// Rounds a swarm may take.
pub const MAX_ROUNDS: u32 = 10;
/// Steps a hierarchical plan may add, and how deep plans may nest.
pub const MAX_PLANNED: u32 = 50;
pub const MAX_DEPTH: u32 = 3;
/// Attempts a step's task may get.
pub const MAX_ATTEMPTS: u32 = 10;
/// The longest a step or an approval may take (a day for a task, a week
/// for a person).
pub const MAX_STEP_TIMEOUT_MS: u64 = 24 * 3600 * 1000;
pub const MAX_APPROVAL_TIMEOUT_MS: u64 = 7 * 24 * 3600 * 1000;
/// Notes a workflow may have, the characters of one note's text, and the
/// largest side a note may be drawn with.
pub const MAX_NOTES: usize = 200;
pub const MAX_NOTE_CHARS: usize = 4000;
pub const MAX_NOTE_SIDE: f64 = 4000.0;

/// One problem of a definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, ts_rs::TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkflowProblem {
    /// The step concerned, when the problem is about one.
    pub step: Option<String>,
    /// Where in the file, e.g. `steps[2].input.text`.
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for WorkflowProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Every problem of `workflow` against `catalog`; empty when it is valid.
pub fn validate(workflow: &Workflow, catalog: &Catalog) -> Vec<WorkflowProblem> {
    let mut check = Check::default();
    if !is_id(&workflow.id, false) {
        check.root(
            "id",
            format!(
                "expected 1–64 lowercase letters, digits, `-` or `_`, found `{}`",
                workflow.id
            ),
        );
    }
    if workflow.name.trim().is_empty() {
        check.root("name", "expected a name".into());
    }
    if workflow.steps.is_empty() {
        check.root("steps", "expected at least one step".into());
    }
    if workflow.steps.len() > MAX_STEPS {
        check.root(
            "steps",
            format!("at most {MAX_STEPS} steps, found {}", workflow.steps.len()),
        );
    }
    let mut inputs: HashMap<&str, ValueType> = HashMap::new();
    for (i, input) in workflow.inputs.iter().enumerate() {
        if !is_id(&input.name, true) {
            check.root(
                &format!("inputs[{i}].name"),
                format!("expected a name of letters, digits and `_`, found `{}`", input.name),
            );
        }
        if inputs.insert(&input.name, input.kind).is_some() {
            check.root(
                &format!("inputs[{i}].name"),
                format!("`{}` is declared twice", input.name),
            );
        }
    }
    let mut ids: HashMap<&str, usize> = HashMap::new();
    for (i, step) in workflow.steps.iter().enumerate() {
        if !is_id(&step.id, true) {
            check.at(
                step,
                i,
                "id",
                format!("expected 1–64 letters, digits, `-` or `_`, found `{}`", step.id),
            );
        }
        if ids.insert(&step.id, i).is_some() {
            check.at(step, i, "id", format!("`{}` is used by an earlier step too", step.id));
        }
    }

    for (i, step) in workflow.steps.iter().enumerate() {
        for (j, dep) in step.depends_on.iter().enumerate() {
            let field = format!("dependsOn[{j}]");
            if dep == &step.id {
                check.at(step, i, &field, "a step cannot depend on itself".into());
            } else if !ids.contains_key(dep.as_str()) {
                check.at(step, i, &field, format!("no step `{dep}`"));
            }
        }
        for (field, template, kind) in templates(step) {
            match references(&template, kind) {
                Err(err) => check.at(step, i, &field, format!("not a valid template: {err}")),
                Ok(names) => {
                    for name in names {
                        refer(&mut check, (step, i, &field), &name, &inputs, &ids);
                    }
                }
            }
        }
        check_step(&mut check, step, i, &ids, catalog);
    }
    // The graph: explicit dependencies and those the templates imply.
    let needs = dependencies(workflow);
    let edges = workflow.steps.iter().zip(&needs).flat_map(|(step, own)| {
        own.iter()
            .map(move |&dep| (workflow.steps[dep].id.as_str(), step.id.as_str()))
    });
    let dag = Dag::new(workflow.steps.iter().map(|s| s.id.as_str()), edges);
    for cycle in dag.cycles() {
        let first = &cycle.members[0];
        let i = ids.get(first.as_str()).copied().unwrap_or(0);
        check.at(
            &workflow.steps[i],
            i,
            "dependsOn",
            format!("dependency {cycle} (through dependsOn or templates)"),
        );
    }
    check_notes(&mut check, &workflow.notes);
    for (o, output) in workflow.outputs.iter().enumerate() {
        let path = format!("outputs[{o}].from");
        match references(&output.from, Kind::Template) {
            Err(err) => check.root(&path, format!("not a valid template: {err}")),
            Ok(names) => {
                for name in names {
                    let mut first = name.split('.');
                    match (first.next(), first.next()) {
                        (Some("inputs"), Some(input)) if inputs.contains_key(input) => {}
                        (Some("steps"), Some(id)) if ids.contains_key(id) => {}
                        (Some("steps"), Some(id)) => check.root(&path, format!("no step `{id}`")),
                        _ => check.root(&path, format!("`{name}` is not an input or a step's output")),
                    }
                }
            }
        }
    }
    check.problems
}

/// The canvas's sticky notes: ids, the length of their text, their size.
/// A note is workflow-level: its problems name no step.
fn check_notes(check: &mut Check, notes: &[Note]) {
    if notes.len() > MAX_NOTES {
        check.root("notes", format!("at most {MAX_NOTES} notes, found {}", notes.len()));
    }
    let mut ids = HashSet::new();
    for (n, note) in notes.iter().enumerate() {
        if !is_id(&note.id, true) {
            check.root(
                &format!("notes[{n}].id"),
                format!("expected 1–64 letters, digits, `-` or `_`, found `{}`", note.id),
            );
        } else if !ids.insert(note.id.as_str()) {
            check.root(
                &format!("notes[{n}].id"),
                format!("`{}` is used by an earlier note too", note.id),
            );
        }
        let chars = note.text.chars().count();
        if chars > MAX_NOTE_CHARS {
            check.root(
                &format!("notes[{n}].text"),
                format!("at most {MAX_NOTE_CHARS} characters, found {chars}"),
            );
        }
        for (field, side) in [("width", note.width), ("height", note.height)] {
            if let Some(side) = side.filter(|s| !(1.0..=MAX_NOTE_SIDE).contains(s)) {
                check.root(
                    &format!("notes[{n}].{field}"),
                    format!("expected 1 to {MAX_NOTE_SIDE} pixels, found {side}"),
                );
            }
        }
    }
}

/// Per step (by index), the steps it needs: its `dependsOn` and the steps
/// its templates read. Names that do not resolve are left out (validation
/// reports them).
pub fn dependencies(workflow: &Workflow) -> Vec<Vec<usize>> {
    let index = workflow.step_index();
    workflow
        .steps
        .iter()
        .enumerate()
        .map(|(i, step)| {
            let mut needs: BTreeSet<usize> = step
                .depends_on
                .iter()
                .filter_map(|d| index.get(d.as_str()).copied())
                .collect();
            for (_, template, kind) in templates(step) {
                for name in references(&template, kind).unwrap_or_default() {
                    let mut parts = name.split('.');
                    if let (Some("steps"), Some(id)) = (parts.next(), parts.next()) {
                        needs.extend(index.get(id));
                    }
                }
            }
            needs.remove(&i);
            needs.into_iter().collect()
        })
        .collect()
}

#[derive(Default)]
struct Check {
    problems: Vec<WorkflowProblem>,
}

impl Check {
    fn root(&mut self, path: &str, message: String) {
        self.problems.push(WorkflowProblem {
            step: None,
            path: path.to_string(),
            message,
        });
    }

    fn at(&mut self, step: &Step, index: usize, field: &str, message: String) {
        self.problems.push(WorkflowProblem {
            step: Some(step.id.clone()),
            path: format!("steps[{index}].{field}"),
            message,
        });
    }
}

/// An id: 1–64 of `[a-z0-9_-]`, upper case too when `any_case`; names of
/// inputs must also be usable in templates (no `-`), checked by the caller.
fn is_id(text: &str, any_case: bool) -> bool {
    (1..=64).contains(&text.len())
        && text.chars().all(|c| {
            c.is_ascii_digit()
                || c == '-'
                || c == '_'
                || c.is_ascii_lowercase()
                || (any_case && c.is_ascii_alphabetic())
        })
}

#[derive(Clone, Copy)]
enum Kind {
    /// `{{ … }}` inside text.
    Template,
    /// A bare expression (`when`, `forEach.over`).
    Expression,
}

/// Every template of a step: (field path, text, kind).
fn templates(step: &Step) -> Vec<(String, String, Kind)> {
    let mut out = Vec::new();
    strings(&step.input, "input".into(), &mut out);
    if let Some(when) = &step.when {
        out.push(("when".into(), when.clone(), Kind::Expression));
    }
    if let StepKind::ForEach { over } = &step.kind {
        out.push(("kind.over".into(), over.clone(), Kind::Expression));
    }
    for (i, share) in step.share.iter().enumerate() {
        out.push((format!("share[{i}].value"), share.value.clone(), Kind::Template));
    }
    out
}

fn strings(value: &serde_json::Value, path: String, out: &mut Vec<(String, String, Kind)>) {
    match value {
        serde_json::Value::String(text) => out.push((path, text.clone(), Kind::Template)),
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                strings(item, format!("{path}[{i}]"), out);
            }
        }
        serde_json::Value::Object(map) => {
            for (key, item) in map {
                strings(item, format!("{path}.{key}"), out);
            }
        }
        _ => {}
    }
}

/// The variables a template or expression reads, as dotted paths
/// (`inputs.topic`, `steps.fetch.output.items`).
fn references(text: &str, kind: Kind) -> Result<BTreeSet<String>, String> {
    let env = minijinja::Environment::new();
    let names = match kind {
        Kind::Template if !text.contains("{{") && !text.contains("{%") => HashSet::new(),
        Kind::Template => env
            .template_from_str(text)
            .map_err(|e| e.to_string())?
            .undeclared_variables(true),
        Kind::Expression => env
            .compile_expression(text)
            .map_err(|e| e.to_string())?
            .undeclared_variables(true),
    };
    Ok(names.into_iter().collect())
}

/// Checks one variable a step's template reads.
fn refer(
    check: &mut Check,
    (step, i, field): (&Step, usize, &str),
    name: &str,
    inputs: &HashMap<&str, ValueType>,
    ids: &HashMap<&str, usize>,
) {
    let mut parts = name.split('.');
    match (parts.next(), parts.next()) {
        (Some("inputs"), Some(input)) => {
            if !inputs.contains_key(input) {
                check.at(step, i, field, format!("no input `{input}`"));
            } else if let (StepKind::ForEach { over }, true) = (&step.kind, field == "kind.over") {
                let kind = inputs[input];
                if !matches!(kind, ValueType::List | ValueType::Any) && over.trim() == format!("inputs.{input}") {
                    let kind = format!("{kind:?}").to_lowercase();
                    check.at(
                        step,
                        i,
                        field,
                        format!("forEach needs a list; input `{input}` is {kind}"),
                    );
                }
            }
        }
        (Some("steps"), Some(id)) if !ids.contains_key(id) => check.at(step, i, field, format!("no step `{id}`")),
        (Some("steps"), Some(_)) => {}
        (Some("item"), _) if matches!(step.kind, StepKind::ForEach { .. }) && field != "kind.over" => {}
        (Some("item"), _) => check.at(step, i, field, "`item` exists only in a forEach step's input".into()),
        (Some("context"), Some(_)) => {}
        (Some(root @ ("inputs" | "steps" | "context")), None) => {
            check.at(step, i, field, format!("name one of `{root}`: e.g. `{root}.<name>`"))
        }
        _ => check.at(
            step,
            i,
            field,
            format!("`{name}` is not an input, a step's output, the run's context or a forEach item"),
        ),
    }
}

/// The rules of one step's kind, agent, capability and task type.
fn check_step(check: &mut Check, step: &Step, i: usize, ids: &HashMap<&str, usize>, catalog: &Catalog) {
    let within = |check: &mut Check, field: &str, value: u32, range: std::ops::RangeInclusive<u32>, unit: &str| {
        if !range.contains(&value) {
            let unit = if unit.is_empty() {
                String::new()
            } else {
                format!(" {unit}")
            };
            let (lo, hi) = range.into_inner();
            check.at(step, i, field, format!("expected {lo} to {hi}{unit}, found {value}"));
        }
    };
    match &step.kind {
        StepKind::Task | StepKind::ForEach { .. } => {}
        StepKind::Collaborative { agents, .. } => within(check, "kind.agents", *agents, 2..=MAX_AGENTS, "agents"),
        StepKind::Swarm { agents, rounds } => {
            within(check, "kind.agents", *agents, 2..=MAX_AGENTS, "agents");
            within(check, "kind.rounds", *rounds, 1..=MAX_ROUNDS, "rounds");
        }
        StepKind::Hierarchical { max_steps, max_depth } => {
            within(check, "kind.maxSteps", *max_steps, 1..=MAX_PLANNED, "");
            within(check, "kind.maxDepth", *max_depth, 1..=MAX_DEPTH, "");
        }
        StepKind::Approval { approvals, timeout_ms } => {
            within(check, "kind.approvals", *approvals, 1..=10, "approvals");
            if *timeout_ms == 0 || *timeout_ms > MAX_APPROVAL_TIMEOUT_MS {
                check.at(
                    step,
                    i,
                    "kind.timeoutMs",
                    format!("expected 1 to {MAX_APPROVAL_TIMEOUT_MS} ms (a week), found {timeout_ms}"),
                );
            }
            for (field, set) in [
                ("agent", step.agent.is_some()),
                ("capability", step.capability.is_some()),
                ("taskType", step.task_type.is_some()),
            ] {
                if set {
                    check.at(
                        step,
                        i,
                        field,
                        "an approval waits for a person; it names no agent or task".into(),
                    );
                }
            }
        }
    }
    for (s, share) in step.share.iter().enumerate() {
        if !is_id(&share.key, true) || share.key.contains('-') {
            check.at(
                step,
                i,
                &format!("share[{s}].key"),
                format!("expected a name of letters, digits and `_`, found `{}`", share.key),
            );
        }
    }
    if let Some(retry) = &step.retry {
        within(check, "retry.attempts", retry.attempts, 1..=MAX_ATTEMPTS, "");
    }
    if let Some(ms) = step.timeout_ms {
        if ms == 0 || ms > MAX_STEP_TIMEOUT_MS {
            check.at(
                step,
                i,
                "timeoutMs",
                format!("expected 1 to {MAX_STEP_TIMEOUT_MS} ms (a day), found {ms}"),
            );
        }
    }
    if let OnError::Fallback(target) = &step.on_error {
        if target == &step.id {
            check.at(step, i, "onError.fallback", "a step cannot be its own fallback".into());
        } else if !ids.contains_key(target.as_str()) {
            check.at(step, i, "onError.fallback", format!("no step `{target}`"));
        }
    }
    if step.kind.runs_tasks() {
        check_worker(check, step, i, catalog);
    }
}

/// Who runs a task step: a named agent, or any with a capability; and the
/// task type it must offer.
fn check_worker(check: &mut Check, step: &Step, i: usize, catalog: &Catalog) {
    let Some(task_type) = step.task_type.as_deref().filter(|t| !t.trim().is_empty()) else {
        check.at(
            step,
            i,
            "taskType",
            "expected the task type the agent offers, e.g. `echo`".into(),
        );
        return;
    };
    match (&step.agent, &step.capability) {
        (None, None) => check.at(step, i, "agent", "expected an agent or a capability".into()),
        (Some(id), capability) => {
            let Some(entry) = catalog.get(id) else {
                check.at(step, i, "agent", format!("no agent {id} in the catalog"));
                return;
            };
            if let Some(cap) = capability {
                if !entry.manifest.capabilities.contains(cap) {
                    check.at(step, i, "capability", format!("{id} has no capability `{cap}`"));
                }
            }
            if !entry.manifest.knows_task_type(task_type) {
                check.at(
                    step,
                    i,
                    "taskType",
                    format!(
                        "{id} has no task type `{task_type}`; it knows {}",
                        entry.manifest.task_type_names().join(", ")
                    ),
                );
            }
        }
        (None, Some(cap)) => {
            let with: Vec<_> = catalog.with_capability(cap);
            if with.is_empty() {
                check.at(
                    step,
                    i,
                    "capability",
                    format!("no agent in the catalog has capability `{cap}`"),
                );
            } else if !with.iter().any(|e| e.manifest.knows_task_type(task_type)) {
                check.at(
                    step,
                    i,
                    "taskType",
                    format!("no agent with capability `{cap}` has task type `{task_type}`"),
                );
            }
        }
    }
}
