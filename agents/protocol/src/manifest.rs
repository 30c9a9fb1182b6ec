//! The agent manifest: one TOML file per agent, the single source of what an
//! agent is (identity, port, capabilities, model, limits, dependencies) and
//! what it can do (task types with a prompt template or a built-in tool).
//!
//! [`Manifest::from_toml`] parses and validates one file; every problem names
//! the field path and what was expected. Checks across manifests (unique ids
//! and ports, dependencies that exist, no cycles) belong to the catalog.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One agent's definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// `AG-` and three digits, e.g. `AG-017`.
    pub id: String,
    /// Kebab-case name, unique in the catalog, e.g. `adversarial-attack-detector`.
    pub name: String,
    /// A title for people.
    pub title: String,
    /// Deployment phase: 1 (critical orchestration), 2 (specialised), 3 (auxiliary).
    pub phase: u8,
    pub kind: Kind,
    /// The port the agent serves on, unique in the catalog (10300 and up).
    pub port: u16,
    /// What the agent is for, in one or two sentences.
    pub purpose: String,
    /// What the router matches tasks against (snake_case words).
    pub capabilities: Vec<String>,
    /// Agents (by id) that must be healthy before this one starts.
    #[serde(default)]
    pub dependencies: Vec<String>,
    pub model: ModelChoice,
    pub resources: Resources,
    /// Task types by name (snake_case).
    pub tasks: BTreeMap<String, TaskType>,
}

/// The agent's family, for grouping and filtering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Orchestration,
    Development,
    Quality,
    Security,
    Infrastructure,
    MachineLearning,
    Analytics,
    Automation,
    Knowledge,
    Governance,
}

/// The Ollama models the agent thinks with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ModelChoice {
    /// Tried first, e.g. `tinyllama:latest`.
    pub preferred: String,
    /// Used when the preferred model is not installed.
    pub fallback: String,
}

/// Container limits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Resources {
    /// Memory limit in MiB (32..=16384).
    pub memory_mb: u32,
    /// CPU limit in cores (0.05..=16).
    pub cpus: f32,
    /// Process/thread limit (8..=4096).
    pub pids: u32,
}

/// One kind of task the agent accepts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskType {
    pub description: String,
    /// How the answer is post-processed.
    pub output: OutputKind,
    /// A system prompt for the model (only with `prompt`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    /// A minijinja template rendered with `payload` (the task's JSON payload).
    /// Exactly one of `prompt` and `tool`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    /// A deterministic built-in tool that runs instead of the model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<Tool>,
}

/// How an answer is post-processed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OutputKind {
    /// As the model said it.
    Text,
    /// One JSON value, validated (a fenced ```json block is unwrapped).
    Json,
    /// Fenced code blocks extracted and syntax-checked.
    Code,
}

/// Deterministic work done without a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Tool {
    /// Scans `payload.text` for injection patterns; risk score and action.
    InjectionScan,
    /// Extracts fenced code blocks from `payload.text` and checks their syntax.
    CodeCheck,
    /// Validates `payload.text` as JSON.
    JsonValidate,
    /// Answers the payload as it came, without a model: the built-in `echo`
    /// task type, for checking (and measuring) the way from hub to agent.
    /// Not for manifests (they cannot name it).
    #[serde(skip_deserializing)]
    #[schemars(skip)]
    Echo,
}

/// The task type every agent has, whatever its manifest says.
pub const ECHO_TASK: &str = "echo";

/// One problem in a manifest: where, and what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field path, e.g. `tasks.review.output`; empty for the whole file.
    pub path: String,
    pub problem: String,
    /// 1-based line, when the parser knows it.
    pub line: Option<usize>,
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let path = if self.path.is_empty() { "(file)" } else { &self.path };
        write!(f, "`{path}`: {}", self.problem)?;
        if let Some(line) = self.line {
            write!(f, " (line {line})")?;
        }
        Ok(())
    }
}

/// Everything wrong with one manifest file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestError {
    pub file: String,
    pub errors: Vec<FieldError>,
}

impl std::fmt::Display for ManifestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, err) in self.errors.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{}: {err}", self.file)?;
        }
        Ok(())
    }
}

impl std::error::Error for ManifestError {}

impl Manifest {
    /// Parses and validates one manifest. `file` names it in errors.
    pub fn from_toml(file: &str, text: &str) -> Result<Manifest, ManifestError> {
        let fail = |errors| ManifestError {
            file: file.to_string(),
            errors,
        };
        let deserializer = match toml::Deserializer::parse(text) {
            Ok(d) => d,
            Err(err) => return Err(fail(vec![toml_error(String::new(), &err, text)])),
        };
        let manifest: Manifest = serde_path_to_error::deserialize(deserializer).map_err(|err| {
            let path = err.path().to_string();
            let path = if path == "." { String::new() } else { path };
            fail(vec![toml_error(path, err.inner(), text)])
        })?;
        let errors = manifest.validate();
        if errors.is_empty() {
            Ok(manifest)
        } else {
            Err(fail(errors))
        }
    }

    /// Checks one manifest on its own; an empty list means valid.
    pub fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let mut bad = |path: &str, problem: String| {
            errors.push(FieldError {
                path: path.to_string(),
                problem,
                line: None,
            });
        };
        if !is_agent_id(&self.id) {
            bad(
                "id",
                format!("expected `AG-` and three digits, e.g. AG-001, found `{}`", self.id),
            );
        }
        if !is_kebab(&self.name) {
            bad(
                "name",
                format!("expected kebab-case (a-z, 0-9, -), found `{}`", self.name),
            );
        }
        if self.title.trim().is_empty() {
            bad("title", "expected a non-empty title".into());
        }
        if self.purpose.trim().is_empty() {
            bad("purpose", "expected a non-empty purpose".into());
        }
        if !(1..=3).contains(&self.phase) {
            bad("phase", format!("expected 1, 2 or 3, found {}", self.phase));
        }
        if self.port < 1024 {
            bad(
                "port",
                format!("expected a port from 1024 to 65535, found {}", self.port),
            );
        }
        if self.capabilities.is_empty() {
            bad("capabilities", "expected at least one capability".into());
        }
        for (i, cap) in self.capabilities.iter().enumerate() {
            if !is_snake(cap) {
                bad(
                    &format!("capabilities[{i}]"),
                    format!("expected snake_case, found `{cap}`"),
                );
            } else if self.capabilities[..i].contains(cap) {
                bad(&format!("capabilities[{i}]"), format!("`{cap}` is listed twice"));
            }
        }
        for (i, dep) in self.dependencies.iter().enumerate() {
            if !is_agent_id(dep) {
                bad(
                    &format!("dependencies[{i}]"),
                    format!("expected an agent id such as AG-001, found `{dep}`"),
                );
            } else if *dep == self.id {
                bad(&format!("dependencies[{i}]"), "an agent cannot depend on itself".into());
            }
        }
        for (field, name) in [
            ("model.preferred", &self.model.preferred),
            ("model.fallback", &self.model.fallback),
        ] {
            if let Err(problem) = check_model_name(name) {
                bad(field, problem);
            }
        }
        if self.model.preferred == self.model.fallback {
            bad(
                "model.fallback",
                "expected a model different from model.preferred".into(),
            );
        }
        let r = &self.resources;
        if !(32..=16384).contains(&r.memory_mb) {
            bad(
                "resources.memory_mb",
                format!("expected 32 to 16384 MiB, found {}", r.memory_mb),
            );
        }
        if !(0.05..=16.0).contains(&r.cpus) {
            bad("resources.cpus", format!("expected 0.05 to 16 cores, found {}", r.cpus));
        }
        if !(8..=4096).contains(&r.pids) {
            bad("resources.pids", format!("expected 8 to 4096, found {}", r.pids));
        }
        if self.tasks.is_empty() {
            bad("tasks", "expected at least one task type".into());
        }
        for (name, task) in &self.tasks {
            let at = |field: &str| format!("tasks.{name}{field}");
            if !is_snake(name) {
                bad(&at(""), format!("expected a snake_case task type name, found `{name}`"));
            }
            if name == ECHO_TASK {
                bad(
                    &at(""),
                    "`echo` is built into every agent; name this task type otherwise".into(),
                );
            }
            if task.description.trim().is_empty() {
                bad(&at(".description"), "expected a non-empty description".into());
            }
            match (&task.prompt, &task.tool) {
                (Some(_), Some(_)) => bad(&at(""), "expected either `prompt` or `tool`, not both".into()),
                (None, None) => bad(&at(""), "expected a `prompt` template or a built-in `tool`".into()),
                (Some(prompt), None) => {
                    if let Err(problem) = crate::manifest::template::check(prompt) {
                        bad(&at(".prompt"), problem);
                    }
                }
                (None, Some(_)) if task.system.is_some() => {
                    bad(&at(".system"), "a system prompt only applies to a `prompt` task".into());
                }
                (None, Some(_)) => {}
            }
        }
        errors
    }

    /// The task types by name, in order.
    pub fn task_type_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.tasks.keys().cloned().collect();
        if !self.tasks.contains_key(ECHO_TASK) {
            names.push(ECHO_TASK.to_string());
        }
        names
    }

    /// The task type called `name`: the manifest's own, or the built-in
    /// `echo` (a manifest may not redefine it; validation refuses that).
    pub fn task_type(&self, name: &str) -> Option<std::borrow::Cow<'_, TaskType>> {
        if name == ECHO_TASK {
            return Some(std::borrow::Cow::Owned(TaskType {
                description: "Answers the payload as it came (built in, no model).".into(),
                output: OutputKind::Json,
                system: None,
                prompt: None,
                tool: Some(Tool::Echo),
            }));
        }
        self.tasks.get(name).map(std::borrow::Cow::Borrowed)
    }

    /// Whether the agent takes tasks of this type.
    pub fn knows_task_type(&self, name: &str) -> bool {
        name == ECHO_TASK || self.tasks.contains_key(name)
    }
}

fn toml_error(path: String, err: &toml::de::Error, text: &str) -> FieldError {
    let line = err
        .span()
        .map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1);
    FieldError {
        path,
        problem: err.message().trim_end().to_string(),
        line,
    }
}

fn is_agent_id(s: &str) -> bool {
    s.len() == 6 && s.starts_with("AG-") && s[3..].bytes().all(|b| b.is_ascii_digit())
}

fn is_kebab(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('-')
        && !s.ends_with('-')
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn is_snake(s: &str) -> bool {
    !s.is_empty()
        && s.as_bytes()[0].is_ascii_lowercase()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// An Ollama model name: `[namespace/]name[:tag]` with letters, digits, `.`,
/// `_` and `-`; nothing that could be a path trick or a URL.
pub fn check_model_name(name: &str) -> Result<(), String> {
    let valid_part = |p: &str| {
        !p.is_empty()
            && !p.starts_with(['.', '-'])
            && p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    };
    let (path, tag) = match name.split_once(':') {
        Some((path, tag)) => (path, Some(tag)),
        None => (name, None),
    };
    let parts: Vec<&str> = path.split('/').collect();
    let ok = name.len() <= 200
        && parts.len() <= 3
        && parts.iter().all(|p| valid_part(p))
        && tag.is_none_or(valid_part)
        && !name.contains("..");
    if ok {
        Ok(())
    } else {
        Err(format!(
            "expected an Ollama model name such as `llama3.2:1b`, found `{name}`"
        ))
    }
}

pub mod template {
    //! Prompt templates: minijinja with one variable, `payload`. A field used
    //! plainly is required; optional ones are guarded with `is defined`.

    use minijinja::value::{Kwargs, Value};
    use minijinja::{Environment, Error, ErrorKind, UndefinedBehavior};

    fn environment() -> Environment<'static> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_keep_trailing_newline(false);
        // The built-in `tojson` prints a missing field as `null` even in
        // strict mode; a field used through it is as required as any other.
        env.add_filter("tojson", |value: &Value, indent: Option<Value>, args: Kwargs| {
            if value.is_undefined() {
                return Err(Error::new(
                    ErrorKind::UndefinedError,
                    "a field passed to `tojson` is missing",
                ));
            }
            minijinja::filters::tojson(value, indent, args)
        });
        env
    }

    /// Checks that a template compiles.
    pub fn check(template: &str) -> Result<(), String> {
        environment()
            .template_from_str(template)
            .map(|_| ())
            .map_err(|err| format!("template does not compile: {err:#}"))
    }

    /// The payload fields a template reads (`payload.<field>`): those it
    /// needs (its rendering fails without them) and those it may use.
    pub fn fields(template: &str) -> (Vec<String>, Vec<String>) {
        let env = environment();
        let Ok(tmpl) = env.template_from_str(template) else {
            return (Vec::new(), Vec::new());
        };
        let mut read: Vec<String> = tmpl
            .undeclared_variables(true)
            .into_iter()
            .filter_map(|name| {
                name.strip_prefix("payload.")
                    .map(|f| f.split('.').next().unwrap_or(f).to_string())
            })
            .collect();
        read.sort();
        read.dedup();
        // A field is needed when the template fails without it, every
        // other one given.
        let (mut needed, mut optional) = (Vec::new(), Vec::new());
        for field in &read {
            let others: serde_json::Map<String, serde_json::Value> = read
                .iter()
                .filter(|f| *f != field)
                .map(|f| (f.clone(), serde_json::Value::String("x".into())))
                .collect();
            let without = tmpl.render(minijinja::context! { payload => serde_json::Value::Object(others) });
            match without {
                Err(err) if err.kind() == ErrorKind::UndefinedError => needed.push(field.clone()),
                _ => optional.push(field.clone()),
            }
        }
        (needed, optional)
    }

    /// Renders a template with the task's payload. A missing required field
    /// is an error that names it.
    pub fn render(template: &str, payload: &serde_json::Value) -> Result<String, String> {
        let env = environment();
        let tmpl = env
            .template_from_str(template)
            .map_err(|err| format!("template does not compile: {err:#}"))?;
        tmpl.render(minijinja::context! { payload => payload })
            .map(|s| s.trim().to_string())
            .map_err(|err| {
                let detail = err.detail().map(|d| format!(": {d}")).unwrap_or_default();
                match err.kind() {
                    minijinja::ErrorKind::UndefinedError => {
                        format!(
                            "the payload lacks a field the prompt needs{detail} (line {})",
                            err.line().unwrap_or(0)
                        )
                    }
                    _ => format!("cannot render the prompt: {err}{detail}"),
                }
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
id = "AG-001"
name = "agentzero-coordinator"
title = "AgentZero Coordinator"
phase = 1
kind = "orchestration"
port = 10300
purpose = "Master orchestration."
capabilities = ["orchestration", "task_decomposition"]
dependencies = []

[model]
preferred = "tinyllama:latest"
fallback = "qwen2.5:0.5b"

[resources]
memory_mb = 256
cpus = 0.5
pids = 64

[tasks.decompose]
description = "Break a goal into sub-tasks."
output = "json"
prompt = """
Goal: {{ payload.goal }}
{% if payload.constraints is defined %}Constraints: {{ payload.constraints }}{% endif %}
"""

[tasks.scan]
description = "Scan."
output = "json"
tool = "injection_scan"
"#;

    #[test]
    fn a_good_manifest_loads() {
        let m = Manifest::from_toml("AG-001.toml", GOOD).unwrap();
        assert_eq!(m.id, "AG-001");
        assert_eq!(m.kind, Kind::Orchestration);
        assert_eq!(m.task_type_names(), ["decompose", "scan", "echo"], "echo is built in");
        assert!(m.knows_task_type("echo") && !m.knows_task_type("nope"));
        assert_eq!(m.tasks["scan"].tool, Some(Tool::InjectionScan));
    }

    /// One row per field: a replacement of one line of GOOD, the path the
    /// error must name and words it must contain.
    #[test]
    fn every_field_error_names_the_file_the_path_and_what_was_expected() {
        let cases: &[(&str, &str, &str, &str)] = &[
            ("[tasks.scan]", "[tasks.echo]", "tasks.echo", "built into every agent"),
            (
                "tool = \"injection_scan\"",
                "tool = \"echo\"",
                "tasks.scan.tool",
                "unknown variant `echo`",
            ),
            (
                "id = \"AG-001\"",
                "id = \"agent-1\"",
                "id",
                "expected `AG-` and three digits",
            ),
            (
                "id = \"AG-001\"",
                "id = 1",
                "id",
                "invalid type: integer `1`, expected a string",
            ),
            (
                "name = \"agentzero-coordinator\"",
                "name = \"Agent Zero\"",
                "name",
                "expected kebab-case",
            ),
            (
                "title = \"AgentZero Coordinator\"",
                "title = \" \"",
                "title",
                "non-empty title",
            ),
            ("phase = 1", "phase = 4", "phase", "expected 1, 2 or 3"),
            ("phase = 1", "phase = -1", "phase", "invalid value"),
            (
                "kind = \"orchestration\"",
                "kind = \"wizardry\"",
                "kind",
                "unknown variant `wizardry`",
            ),
            ("port = 10300", "port = 80", "port", "expected a port from 1024"),
            ("port = 10300", "port = 70000", "port", "invalid value"),
            (
                "purpose = \"Master orchestration.\"",
                "purpose = \"\"",
                "purpose",
                "non-empty purpose",
            ),
            (
                "capabilities = [\"orchestration\", \"task_decomposition\"]",
                "capabilities = []",
                "capabilities",
                "at least one",
            ),
            (
                "capabilities = [\"orchestration\", \"task_decomposition\"]",
                "capabilities = [\"orchestration\", \"Task Decomposition\"]",
                "capabilities[1]",
                "expected snake_case",
            ),
            (
                "dependencies = []",
                "dependencies = [\"AG-001\"]",
                "dependencies[0]",
                "cannot depend on itself",
            ),
            (
                "dependencies = []",
                "dependencies = [\"zero\"]",
                "dependencies[0]",
                "expected an agent id",
            ),
            (
                "preferred = \"tinyllama:latest\"",
                "preferred = \"../../etc/passwd\"",
                "model.preferred",
                "Ollama model name",
            ),
            (
                "fallback = \"qwen2.5:0.5b\"",
                "fallback = \"tinyllama:latest\"",
                "model.fallback",
                "different from",
            ),
            (
                "fallback = \"qwen2.5:0.5b\"",
                "fallbak = \"qwen2.5:0.5b\"",
                "model.fallbak",
                "unknown field `fallbak`",
            ),
            (
                "memory_mb = 256",
                "memory_mb = 4",
                "resources.memory_mb",
                "expected 32 to 16384",
            ),
            (
                "memory_mb = 256",
                "memory_mb = \"256MB\"",
                "resources.memory_mb",
                "expected u32",
            ),
            ("cpus = 0.5", "cpus = 64.0", "resources.cpus", "expected 0.05 to 16"),
            ("pids = 64", "pids = 2", "resources.pids", "expected 8 to 4096"),
            (
                "output = \"json\"\nprompt",
                "output = \"xml\"\nprompt",
                "tasks.decompose.output",
                "unknown variant `xml`",
            ),
            (
                "tool = \"injection_scan\"",
                "tool = \"magic\"",
                "tasks.scan.tool",
                "unknown variant `magic`",
            ),
            (
                "tool = \"injection_scan\"",
                "",
                "tasks.scan",
                "expected a `prompt` template or a built-in `tool`",
            ),
            (
                "tool = \"injection_scan\"",
                "tool = \"injection_scan\"\nprompt = \"x\"",
                "tasks.scan",
                "not both",
            ),
            (
                "tool = \"injection_scan\"",
                "tool = \"code_check\"\nsystem = \"x\"",
                "tasks.scan.system",
                "only applies",
            ),
            (
                "Goal: {{ payload.goal }}",
                "Goal: {{ payload.goal }",
                "tasks.decompose.prompt",
                "does not compile",
            ),
            (
                "description = \"Scan.\"",
                "description = \"Scan.\"\nflavour = 1",
                "tasks.scan.flavour",
                "unknown field `flavour`",
            ),
            ("[tasks.scan]", "[tasks.Scan]", "tasks.Scan", "snake_case task type"),
        ];
        for (from, to, path, words) in cases {
            assert!(GOOD.contains(from), "{from}");
            let text = GOOD.replacen(from, to, 1);
            let err = Manifest::from_toml("phase-1/AG-001.toml", &text).expect_err(to);
            let hit = err.errors.iter().find(|e| e.path == *path);
            let Some(hit) = hit else {
                panic!("{to}: no error at `{path}`: {err}")
            };
            assert!(hit.problem.contains(words), "{to}: {}", hit.problem);
            assert!(err.to_string().starts_with("phase-1/AG-001.toml: "), "{err}");
        }
    }

    #[test]
    fn a_file_that_is_not_toml_says_where() {
        let err = Manifest::from_toml("x.toml", "id = \"AG-001\"\nname = = 2\n").unwrap_err();
        assert_eq!(err.errors[0].line, Some(2), "{err}");
        assert!(err.to_string().starts_with("x.toml: `(file)`: "), "{err}");
    }

    #[test]
    fn missing_fields_are_named() {
        let err = Manifest::from_toml("x.toml", "id = \"AG-001\"\n").unwrap_err();
        assert!(err.errors[0].problem.contains("missing field"), "{err}");
    }

    #[test]
    fn model_names() {
        for ok in [
            "llama3.2:1b",
            "tinyllama:latest",
            "library/qwen2.5-coder:1.5b",
            "hf.co/org/model:Q4_K_M",
        ] {
            assert!(check_model_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "a b",
            "../x",
            "x/../y",
            "http://evil/x",
            "x:",
            ":tag",
            "a/b/c/d",
            ".hidden",
        ] {
            assert!(check_model_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn rendering_requires_the_fields_the_prompt_uses() {
        let m = Manifest::from_toml("AG-001.toml", GOOD).unwrap();
        let prompt = m.tasks["decompose"].prompt.as_deref().unwrap();
        let out = template::render(prompt, &serde_json::json!({"goal": "ship v1"})).unwrap();
        assert_eq!(out, "Goal: ship v1");
        let out = template::render(prompt, &serde_json::json!({"goal": "g", "constraints": "no cloud"})).unwrap();
        assert_eq!(out, "Goal: g\nConstraints: no cloud");
        let err = template::render(prompt, &serde_json::json!({"title": "x"})).unwrap_err();
        assert!(err.contains("lacks a field"), "{err}");
        // A field used only through `tojson` is required too.
        let err = template::render("Data: {{ payload.rows | tojson }}", &serde_json::json!({})).unwrap_err();
        assert!(err.contains("lacks a field") && err.contains("tojson"), "{err}");
        let out = template::render("{{ payload.rows | tojson }}", &serde_json::json!({"rows": [1]})).unwrap();
        assert_eq!(out, "[1]");
    }
}

/// The manifest's JSON Schema (for editors), generated from these types.
pub fn json_schema() -> String {
    schema_text::<Manifest>()
}

/// The JSON Schema of `T` as a committed file holds it: pretty, with a
/// final newline.
pub fn schema_text<T: schemars::JsonSchema>() -> String {
    let schema = schemars::schema_for!(T);
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod schema_tests {
    /// `agents/catalog/manifest.schema.json` is committed for editors (e.g.
    /// Taplo: `#:schema ../manifest.schema.json`); it must match the types.
    /// Regenerate: UPDATE_SCHEMA=1 cargo test -p sutazai-protocol schema
    #[test]
    fn the_shipped_schema_is_fresh() {
        // At run time: a test binary may have been built in another clone.
        let path = std::path::PathBuf::from(
            std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into()),
        )
        .join("../catalog/manifest.schema.json");
        let want = super::json_schema();
        if std::env::var_os("UPDATE_SCHEMA").is_some() {
            std::fs::write(&path, &want).unwrap();
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            have == want,
            "{} is stale; regenerate with `UPDATE_SCHEMA=1 cargo test -p sutazai-protocol schema`",
            path.display()
        );
        let schema: serde_json::Value = serde_json::from_str(&have).unwrap();
        assert_eq!(schema["title"], "Manifest");
        assert!(schema["properties"]["tasks"].is_object());
    }
}

#[cfg(test)]
mod template_tests {
    use super::template::fields;

    #[test]
    fn a_prompt_needs_the_fields_it_uses_plainly() {
        let prompt =
            "Spec: {{ payload.spec }}\n{% if payload.framework is defined %}{{ payload.framework }}{% endif %}\
                      {{ payload.language | default(\"python\") }} {{ payload.items | tojson }}";
        let (needed, optional) = fields(prompt);
        assert_eq!(needed, ["items", "spec"]);
        assert_eq!(optional, ["framework", "language"]);
        assert_eq!(fields("no fields"), (vec![], vec![]));
    }
}
