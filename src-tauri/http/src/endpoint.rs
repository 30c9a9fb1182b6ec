//! What one row of the endpoint table holds ([`Endpoint`]) and the helpers
//! that build rows; the table itself is `routes.rs`, and the router and the
//! OpenAPI document are both built from it.

use axum::http::Method;
use axum::routing::{on, MethodFilter, MethodRouter};
use schemars::{JsonSchema, Schema, SchemaGenerator};
use sutazai_engine::security::Action;

use crate::Api;

/// The methods the API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Get,
    Post,
    Put,
    Delete,
}

impl Verb {
    pub fn method(self) -> Method {
        match self {
            Self::Get => Method::GET,
            Self::Post => Method::POST,
            Self::Put => Method::PUT,
            Self::Delete => Method::DELETE,
        }
    }

    pub fn filter(self) -> MethodFilter {
        match self {
            Self::Get => MethodFilter::GET,
            Self::Post => MethodFilter::POST,
            Self::Put => MethodFilter::PUT,
            Self::Delete => MethodFilter::DELETE,
        }
    }
}

/// Makes the schema of one type (a `$ref` into the document's components).
pub type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

pub fn schema<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<T>()
}

/// What a successful call answers.
#[derive(Clone, Copy)]
pub enum Answer {
    Json(u16, SchemaFn),
    EventStream,
    /// A text body of this media type (Prometheus's exposition format).
    Text(&'static str),
}

/// How the OpenAPI document describes an endpoint.
#[derive(Clone, Copy)]
pub struct Doc {
    pub summary: &'static str,
    /// The caller's role must allow one of these.
    pub actions: &'static [Action],
    /// The query parameters, as the properties of one type.
    pub query: Option<fn() -> Schema>,
    pub body: Option<SchemaFn>,
    pub answer: Answer,
}

/// One endpoint.
pub struct Endpoint {
    pub verb: Verb,
    pub path: &'static str,
    pub handler: MethodRouter<Api>,
    pub doc: Doc,
    /// Served on the agents' surface too (Docker's bridge address), to
    /// agents' service tokens only.
    pub for_agents: bool,
}

impl Endpoint {
    /// Marks an endpoint agents need (health, sub-tasks, the LLM gateway).
    pub fn for_agents(self) -> Endpoint {
        Endpoint {
            for_agents: true,
            ..self
        }
    }
}

pub fn endpoint<H, T>(verb: Verb, path: &'static str, handler: H, doc: Doc) -> Endpoint
where
    H: axum::handler::Handler<T, Api>,
    T: 'static,
{
    Endpoint {
        verb,
        path,
        handler: on(verb.filter(), handler),
        doc,
        for_agents: false,
    }
}

/// A query's parameters: one property each, with enums inlined (a query
/// parameter cannot refer to the document's schemas).
pub fn query<T: JsonSchema>() -> Schema {
    schemars::generate::SchemaSettings::draft2020_12()
        .with(|s| s.inline_subschemas = true)
        .into_generator()
        .into_root_schema_for::<T>()
}

pub fn doc(summary: &'static str, actions: &'static [Action], answer: Answer) -> Doc {
    Doc {
        summary,
        actions,
        query: None,
        body: None,
        answer,
    }
}
