//! Every endpoint in one table: its method, path, handler, who may call it
//! and how the OpenAPI document describes it. The router and the document
//! are both built from this table, so neither can miss an endpoint.

use axum::http::Method;
use axum::Json;
use schemars::JsonSchema;
use serde_json::Value;
use sutazai_engine::metrics::MetricsReading;
use sutazai_engine::orchestrator::model::{NewTask, Task, TaskPage};
use sutazai_engine::runs::model::{NewRun, Run};
use sutazai_engine::runs::preflight::Warning;
use sutazai_engine::runs::RunPage;
use sutazai_engine::security::audit::AuditEntry;
use sutazai_engine::security::keys::{ApiKeyInfo, CreatedKey};
use sutazai_engine::security::threats::Threat;
use sutazai_engine::security::Action;
use sutazai_engine::workflow::files::{Naming, Template};
use sutazai_engine::workflow::model::Workflow;
use sutazai_engine::workflow::versions::{Change, Draft, VersionInfo};
use sutazai_engine::workflow::{Definition, SavedVersion, WorkflowProblem};

use crate::agents::AgentFilter;
use crate::endpoint::{doc, endpoint, query, schema, Answer, Doc, Endpoint, Verb};
use crate::health::Health;
use crate::keys::{AuditParams, NewKey};
use crate::metrics_query::{ChartParams, QueryParams};
use crate::seed::SeedTask;
use crate::tasks::{ListParams, SubmitParams};
use crate::threats::ThreatParams;
use crate::workflows::{Deleted, DiffParams, Note, Rerun, RunParams, SaveParams, StartParams};
use crate::{
    agents, alerts, events, fleet, gateway, health, keys, metrics, metrics_query, models, openapi, system, tasks,
    threats, workflow_files, workflows,
};
use sutazai_engine::alerts::model::{Alert, AlertNotice, AlertQuery, AlertRules, Silence};
use sutazai_engine::alerts::rules::Rule;
use sutazai_engine::engine::{Chart, ChartRequest, MetricsCatalog};
use sutazai_engine::fleet::model::AgentRow;
use sutazai_engine::security::container_audit::ContainerAudit;

/// The OpenAPI document of [`endpoints`].
async fn openapi_json() -> Json<Value> {
    Json(openapi::document(&endpoints()))
}

/// Every endpoint of the API.
pub fn endpoints() -> Vec<Endpoint> {
    use Action as A;
    use Verb::{Delete, Get, Post, Put};
    let mut all = vec![
        endpoint(
            Get,
            "/v1/health",
            health::show,
            doc(
                "The engine's health: Docker and Ollama reachable, tasks queued and running, breakers",
                &[A::ReadHealth],
                Answer::Json(200, schema::<Health>),
            ),
        )
        .for_agents(),
        endpoint(
            Post,
            "/v1/tasks",
            tasks::submit,
            Doc {
                query: Some(query::<SubmitParams>),
                body: Some(schema::<SubmitBody>),
                ..doc(
                    "Submits a task (the engine's shape or seed 001's); 202 with the task, or 200 once it ended \
                     within `wait`. The answer leaves out `route` (GET the task for its routing decision). \
                     Seed 001's `pipeline`, `collaborative`, `hierarchical` and `swarm` tasks start a workflow \
                     run instead: 202 with `runId` (and `session_id`) and its `location`. \
                     A service token may only submit sub-tasks (`parentTaskId`). The payload passes the \
                     threat gate first: 422 `threat_blocked` names the patterns and the score; an input held \
                     for a person's approval answers 202 with `{status: held, threatId, message}`",
                    &[A::SubmitTasks, A::Delegate],
                    Answer::Json(202, schema::<Task>),
                )
            },
        )
        .for_agents(),
        endpoint(
            Get,
            "/v1/tasks",
            tasks::list,
            Doc {
                query: Some(query::<ListParams>),
                ..doc(
                    "One page of tasks, newest first, with totals per status",
                    &[A::ReadTasks],
                    Answer::Json(200, schema::<TaskPage>),
                )
            },
        ),
        endpoint(
            Get,
            "/v1/tasks/{id}",
            tasks::get,
            doc(
                "A task, whole: attempts, routing decision, result or error",
                &[A::ReadTasks],
                Answer::Json(200, schema::<Task>),
            ),
        ),
        endpoint(
            Delete,
            "/v1/tasks/{id}",
            tasks::cancel,
            doc(
                "Cancels a queued or running task; 409 when it has ended",
                &[A::CancelTasks],
                Answer::Json(200, schema::<Task>),
            ),
        ),
        endpoint(
            Post,
            "/v1/tasks/{id}/requeue",
            tasks::requeue,
            doc(
                "Queues a dead, failed or cancelled task again",
                &[A::SubmitTasks],
                Answer::Json(200, schema::<Task>),
            ),
        ),
        endpoint(
            Get,
            "/v1/agents",
            agents::list,
            Doc {
                query: Some(query::<AgentFilter>),
                ..doc(
                    "Every catalog agent with its container's live status; seed 001's filters `status` \
                     (comma-separated), `capability` and `phase`",
                    &[A::ReadAgents],
                    Answer::Json(200, schema::<Vec<AgentRow>>),
                )
            },
        ),
        endpoint(
            Get,
            "/v1/agents/{id}",
            agents::get,
            doc(
                "One agent (`AG-001`) with its container's live status",
                &[A::ReadAgents],
                Answer::Json(200, schema::<AgentRow>),
            ),
        ),
        endpoint(
            Get,
            "/v1/events",
            events::stream,
            doc(
                "Server-sent events: `task` (a task changed), `agent` (the fleet changed), `run` (a run changed), \
                 `step` (a step of a run changed), `workflow` (definition files changed), `lagged`",
                &[A::ReadEvents],
                Answer::EventStream,
            ),
        ),
        endpoint(
            Get,
            "/v1/openapi.json",
            openapi_json,
            doc(
                "This document",
                &[A::ReadHealth],
                Answer::Json(200, openapi::any_object),
            ),
        ),
        endpoint(
            Get,
            "/v1/keys",
            keys::list,
            doc(
                "Every API key, newest first (never the key itself)",
                &[A::ManageKeys],
                Answer::Json(200, schema::<Vec<ApiKeyInfo>>),
            ),
        ),
        endpoint(
            Post,
            "/v1/keys",
            keys::create,
            Doc {
                body: Some(schema::<NewKey>),
                ..doc(
                    "Makes an API key; the answer is the only time the key is shown",
                    &[A::ManageKeys],
                    Answer::Json(201, schema::<CreatedKey>),
                )
            },
        ),
        endpoint(
            Delete,
            "/v1/keys/{id}",
            keys::revoke,
            doc(
                "Revokes an API key",
                &[A::ManageKeys],
                Answer::Json(200, schema::<ApiKeyInfo>),
            ),
        ),
        endpoint(
            Get,
            "/v1/audit",
            keys::audit,
            Doc {
                query: Some(query::<AuditParams>),
                ..doc(
                    "The newest entries of the audit log of control actions",
                    &[A::ReadAudit],
                    Answer::Json(200, schema::<Vec<AuditEntry>>),
                )
            },
        ),
        endpoint(
            Get,
            "/v1/threats",
            threats::list,
            Doc {
                query: Some(query::<ThreatParams>),
                ..doc(
                    "The newest inputs the threat gate refused (`blocked`) or held for a person's approval \
                     (`held`, then `approved` or `rejected`), newest first",
                    &[A::ReadAudit],
                    Answer::Json(200, schema::<Vec<Threat>>),
                )
            },
        ),
        endpoint(
            Post,
            "/v1/threats/{id}/approve",
            threats::approve,
            doc(
                "Approves a held input: it is submitted as its submitter would have, past the gate, and \
                 `resultId` names the task or run; 409 when it is not held",
                &[A::Approve],
                Answer::Json(200, schema::<Threat>),
            ),
        ),
        endpoint(
            Post,
            "/v1/threats/{id}/reject",
            threats::reject,
            doc(
                "Rejects a held input: nothing is submitted; 409 when it is not held",
                &[A::Approve],
                Answer::Json(200, schema::<Threat>),
            ),
        ),
        endpoint(
            Get,
            "/metrics",
            metrics::scrape,
            doc(
                "Every metric in Prometheus's text format 0.0.4 (`text/plain; version=0.0.4`), as of the last \
                 second: counters since the app started, gauges, latency histograms in seconds. For a \
                 Prometheus scrape, with an analyst key as its bearer token (`authorization: {type: Bearer, \
                 credentials: <key>}` in the scrape config)",
                &[A::ReadMetrics],
                Answer::Text(metrics::CONTENT_TYPE),
            ),
        ),
        endpoint(
            Get,
            "/v1/audit/export",
            alerts::audit_csv,
            Doc {
                query: Some(query::<AuditParams>),
                ..doc(
                    "The newest entries of the audit log as CSV (RFC 4180; times in ms since the epoch)",
                    &[A::ReadAudit],
                    Answer::Text(alerts::CSV),
                )
            },
        ),
        endpoint(
            Get,
            "/v1/containers/audit",
            alerts::containers,
            doc(
                "The CIS Docker Benchmark v1.6 §5 checks on every container of the Docker engine (the app's \
                 first, then others), each warning with what to fix",
                &[A::ReadAlerts],
                Answer::Json(200, schema::<Vec<ContainerAudit>>),
            ),
        ),
        endpoint(
            Get,
            "/v1/alerts",
            alerts::list,
            Doc {
                query: Some(query::<AlertQuery>),
                ..doc(
                    "The alerts kept, newest first: by state (open, unacknowledged, resolved), severity, \
                     subject, and words in their name, rule, subject or detail",
                    &[A::ReadAlerts],
                    Answer::Json(200, schema::<Vec<Alert>>),
                )
            },
        ),
        endpoint(
            Post,
            "/v1/alerts/{id}/ack",
            alerts::ack,
            doc(
                "Acknowledges an alert; the alert as it is then",
                &[A::ManageAlerts],
                Answer::Json(200, schema::<Alert>),
            ),
        ),
        endpoint(
            Post,
            "/v1/alerts/silence",
            alerts::silence,
            Doc {
                body: Some(schema::<alerts::NewSilence>),
                ..doc(
                    "Silences an alert by fingerprint: no notification for it until the silence ends",
                    &[A::ManageAlerts],
                    Answer::Json(200, schema::<Silence>),
                )
            },
        ),
        endpoint(
            Get,
            "/v1/alerts/silences",
            alerts::silences,
            doc(
                "The silences in force",
                &[A::ReadAlerts],
                Answer::Json(200, schema::<Vec<Silence>>),
            ),
        ),
        endpoint(
            Delete,
            "/v1/alerts/silences/{fingerprint}",
            alerts::unsilence,
            doc(
                "Ends the silence of a fingerprint (URL-encoded); 404 when it is not silenced",
                &[A::ManageAlerts],
                Answer::Json(200, openapi::any_object),
            ),
        ),
        endpoint(
            Get,
            "/v1/alerts/notices",
            alerts::notices,
            Doc {
                query: Some(query::<alerts::NoticeParams>),
                ..doc(
                    "The desktop notifications sent, newest first",
                    &[A::ReadAlerts],
                    Answer::Json(200, schema::<Vec<AlertNotice>>),
                )
            },
        ),
        endpoint(
            Get,
            "/v1/alert-rules",
            alerts::rules,
            doc(
                "The alert rules in force, and as shipped",
                &[A::ReadAlerts],
                Answer::Json(200, schema::<AlertRules>),
            ),
        ),
        endpoint(
            Put,
            "/v1/alert-rules/{id}",
            alerts::set_rule,
            Doc {
                body: Some(schema::<Rule>),
                ..doc(
                    "Replaces a rule with an edited version, checked first (400 names the field)",
                    &[A::ManageAlerts],
                    Answer::Json(200, schema::<Rule>),
                )
            },
        ),
        endpoint(
            Delete,
            "/v1/alert-rules/{id}",
            alerts::reset_rule,
            doc(
                "Puts a rule back to its default; the default",
                &[A::ManageAlerts],
                Answer::Json(200, schema::<Rule>),
            ),
        ),
    ];
    all.extend(workflow_endpoints());
    all.extend(fleet::endpoints());
    all.extend(models::endpoints());
    all.extend(system::endpoints());
    all.extend(crate::messages::endpoints());
    all
}

/// `/v1/workflows` and `/v1/runs`.
fn workflow_endpoints() -> Vec<Endpoint> {
    use Action as A;
    use Verb::{Delete, Get, Post, Put};
    vec![
        endpoint(
            Get,
            "/v1/workflows",
            workflows::list,
            doc(
                "Every definition in the workflows folder, valid or not, each with its problems",
                &[A::ReadWorkflows],
                Answer::Json(200, schema::<Vec<Definition>>),
            ),
        ),
        endpoint(
            Post,
            "/v1/workflows",
            workflow_files::create,
            Doc {
                body: Some(schema::<Workflow>),
                ..doc(
                    "Saves a new workflow as its first version (continuing the versions of a deleted one of \
                     that id); 409 when a workflow of its id exists",
                    &[A::EditWorkflows],
                    Answer::Json(201, schema::<SavedVersion>),
                )
            },
        ),
        endpoint(
            Get,
            "/v1/workflow-templates",
            workflow_files::templates,
            doc(
                "The workflow templates shipped with the app: id, name, description, steps, inputs",
                &[A::ReadWorkflows],
                Answer::Json(200, schema::<Vec<Template>>),
            ),
        ),
        endpoint(
            Post,
            "/v1/workflow-templates/{id}/create",
            workflow_files::from_template,
            Doc {
                body: Some(schema::<Naming>),
                ..doc(
                    "A new workflow from a shipped template under the id and name given; 409 when the id is taken",
                    &[A::EditWorkflows],
                    Answer::Json(201, schema::<SavedVersion>),
                )
            },
        ),
        endpoint(
            Post,
            "/v1/workflows/{id}/copy",
            workflow_files::copy,
            Doc {
                body: Some(schema::<Naming>),
                ..doc(
                    "A copy of a workflow under a new id and name; 409 when the id is taken",
                    &[A::EditWorkflows],
                    Answer::Json(201, schema::<SavedVersion>),
                )
            },
        ),
        endpoint(
            Post,
            "/v1/workflows/{id}/rename",
            workflow_files::rename,
            Doc {
                body: Some(schema::<Naming>),
                ..doc(
                    "Renames a workflow: its name, and its id and file when the id differs (its versions are \
                     copied to the new id; the old id keeps them for its runs); 409 when the new id is taken",
                    &[A::EditWorkflows],
                    Answer::Json(200, schema::<SavedVersion>),
                )
            },
        ),
        endpoint(
            Get,
            "/v1/workflows/{id}",
            workflows::get,
            doc(
                "One definition, valid or not, with its problems",
                &[A::ReadWorkflows],
                Answer::Json(200, schema::<Definition>),
            ),
        ),
        endpoint(
            Put,
            "/v1/workflows/{id}",
            workflows::save,
            Doc {
                query: Some(query::<SaveParams>),
                body: Some(schema::<Workflow>),
                ..doc(
                    "Saves a definition as a new version (atomically; a definition with problems is saved and \
                     cannot run until they are fixed); 409 when a newer version was saved since `base`",
                    &[A::EditWorkflows],
                    Answer::Json(200, schema::<SavedVersion>),
                )
            },
        ),
        endpoint(
            Delete,
            "/v1/workflows/{id}",
            workflows::delete,
            doc(
                "Removes a definition's file (its versions stay, to restore it); 409 while it has runs under way",
                &[A::EditWorkflows],
                Answer::Json(200, schema::<Deleted>),
            ),
        ),
        endpoint(
            Post,
            "/v1/workflows/validate",
            workflows::validate,
            Doc {
                body: Some(schema::<Workflow>),
                ..doc(
                    "Every problem of a definition, each naming the step and the field path, without saving it",
                    &[A::ReadWorkflows],
                    Answer::Json(200, schema::<Vec<WorkflowProblem>>),
                )
            },
        ),
        endpoint(
            Get,
            "/v1/workflows/{id}/versions",
            workflows::versions,
            doc(
                "Every saved version of a definition, newest first",
                &[A::ReadWorkflows],
                Answer::Json(200, schema::<Vec<VersionInfo>>),
            ),
        ),
        endpoint(
            Get,
            "/v1/workflows/{id}/versions/{version}",
            workflows::version,
            doc(
                "One saved version of a definition (to compare or restore)",
                &[A::ReadWorkflows],
                Answer::Json(200, schema::<Workflow>),
            ),
        ),
        endpoint(
            Get,
            "/v1/workflows/{id}/diff",
            workflows::diff,
            Doc {
                query: Some(query::<DiffParams>),
                ..doc(
                    "What changed from version `from` to version `to`: JSON Patch operations with the value before",
                    &[A::ReadWorkflows],
                    Answer::Json(200, schema::<Vec<Change>>),
                )
            },
        ),
        endpoint(
            Post,
            "/v1/workflows/{id}/versions/{version}/restore",
            workflows::restore,
            doc(
                "Saves an earlier version again as the newest (the file is replaced atomically)",
                &[A::EditWorkflows],
                Answer::Json(200, schema::<SavedVersion>),
            ),
        ),
        endpoint(
            Get,
            "/v1/workflows/{id}/preflight",
            workflows::preflight,
            doc(
                "What would make the steps fail or wait right now (no healthy agent, models not pulled, \
                 Ollama down): warnings that do not block a run",
                &[A::ReadWorkflows],
                Answer::Json(200, schema::<Vec<Warning>>),
            ),
        ),
        endpoint(
            Get,
            "/v1/workflows/{id}/draft",
            workflows::draft,
            doc(
                "The designer's unsaved edit of a workflow, or null",
                &[A::ReadWorkflows],
                Answer::Json(200, schema::<Option<Draft>>),
            ),
        ),
        endpoint(
            Put,
            "/v1/workflows/{id}/draft",
            workflows::save_draft,
            Doc {
                body: Some(schema::<workflows::DraftBody>),
                ..doc(
                    "Keeps an edit as the workflow's draft (the designer does at every change); the draft",
                    &[A::EditWorkflows],
                    Answer::Json(200, schema::<Option<Draft>>),
                )
            },
        ),
        endpoint(
            Delete,
            "/v1/workflows/{id}/draft",
            workflows::discard_draft,
            doc(
                "Throws the workflow's draft away",
                &[A::EditWorkflows],
                Answer::Json(200, schema::<Option<Draft>>),
            ),
        ),
        endpoint(
            Post,
            "/v1/workflows/{id}/runs",
            workflows::start,
            Doc {
                query: Some(query::<StartParams>),
                body: Some(schema::<NewRun>),
                ..doc(
                    "Starts a run of the definition as it is now (that version is pinned); 202 with the run, \
                     or 200 once it ended within `wait`; 422 when the definition has problems. The inputs \
                     pass the threat gate first: 422 `threat_blocked`, or 202 `{status: held, threatId, \
                     message}` for inputs held for a person's approval",
                    &[A::RunWorkflows],
                    Answer::Json(202, schema::<Run>),
                )
            },
        ),
        endpoint(
            Get,
            "/v1/metrics/query",
            metrics_query::query,
            Doc {
                query: Some(query::<QueryParams>),
                ..doc(
                    "Series of the metrics history over a range: for each series one point per step (its \
                     min, max and mean), from the tier the range picks (1 s for a day, 1 min for 30 days, \
                     1 h for a year), and where the app was not running",
                    &[A::ReadMetrics],
                    Answer::Json(200, schema::<MetricsReading>),
                )
            },
        ),
        endpoint(
            Get,
            "/v1/metrics/catalog",
            metrics_query::catalog,
            doc(
                "Every metric, and the agents and models to pick from",
                &[A::ReadMetrics],
                Answer::Json(200, schema::<MetricsCatalog>),
            ),
        ),
        endpoint(
            Post,
            "/v1/metrics/chart",
            metrics_query::chart,
            Doc {
                query: Some(query::<ChartParams>),
                body: Some(schema::<ChartRequest>),
                ..doc(
                    "A chart of the metrics history as the Metrics view draws it (plotters): the SVG, its plot \
                     area, legend and figures; `?format=png`: the PNG the window exports (`image/png`)",
                    &[A::ReadMetrics],
                    Answer::Json(200, schema::<Chart>),
                )
            },
        ),
        endpoint(
            Get,
            "/v1/runs",
            workflows::runs,
            Doc {
                query: Some(query::<RunParams>),
                ..doc(
                    "One page of runs, newest first",
                    &[A::ReadWorkflows],
                    Answer::Json(200, schema::<RunPage>),
                )
            },
        ),
        endpoint(
            Get,
            "/v1/runs/{id}",
            workflows::run,
            doc(
                "A run, whole: its steps with their input, output, tasks, agents and why, timings, tokens, errors",
                &[A::ReadWorkflows],
                Answer::Json(200, schema::<Run>),
            ),
        ),
        endpoint(
            Get,
            "/v1/runs/{id}/definition",
            workflows::definition,
            doc(
                "The definition version the run pinned (draw the run with this graph)",
                &[A::ReadWorkflows],
                Answer::Json(200, schema::<Workflow>),
            ),
        ),
        endpoint(
            Post,
            "/v1/runs/{id}/cancel",
            workflows::cancel,
            doc(
                "Cancels a run and its tasks; 409 when it has ended",
                &[A::RunWorkflows],
                Answer::Json(200, schema::<Run>),
            ),
        ),
        endpoint(
            Post,
            "/v1/runs/{id}/pause",
            workflows::pause,
            doc(
                "Pauses a run: steps under way finish, no new one starts",
                &[A::RunWorkflows],
                Answer::Json(200, schema::<Run>),
            ),
        ),
        endpoint(
            Post,
            "/v1/runs/{id}/resume",
            workflows::resume,
            doc(
                "Resumes a paused run",
                &[A::RunWorkflows],
                Answer::Json(200, schema::<Run>),
            ),
        ),
        endpoint(
            Post,
            "/v1/runs/{id}/rerun",
            workflows::rerun,
            Doc {
                body: Some(schema::<Rerun>),
                ..doc(
                    "Starts a new run from `fromStep`: every step upstream of it keeps its stored output \
                     (no task of it runs again) and the run records the time and tokens saved",
                    &[A::RunWorkflows],
                    Answer::Json(202, schema::<Run>),
                )
            },
        ),
        endpoint(
            Post,
            "/v1/runs/{id}/steps/{step}/approve",
            workflows::approve,
            Doc {
                body: Some(schema::<Note>),
                ..doc(
                    "Approves an approval step that waits (who and when go to the run and the audit log)",
                    &[A::Approve],
                    Answer::Json(200, schema::<Run>),
                )
            },
        ),
        endpoint(
            Post,
            "/v1/runs/{id}/steps/{step}/reject",
            workflows::reject,
            Doc {
                body: Some(schema::<Note>),
                ..doc(
                    "Rejects an approval step that waits: the step fails",
                    &[A::Approve],
                    Answer::Json(200, schema::<Run>),
                )
            },
        ),
    ]
}

/// The LLM gateway's endpoints: Ollama's own paths, which an agent's
/// Ollama URL (the hub) serves. They are routed like the others but left
/// out of the OpenAPI document and of [`routes`]: their requests, answers
/// and errors (`{"error": "…"}`) are Ollama's, documented by Ollama.
pub fn gateway_endpoints() -> Vec<Endpoint> {
    use Verb::{Get, Post};
    let gateway = |summary| doc(summary, &[Action::Gateway], Answer::Json(200, openapi::any_object));
    let endpoints = vec![
        endpoint(
            Post,
            "/api/generate",
            gateway::generate,
            gateway("Ollama's generate, through the gateway (cache, limits, fallback, accounting)"),
        ),
        endpoint(
            Post,
            "/api/chat",
            gateway::chat,
            gateway("Ollama's chat, through the gateway (cache, limits, fallback, accounting)"),
        ),
        endpoint(
            Get,
            "/api/tags",
            gateway::tags,
            gateway("Ollama's installed models, through the gateway"),
        ),
    ];
    endpoints.into_iter().map(Endpoint::for_agents).collect()
}

/// The body of `POST /v1/tasks`: the engine's task or seed 001's.
#[derive(JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)] // only its schema is used; bodies are read by `seed::new_task`
enum SubmitBody {
    Task(NewTask),
    Seed(SeedTask),
}

/// An endpoint as tests and documents see it.
#[derive(Debug, Clone)]
pub struct Route {
    pub method: Method,
    pub path: &'static str,
    /// The caller's role must allow one of these.
    pub actions: &'static [Action],
    /// Served on the agents' surface too.
    pub for_agents: bool,
}

/// Every `/v1` endpoint's method, path and the actions it needs.
pub fn routes() -> Vec<Route> {
    endpoints().into_iter().map(Endpoint::route).collect()
}

/// The LLM gateway's endpoints, as [`routes`] gives the others.
pub fn gateway_routes() -> Vec<Route> {
    gateway_endpoints().into_iter().map(Endpoint::route).collect()
}

impl Endpoint {
    fn route(self) -> Route {
        Route {
            method: self.verb.method(),
            path: self.path,
            actions: self.doc.actions,
            for_agents: self.for_agents,
        }
    }
}
