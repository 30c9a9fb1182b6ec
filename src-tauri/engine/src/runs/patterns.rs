//! The seeds' coordination patterns as pure rules: how a collaborative
//! step merges its answers, when a swarm agrees, and how a coordinator's
//! plan becomes steps (checked like a definition's own).

use serde_json::{json, Value};
use sutazai_protocol::wire::SWARM_FIELD;

use crate::catalog::Catalog;
use crate::workflow::model::{Step, StepKind, Workflow};
use crate::workflow::validate::validate;
use crate::workflow::WorkflowProblem;

/// A merge or a plan that cannot be made: a code and a sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError {
    pub code: &'static str,
    pub message: String,
}

fn fail(code: &'static str, message: String) -> PatternError {
    PatternError { code, message }
}

/// The answer most of `answers` gave, with how many gave it: the earliest
/// of the most given when several tie.
pub fn plurality(answers: &[Value]) -> Option<(&Value, usize)> {
    let mut best: Option<(&Value, usize)> = None;
    for (i, answer) in answers.iter().enumerate() {
        if answers[..i].contains(answer) {
            continue; // counted with its first appearance
        }
        let count = answers.iter().filter(|a| *a == answer).count();
        if best.is_none_or(|(_, most)| count > most) {
            best = Some((answer, count));
        }
    }
    best
}

/// A `majority` merge: the answer more than half of the `asked` agents gave.
pub fn majority(answers: &[Value], asked: usize) -> Result<Value, PatternError> {
    match plurality(answers) {
        Some((answer, count)) if count * 2 > asked => Ok(answer.clone()),
        Some((_, count)) => Err(fail(
            "no_majority",
            format!("no answer was given by more than half of the {asked} agents (at most {count} agreed)"),
        )),
        None => Err(fail("no_majority", format!("none of the {asked} agents answered"))),
    }
}

/// Whether every agent of a swarm's round gave the same answer.
pub fn agreed(answers: &[Value]) -> bool {
    answers.windows(2).all(|pair| pair[0] == pair[1]) && !answers.is_empty()
}

/// What a swarm agent sees in round `round`: the step's input, and the
/// other agents' answers of the round before.
pub fn swarm_payload(input: &Value, round: u32, others: &[Value]) -> Value {
    let swarm = json!({ "round": round, "others": others });
    match input {
        Value::Object(map) => {
            let mut map = map.clone();
            map.insert(SWARM_FIELD.into(), swarm);
            Value::Object(map)
        }
        other => json!({ "input": other, SWARM_FIELD: swarm }),
    }
}

/// The steps a coordinator planned, from its output: `{"steps": [...]}` or
/// a bare list, each a step as in a definition (task kinds only, no
/// approvals), at most `max_steps`, nested hierarchical steps only while
/// `depth` (this plan's) is below `max_depth`. Checked against the catalog
/// exactly like a definition; every problem names `plan.steps[i]`.
pub fn plan(
    output: &Value,
    workflow: &Workflow,
    max_steps: u32,
    depth: u32,
    max_depth: u32,
    catalog: &Catalog,
) -> Result<Workflow, PatternError> {
    let list = match output {
        Value::Object(map) => map.get("steps").cloned(),
        Value::Array(_) => Some(output.clone()),
        Value::String(text) => serde_json::from_str::<Value>(text).ok().and_then(|v| match v {
            Value::Object(mut map) => map.remove("steps"),
            list @ Value::Array(_) => Some(list),
            _ => None,
        }),
        _ => None,
    };
    let Some(list) = list else {
        return Err(fail(
            "invalid_plan",
            "the coordinator's output is not a plan: expected {\"steps\": [...]} or a list of steps".into(),
        ));
    };
    let steps: Vec<Step> = serde_json::from_value(list)
        .map_err(|err| fail("invalid_plan", format!("plan.steps: not a list of steps: {err}")))?;
    if steps.is_empty() || steps.len() > max_steps as usize {
        return Err(fail(
            "invalid_plan",
            format!("plan.steps: expected 1 to {max_steps} steps, found {}", steps.len()),
        ));
    }
    let mut problems: Vec<WorkflowProblem> = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        let problem = match &step.kind {
            StepKind::Approval { .. } => Some("a plan cannot wait for people; approvals belong in the definition"),
            StepKind::Hierarchical { .. } if depth >= max_depth => {
                Some("plans may not nest deeper than the step's maxDepth")
            }
            _ => None,
        };
        if let Some(message) = problem {
            problems.push(WorkflowProblem {
                step: Some(step.id.clone()),
                path: format!("steps[{i}].kind"),
                message: message.into(),
            });
        }
    }
    let planned = Workflow {
        schema: None,
        id: workflow.id.clone(),
        name: workflow.name.clone(),
        description: String::new(),
        inputs: workflow.inputs.clone(),
        outputs: Vec::new(),
        steps,
        notes: Vec::new(),
    };
    problems.extend(validate(&planned, catalog));
    if problems.is_empty() {
        Ok(planned)
    } else {
        let listed: Vec<String> = problems.iter().map(|p| format!("plan.{p}")).collect();
        Err(fail("invalid_plan", listed.join("; ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn majority_needs_more_than_half_of_those_asked() {
        let a = json!("a");
        let b = json!("b");
        let cases: &[(&[Value], usize, Result<Value, &str>)] = &[
            (&[a.clone(), a.clone(), b.clone()], 3, Ok(a.clone())),
            (&[a.clone(), b.clone()], 2, Err("no_majority")),
            // Two of three answered alike, the third failed: still two of three.
            (&[b.clone(), b.clone()], 3, Ok(b.clone())),
            (std::slice::from_ref(&a), 3, Err("no_majority")),
            (&[], 3, Err("no_majority")),
        ];
        for (answers, asked, expected) in cases {
            let got = majority(answers, *asked).map_err(|e| e.code);
            assert_eq!(&got, expected, "{answers:?} of {asked}");
        }
    }

    #[test]
    fn plurality_takes_the_earliest_of_a_tie() {
        let answers = [json!(1), json!(2), json!(2), json!(1)];
        assert_eq!(plurality(&answers), Some((&json!(1), 2)));
    }

    #[test]
    fn a_swarm_agrees_when_every_answer_is_the_same() {
        assert!(agreed(&[json!({"x": 1}), json!({"x": 1})]));
        assert!(!agreed(&[json!({"x": 1}), json!({"x": 2})]));
        assert!(!agreed(&[]));
    }

    #[test]
    fn swarm_agents_see_the_round_and_the_others() {
        assert_eq!(
            swarm_payload(&json!({"q": "?"}), 2, &[json!("a")]),
            json!({"q": "?", "swarm": {"round": 2, "others": ["a"]}})
        );
        assert_eq!(
            swarm_payload(&json!("text"), 1, &[]),
            json!({"input": "text", "swarm": {"round": 1, "others": []}})
        );
    }
}
