//! What an attempt's end means next: the task's new status, what the
//! attempt log says, what the agent's breaker and figures hear, and whether
//! and when the task is tried again. Pure; the dispatcher applies it.

use std::time::Duration;

use super::dispatch::Verdict;
use super::model::{AttemptOutcome, TaskFailure, TaskStatus};
use super::retry::RetryPolicy;

/// What is known of the task when its attempt ends.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    /// Attempts made, this one included.
    pub attempts: u32,
    /// The task's own budget (its `maxAttempts`, or more after a re-queue).
    pub max_attempts: u32,
    pub deadline_ms: i64,
    pub now_ms: i64,
    /// The agent that ran it, for the message of a cancel.
    pub agent_id: &'a str,
}

/// What follows one attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct Next {
    pub status: TaskStatus,
    /// For the attempt log.
    pub outcome: AttemptOutcome,
    /// The task's result (set on success).
    pub result: Option<serde_json::Value>,
    /// The task's error (none on success).
    pub error: Option<TaskFailure>,
    /// What the agent's breaker hears: `Some(false)` when the agent itself
    /// failed, `None` when the end says nothing about it.
    pub agent_ok: Option<bool>,
    /// False when this try does not count against the task's attempts (a
    /// busy agent's refusal).
    pub counts: bool,
    /// When the task is tried again (relative to now), and whether the
    /// agent that failed it is avoided then.
    pub retry: Option<Retry>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Retry {
    pub after: Duration,
    pub avoid_agent: bool,
}

/// A try that does not count waits this long before the next.
const UNCOUNTED_PAUSE: Duration = Duration::from_millis(20);

/// Decides what follows an attempt that ended with `verdict` (`None`: the
/// user cancelled it while it ran). `jitter` is called for a unit in
/// `[0, 1)` only when a counted retry needs a delay.
pub fn next(verdict: Option<Verdict>, facts: Facts<'_>, policy: &RetryPolicy, jitter: impl FnOnce() -> f64) -> Next {
    let ended = |status, outcome, error, agent_ok| Next {
        status,
        outcome,
        result: None,
        error,
        agent_ok,
        counts: true,
        retry: None,
    };
    match verdict {
        None => ended(
            TaskStatus::Cancelled,
            AttemptOutcome::Cancelled,
            Some(TaskFailure {
                code: "cancelled".into(),
                message: format!("cancelled while {} ran it", facts.agent_id),
            }),
            None,
        ),
        Some(Verdict::Succeeded(output)) => Next {
            result: Some(output),
            ..ended(TaskStatus::Succeeded, AttemptOutcome::Succeeded, None, Some(true))
        },
        Some(Verdict::Failed(failure)) => ended(
            TaskStatus::Failed,
            AttemptOutcome::Failed {
                failure: failure.clone(),
                retried: false,
            },
            Some(failure),
            Some(true),
        ),
        Some(Verdict::Retry {
            failure,
            agent_fault,
            counts,
        }) => {
            let attempts = if counts {
                facts.attempts
            } else {
                facts.attempts.saturating_sub(1)
            };
            let past_deadline = facts.now_ms >= facts.deadline_ms;
            let another = RetryPolicy {
                max_attempts: facts.max_attempts,
                ..*policy
            }
            .allows_another(attempts);
            let outcome = AttemptOutcome::Failed {
                failure: failure.clone(),
                retried: !past_deadline && another,
            };
            let (status, error, retry) = if past_deadline {
                let error = TaskFailure {
                    code: "deadline_exceeded".into(),
                    message: format!("the deadline passed; last error: {}", failure.message),
                };
                (TaskStatus::Failed, error, None)
            } else if !another {
                let error = TaskFailure {
                    code: failure.code.clone(),
                    message: format!("gave up after {attempts} attempts; last: {}", failure.message),
                };
                (TaskStatus::Dead, error, None)
            } else {
                let after = if counts {
                    policy.delay(attempts, jitter())
                } else {
                    UNCOUNTED_PAUSE
                };
                let retry = Retry {
                    after,
                    avoid_agent: agent_fault,
                };
                (TaskStatus::Queued, failure, Some(retry))
            };
            Next {
                status,
                outcome,
                result: None,
                error: Some(error),
                agent_ok: Some(!agent_fault),
                counts,
                retry,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(code: &str) -> TaskFailure {
        TaskFailure {
            code: code.into(),
            message: format!("{code} happened"),
        }
    }

    fn retry(agent_fault: bool, counts: bool) -> Option<Verdict> {
        Some(Verdict::Retry {
            failure: failure("agent_unreachable"),
            agent_fault,
            counts,
        })
    }

    fn facts(attempts: u32, now_ms: i64) -> Facts<'static> {
        Facts {
            attempts,
            max_attempts: 3,
            deadline_ms: 10_000,
            now_ms,
            agent_id: "AG-001",
        }
    }

    /// One row per rule: (what ended, attempts made, now) → (status, the
    /// breaker hears, counts, retry, error code, retried in the log).
    #[test]
    fn what_each_end_means() {
        let policy = RetryPolicy::default();
        #[allow(clippy::type_complexity)]
        let table: Vec<(
            &str,
            Option<Verdict>,
            u32,
            i64,
            TaskStatus,
            Option<bool>,
            bool,
            Option<Retry>,
            Option<&str>,
        )> = vec![
            (
                "cancelled by the user",
                None,
                1,
                0,
                TaskStatus::Cancelled,
                None,
                true,
                None,
                Some("cancelled"),
            ),
            (
                "succeeded",
                Some(Verdict::Succeeded(serde_json::json!({"ok": 1}))),
                1,
                0,
                TaskStatus::Succeeded,
                Some(true),
                true,
                None,
                None,
            ),
            (
                "failed for good",
                Some(Verdict::Failed(failure("invalid_payload"))),
                1,
                0,
                TaskStatus::Failed,
                Some(true),
                true,
                None,
                Some("invalid_payload"),
            ),
            (
                "the agent failed, budget left: retried elsewhere after the backoff",
                retry(true, true),
                1,
                0,
                TaskStatus::Queued,
                Some(false),
                true,
                Some(Retry {
                    after: policy.delay(1, 0.5),
                    avoid_agent: true,
                }),
                Some("agent_unreachable"),
            ),
            (
                "a busy agent: does not count, tried again soon, anywhere",
                retry(false, false),
                3,
                0,
                TaskStatus::Queued,
                Some(true),
                false,
                Some(Retry {
                    after: UNCOUNTED_PAUSE,
                    avoid_agent: false,
                }),
                Some("agent_unreachable"),
            ),
            (
                "the budget is spent: dead",
                retry(true, true),
                3,
                0,
                TaskStatus::Dead,
                Some(false),
                true,
                None,
                Some("agent_unreachable"),
            ),
            (
                "the deadline passed: failed, whatever the budget",
                retry(true, true),
                1,
                10_000,
                TaskStatus::Failed,
                Some(false),
                true,
                None,
                Some("deadline_exceeded"),
            ),
        ];
        for (case, verdict, attempts, now_ms, status, agent_ok, counts, retry, code) in table {
            let next = next(verdict, facts(attempts, now_ms), &policy, || 0.5);
            assert_eq!(next.status, status, "{case}");
            assert_eq!(next.agent_ok, agent_ok, "{case}");
            assert_eq!(next.counts, counts, "{case}");
            assert_eq!(next.retry, retry, "{case}");
            assert_eq!(next.error.as_ref().map(|e| e.code.as_str()), code, "{case}");
            let retried = matches!(next.outcome, AttemptOutcome::Failed { retried: true, .. });
            assert_eq!(
                retried,
                next.retry.is_some(),
                "{case}: the log says whether it is retried"
            );
        }
    }

    #[test]
    fn the_messages_say_why() {
        let policy = RetryPolicy::default();
        let dead = next(retry(true, true), facts(3, 0), &policy, || 0.0);
        assert_eq!(
            dead.error.unwrap().message,
            "gave up after 3 attempts; last: agent_unreachable happened"
        );
        let cancelled = next(None, facts(1, 0), &policy, || 0.0);
        assert_eq!(cancelled.error.unwrap().message, "cancelled while AG-001 ran it");
        let late = next(retry(true, true), facts(1, 20_000), &policy, || 0.0);
        assert_eq!(
            late.error.unwrap().message,
            "the deadline passed; last error: agent_unreachable happened"
        );
    }

    #[test]
    fn jitter_is_drawn_only_for_a_counted_retry() {
        let policy = RetryPolicy::default();
        for verdict in [None, Some(Verdict::Failed(failure("x"))), retry(false, false)] {
            next(verdict, facts(1, 0), &policy, || panic!("no delay to draw"));
        }
        next(retry(true, true), facts(3, 0), &policy, || {
            panic!("dead: no delay to draw")
        });
    }
}
