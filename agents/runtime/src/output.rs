//! Post-processing of a model's answer by the task type's output kind.

use sutazai_protocol::manifest::OutputKind;
use sutazai_protocol::wire::Output;

use crate::tools::{code, json};

/// Shapes the answer; `Err` says why it does not fit the output kind.
pub fn shape(kind: OutputKind, text: String, language: Option<&str>) -> Result<Output, String> {
    match kind {
        OutputKind::Text => Ok(Output {
            kind,
            text,
            json: None,
            code_blocks: vec![],
        }),
        OutputKind::Json => {
            let value = json::extract(&text)?;
            Ok(Output {
                kind,
                text,
                json: Some(value),
                code_blocks: vec![],
            })
        }
        OutputKind::Code => {
            let blocks = code::check_all(&text, language);
            if blocks.is_empty() {
                return Err("the answer holds no code".into());
            }
            Ok(Output {
                kind,
                text,
                json: None,
                code_blocks: blocks,
            })
        }
    }
}
