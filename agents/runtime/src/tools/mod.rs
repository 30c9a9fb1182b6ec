//! Deterministic tools: work some agents do without a model.

pub mod code;
pub mod injection;
pub mod json;

use serde::Serialize;
use serde_json::Value;
use sutazai_protocol::manifest::{OutputKind, Tool};
use sutazai_protocol::wire::Output;

/// The text a tool works on: the payload's `text` field.
pub fn input_text(payload: &Value) -> Result<&str, String> {
    payload
        .get("text")
        .and_then(Value::as_str)
        .ok_or_else(|| "the payload needs a string field `text` to work on".into())
}

/// Runs a tool on a task's payload; `Err` names what the payload lacks.
pub fn run(tool: Tool, payload: &Value) -> Result<Output, String> {
    if tool == Tool::Echo {
        return Ok(json_output(payload));
    }
    let text = input_text(payload)?;
    Ok(match tool {
        Tool::InjectionScan => json_output(&injection::scan(text)),
        Tool::JsonValidate => json_output(&json::validate(text)),
        Tool::Echo => json_output(payload),
        Tool::CodeCheck => {
            let language = payload.get("language").and_then(Value::as_str);
            let blocks = code::check_all(text, language);
            let failed = blocks
                .iter()
                .filter(|b| matches!(b.syntax, sutazai_protocol::wire::SyntaxCheck::Error { .. }))
                .count();
            let summary = format!("{} code block(s), {} with syntax errors", blocks.len(), failed);
            Output {
                kind: OutputKind::Code,
                text: summary,
                json: None,
                code_blocks: blocks,
            }
        }
    })
}

/// A tool's report as a `json` output.
fn json_output(report: &impl Serialize) -> Output {
    let json = serde_json::to_value(report).unwrap_or(Value::Null);
    Output {
        kind: OutputKind::Json,
        text: json.to_string(),
        json: Some(json),
        code_blocks: vec![],
    }
}
