//! Ollama's bodies as they are on the wire (snake_case); only the fields
//! the client uses. They become the engine's types in [`crate::llm::model`].

use serde::Deserialize;
use serde_json::Value;

use crate::llm::model::{AnswerEvent, Completion, LoadedModel, ModelDetails, ModelInfo};

#[derive(Deserialize)]
pub struct Tags {
    pub models: Vec<TagModel>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Details {
    pub format: String,
    pub family: String,
    pub parameter_size: String,
    pub quantization_level: String,
}

#[derive(Deserialize)]
pub struct TagModel {
    pub name: String,
    #[serde(default)]
    pub size: u64,
    #[serde(default)]
    pub digest: String,
    #[serde(default)]
    pub modified_at: String,
    #[serde(default)]
    pub details: Details,
}

impl TagModel {
    pub fn into_info(self) -> ModelInfo {
        ModelInfo {
            name: self.name,
            size: self.size,
            digest: self.digest,
            modified_at: self.modified_at,
            family: self.details.family,
            parameter_size: self.details.parameter_size,
            quantization_level: self.details.quantization_level,
        }
    }
}

#[derive(Deserialize)]
pub struct Ps {
    pub models: Vec<PsModel>,
}

#[derive(Deserialize)]
pub struct PsModel {
    pub name: String,
    #[serde(default)]
    pub size: u64,
    #[serde(default)]
    pub size_vram: u64,
    #[serde(default)]
    pub expires_at: String,
    #[serde(default)]
    pub context_length: Option<u64>,
}

impl PsModel {
    pub fn into_loaded(self) -> LoadedModel {
        LoadedModel {
            name: self.name,
            size: self.size,
            size_vram: self.size_vram,
            expires_at: self.expires_at,
            context_length: self.context_length,
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Show {
    pub parameters: String,
    pub template: String,
    pub details: Details,
    pub model_info: serde_json::Map<String, Value>,
    pub capabilities: Vec<String>,
}

impl Show {
    pub fn into_details(self, name: &str) -> ModelDetails {
        let context_length = self
            .model_info
            .get("general.architecture")
            .and_then(Value::as_str)
            .and_then(|arch| self.model_info.get(&format!("{arch}.context_length")))
            .and_then(Value::as_u64);
        ModelDetails {
            name: name.to_string(),
            format: self.details.format,
            family: self.details.family,
            parameter_size: self.details.parameter_size,
            quantization_level: self.details.quantization_level,
            template: self.template,
            parameters: self.parameters,
            capabilities: self.capabilities,
            context_length,
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Message {
    pub content: String,
}

/// A line of a generate (`response`) or chat (`message`) stream.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AnswerLine {
    pub response: Option<String>,
    pub message: Option<Message>,
    pub done: bool,
    pub done_reason: String,
    pub prompt_eval_count: u64,
    pub eval_count: u64,
    pub total_duration: u64,
    pub load_duration: u64,
    pub prompt_eval_duration: u64,
    pub eval_duration: u64,
}

impl AnswerLine {
    pub fn into_events(self) -> Vec<AnswerEvent> {
        let text = self.response.or(self.message.map(|m| m.content)).unwrap_or_default();
        let mut events = Vec::with_capacity(2);
        if !text.is_empty() {
            events.push(AnswerEvent::Delta { text });
        }
        if self.done {
            events.push(AnswerEvent::Done(Completion {
                done_reason: self.done_reason,
                prompt_eval_count: self.prompt_eval_count,
                eval_count: self.eval_count,
                total_duration_ns: self.total_duration,
                load_duration_ns: self.load_duration,
                prompt_eval_duration_ns: self.prompt_eval_duration,
                eval_duration_ns: self.eval_duration,
            }));
        }
        events
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_done_line_with_text_gives_the_text_then_the_statistics() {
        let line: AnswerLine = serde_json::from_str(
            r#"{"model":"m","response":"whole","done":true,"done_reason":"stop","eval_count":2,"total_duration":9}"#,
        )
        .unwrap();
        let events = line.into_events();
        assert_eq!(events.len(), 2, "{events:?}");
        assert_eq!(events[0], AnswerEvent::Delta { text: "whole".into() });
        let AnswerEvent::Done(done) = &events[1] else {
            panic!("{events:?}");
        };
        assert_eq!(
            (done.eval_count, done.total_duration_ns, done.done_reason.as_str()),
            (2, 9, "stop")
        );

        let chat: AnswerLine =
            serde_json::from_str(r#"{"message":{"role":"assistant","content":"hi"},"done":false}"#).unwrap();
        assert_eq!(chat.into_events(), [AnswerEvent::Delta { text: "hi".into() }]);
    }

    #[test]
    fn the_context_length_comes_from_the_architecture() {
        let show: Show = serde_json::from_str(
            r#"{"details":{"family":"qwen2"},"model_info":{"general.architecture":"qwen2","qwen2.context_length":32768}}"#,
        )
        .unwrap();
        let details = show.into_details("qwen2.5:1.5b");
        assert_eq!(details.context_length, Some(32_768));
        assert_eq!(details.family, "qwen2");
        let bare: Show = serde_json::from_str("{}").unwrap();
        assert_eq!(bare.into_details("x").context_length, None);
    }
}
