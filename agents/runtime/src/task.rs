//! Running one task: a built-in tool, or prompt → model → post-processing;
//! within the task's deadline. A task succeeds with output or fails with a
//! reason; it never invents output.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;
use sutazai_protocol::manifest::{template, TaskType};
use sutazai_protocol::wire::{Output, TaskError, TaskOutcome, TaskRequest, TaskResult, Timings, SWARM_FIELD};
use sutazai_protocol::{ErrorCode, Manifest, PROTOCOL_VERSION};

use crate::llm::{Ask, Llm};
use crate::output;

/// Runs tasks for one manifest.
pub struct Executor {
    pub manifest: Manifest,
    pub llm: Llm,
}

/// A task whose input has been checked: the rendered prompt, or the tool
/// with the text it will work on.
pub enum Prepared {
    Prompt {
        prompt: String,
        history: Option<Vec<Value>>,
    },
    Tool,
}

/// What a run produced, before it is wrapped in a `TaskResult`.
struct Done {
    outcome: Result<Output, TaskError>,
    model: Option<String>,
    timings: Timings,
}

impl Executor {
    /// Checks the payload against the task type before any work: a prompt
    /// must render (every field it uses is present), a tool needs `text`.
    pub fn prepare(&self, request: &TaskRequest, task: &TaskType) -> Result<Prepared, String> {
        let payload = &request.payload;
        if task.tool == Some(sutazai_protocol::manifest::Tool::Echo) {
            return Ok(Prepared::Tool);
        }
        if task.tool.is_some() {
            return crate::tools::input_text(payload).map(|_| Prepared::Tool);
        }
        let template_text = task
            .prompt
            .as_deref()
            .ok_or("the task type has neither a prompt nor a tool")?;
        let mut prompt = template::render(template_text, payload)?;
        if let Some(note) = swarm_note(payload) {
            prompt.push_str(&note);
        }
        let history = match payload.get("messages") {
            None => None,
            Some(Value::Array(messages)) if messages.iter().all(is_chat_message) => Some(messages.clone()),
            Some(_) => return Err("`messages` must be a list of {\"role\", \"content\"} objects".into()),
        };
        Ok(Prepared::Prompt { prompt, history })
    }

    /// Runs a prepared task within its deadline.
    pub async fn run(
        &self,
        request: &TaskRequest,
        task: &TaskType,
        prepared: Prepared,
        received: Instant,
    ) -> TaskResult {
        let remaining = request.deadline_ms.map(|deadline| deadline - now_ms());
        let done = match remaining {
            Some(ms) if ms <= 0 => failed(
                ErrorCode::DeadlineExceeded,
                "the deadline had passed when the task arrived",
            ),
            Some(ms) => {
                let budget = Duration::from_millis(ms.unsigned_abs());
                match tokio::time::timeout(budget, self.work(request, task, prepared)).await {
                    Ok(done) => done,
                    Err(_) => failed(
                        ErrorCode::DeadlineExceeded,
                        format!("the task did not finish within its deadline ({ms} ms)"),
                    ),
                }
            }
            None => self.work(request, task, prepared).await,
        };
        let timings = Timings {
            total_ms: received.elapsed().as_secs_f64() * 1000.0,
            ..done.timings
        };
        TaskResult {
            protocol: PROTOCOL_VERSION,
            task_id: request.task_id.clone(),
            agent_id: self.manifest.id.clone(),
            outcome: match done.outcome {
                Ok(output) => TaskOutcome::Succeeded { output },
                Err(error) => TaskOutcome::Failed { error },
            },
            model: done.model,
            timings,
        }
    }

    async fn work(&self, request: &TaskRequest, task: &TaskType, prepared: Prepared) -> Done {
        let payload = &request.payload;
        let (prompt, history) = match (prepared, task.tool) {
            (Prepared::Tool, Some(tool)) => {
                return match crate::tools::run(tool, payload) {
                    Ok(output) => Done {
                        outcome: Ok(output),
                        model: None,
                        timings: Timings::default(),
                    },
                    Err(problem) => failed(ErrorCode::PayloadInvalid, problem),
                };
            }
            (Prepared::Prompt { prompt, history }, _) => (prompt, history),
            (Prepared::Tool, None) => return failed(ErrorCode::PayloadInvalid, "the task type has no tool"),
        };
        let ask = Ask {
            system: task.system.as_deref(),
            prompt: &prompt,
            history: history.as_deref(),
            json: task.output == sutazai_protocol::manifest::OutputKind::Json,
        };
        let answer = match self.llm.ask(&self.manifest.model, &ask).await {
            Ok(answer) => answer,
            Err(err) => return failed(err.code, err.message),
        };
        let timings = Timings {
            total_ms: 0.0,
            llm_ms: answer.llm_ms,
            prompt_tokens: answer.prompt_tokens,
            completion_tokens: answer.completion_tokens,
        };
        let language = payload.get("language").and_then(Value::as_str);
        let outcome = output::shape(task.output, answer.text, language).map_err(|message| TaskError {
            code: ErrorCode::OutputInvalid,
            message,
        });
        Done {
            outcome,
            model: Some(answer.model),
            timings,
        }
    }
}

/// In a swarm's later rounds, the other agents' last answers, for the model
/// to weigh (the hub's `payload.swarm`); nothing in the first round.
fn swarm_note(payload: &Value) -> Option<String> {
    let swarm = payload.get(SWARM_FIELD)?;
    let others = swarm.get("others")?.as_array().filter(|o| !o.is_empty())?;
    let round = swarm.get("round").and_then(Value::as_u64).unwrap_or(0);
    let answers = serde_json::to_string_pretty(others).ok()?;
    Some(format!(
        "\n\nRound {round} of a swarm: other agents answered this same task in the last round:\n{answers}\n\
         Weigh their answers. If one of them is right, give exactly that answer, in the same shape, \
         so that the swarm agrees; otherwise answer as asked above."
    ))
}

fn is_chat_message(message: &Value) -> bool {
    message.get("role").is_some_and(Value::is_string) && message.get("content").is_some_and(Value::is_string)
}

fn failed(code: ErrorCode, message: impl Into<String>) -> Done {
    Done {
        outcome: Err(TaskError {
            code,
            message: message.into(),
        }),
        model: None,
        timings: Timings::default(),
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::swarm_note;

    #[test]
    fn a_swarm_round_after_the_first_shows_the_others_answers() {
        assert_eq!(swarm_note(&json!({"q": 1})), None);
        assert_eq!(swarm_note(&json!({"swarm": {"round": 1, "others": []}})), None);
        let note = swarm_note(&json!({"swarm": {"round": 2, "others": [{"order": ["b", "a"]}]}})).unwrap();
        assert!(
            note.starts_with("\n\nRound 2 of a swarm: other agents answered"),
            "{note}"
        );
        assert!(note.contains("\"order\": [\n      \"b\""), "{note}");
        assert!(note.contains("give exactly that answer"), "{note}");
    }
}
