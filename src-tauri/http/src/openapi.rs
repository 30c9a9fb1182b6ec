//! The OpenAPI 3.1 document served at `/v1/openapi.json`, built from the
//! endpoint table (`routes.rs`), passed in. Its schemas come from the Rust types
//! through schemars (JSON Schema 2020-12, the dialect OpenAPI 3.1 uses), so
//! the document cannot drift from what the handlers read and write. The one
//! exception is the fleet's agent row, described by hand until that type
//! derives a schema (the API tests compare the two).

use schemars::generate::SchemaSettings;
use schemars::{json_schema, Schema, SchemaGenerator};
use serde_json::{json, Map, Value};
use sutazai_engine::engine::VERSION;

use crate::auth::roles_allowed;
use crate::endpoint::{Answer, Endpoint};

/// The whole document, describing `endpoints`.
pub fn document(endpoints: &[Endpoint]) -> Value {
    let mut generator = SchemaSettings::draft2020_12()
        .with(|s| {
            s.definitions_path = "/components/schemas".into();
            s.meta_schema = None;
        })
        .into_generator();
    let mut paths = Map::new();
    for endpoint in endpoints {
        let doc = endpoint.doc;
        let mut parameters: Vec<Value> = path_parameters(endpoint.path);
        if let Some(query) = doc.query {
            parameters.extend(query_parameters(&query()));
        }
        let mut operation = json!({
            "summary": doc.summary,
            "operationId": operation_id(endpoint.verb.method().as_str(), endpoint.path),
            "x-roles": roles_allowed(doc.actions),
            "x-agents": endpoint.for_agents,
            "parameters": parameters,
            "responses": responses(doc.answer, &mut generator),
        });
        if let Some(body) = doc.body {
            operation["requestBody"] = json!({
                "required": true,
                "content": {"application/json": {"schema": body(&mut generator)}},
            });
        }
        let item = paths.entry(endpoint.path).or_insert_with(|| json!({}));
        item[endpoint.verb.method().as_str().to_ascii_lowercase()] = operation;
    }
    let mut schemas = generator.take_definitions(true);
    schemas.insert("Error".into(), error_schema().to_value());
    json!({
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "SutazAI Control Center local API",
            "version": VERSION,
            "description": "Tasks, agents, health and events of the local engine. Every request carries \
                `Authorization: Bearer <API key or agent service token>`; `x-roles` lists the roles an \
                operation allows to API keys; `x-agents` marks what agents' service tokens may call, also on \
                Docker's bridge address, which serves nothing else. Errors are \
                `{\"error\": {\"code\", \"message\"}}`; a message about one field starts with its name.",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    })
}

/// `getV1TasksId` from `GET /v1/tasks/{id}`.
fn operation_id(method: &str, path: &str) -> String {
    let mut id = method.to_ascii_lowercase();
    for part in path.split(['/', '{', '}', '.']).filter(|p| !p.is_empty()) {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            id.push(first.to_ascii_uppercase());
            id.extend(chars);
        }
    }
    id
}

fn path_parameters(path: &str) -> Vec<Value> {
    path.split('/')
        .filter_map(|part| part.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
        .collect()
}

/// One query parameter per property of `params` (a struct's schema).
fn query_parameters(params: &Schema) -> Vec<Value> {
    let Some(properties) = params.get("properties").and_then(Value::as_object) else {
        return Vec::new();
    };
    properties
        .iter()
        .map(|(name, schema)| {
            let mut parameter = json!({"name": name, "in": "query", "required": false, "schema": schema});
            if let Some(description) = schema.get("description") {
                parameter["description"] = description.clone();
            }
            parameter
        })
        .collect()
}

fn responses(answer: Answer, generator: &mut SchemaGenerator) -> Value {
    let error = json!({"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
    let mut responses = json!({
        "400": {"description": "a bad field, parameter or body (the message names it)"},
        "401": {"description": "no token, or an unknown or revoked one"},
        "403": {"description": "the caller's role may not do this"},
        "404": {"description": "no such task, agent or key"},
        "413": {"description": "the body is larger than 1 MiB"},
        "429": {
            "description": "too many failed authentications from this address (`too_many_requests`), or the \
                caller's API key or agent made more requests this minute than `api_rate_per_minute` allows \
                (`rate_limited`); see Retry-After",
            "headers": {"Retry-After": {
                "description": "whole seconds until a request may succeed again",
                "schema": {"type": "integer", "minimum": 1},
            }},
        },
        "503": {"description": "the request took too long"},
    });
    for (_, response) in responses.as_object_mut().into_iter().flatten() {
        response["content"] = error["content"].clone();
    }
    match answer {
        Answer::Json(status, schema) => {
            responses[status.to_string()] = json!({
                "description": "success",
                "content": {"application/json": {"schema": schema(generator)}},
            });
        }
        Answer::EventStream => {
            responses["200"] = json!({
                "description": "`event: task` (data: a TaskEvent), `event: agent` (data: a fleet event), \
                    `event: lagged` (data: `{stream, missed}`); keep-alive comments every 15 s",
                "content": {"text/event-stream": {"schema": {"type": "string"}}},
            });
        }
        Answer::Text(media_type) => {
            responses["200"] = json!({
                "description": "success",
                "content": {media_type: {"schema": {"type": "string"}}},
            });
        }
    }
    responses
}

fn error_schema() -> Schema {
    json_schema!({
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {
                        "type": "string",
                        "description": "What went wrong, for programs: the engine's codes (`invalid_request`, \
                            `not_found`, `conflict`, `forbidden`, `unauthorized`, `unknown_agent`, `threat_blocked`, \
                            `store`, …) \
                            and HTTP's own (`payload_too_large`, `unsupported_media_type`, `timeout`, \
                            `no_route`, `method_not_allowed`, `too_many_requests`, `rate_limited`)",
                    },
                    "message": {"type": "string", "description": "What went wrong, for people"},
                },
            },
        },
    })
}

pub fn any_object(_: &mut SchemaGenerator) -> Schema {
    json_schema!({"type": "object"})
}
