//! The ready queue, in memory (the tasks table is the durable copy). Tasks
//! wait in lanes, one lane per routing target (a capability or a named
//! agent, with a task type); within a lane the highest priority goes first,
//! then the oldest. The dispatcher serves lanes in turn, so a capability
//! whose agents are all busy never holds up the others. Retries wait in a
//! timer heap until their time.

use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeMap, BinaryHeap, HashSet};

/// Who may take a task: the lane's key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Target {
    /// A named agent, when the submitter named one.
    pub agent_id: Option<String>,
    pub capability: Option<String>,
    pub task_type: String,
}

/// What the queue orders by; the task itself lives in the dispatcher's map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    pub id: String,
    pub priority: u8,
    /// Submission order (the table's `seq`).
    pub seq: i64,
}

impl Ord for Ticket {
    fn cmp(&self, other: &Self) -> Ordering {
        self.priority
            .cmp(&other.priority)
            .then_with(|| other.seq.cmp(&self.seq))
    }
}

impl PartialOrd for Ticket {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[derive(Debug, Default)]
pub struct Queue {
    lanes: BTreeMap<Target, BinaryHeap<Ticket>>,
    /// Retries waiting for their time: (not_before_ms, target, ticket).
    later: BinaryHeap<Reverse<(i64, i64, String)>>,
    later_tickets: std::collections::HashMap<String, (Target, Ticket)>,
    /// Tickets taken out (cancelled) while still in a heap; skipped lazily.
    removed: HashSet<String>,
    /// Where round-robin resumes.
    cursor: Option<Target>,
    len: usize,
}

impl Queue {
    /// Queues a task, at once or from `not_before_ms` on.
    pub fn push(&mut self, target: Target, ticket: Ticket, not_before_ms: i64, now_ms: i64) {
        self.removed.remove(&ticket.id);
        self.len += 1;
        if not_before_ms > now_ms {
            self.later.push(Reverse((not_before_ms, ticket.seq, ticket.id.clone())));
            self.later_tickets.insert(ticket.id.clone(), (target, ticket));
        } else {
            self.lanes.entry(target).or_default().push(ticket);
        }
    }

    /// Moves retries whose time has come into their lanes; the next time a
    /// retry is due, if any.
    pub fn wake(&mut self, now_ms: i64) -> Option<i64> {
        while let Some(Reverse((at, _, id))) = self.later.peek().cloned() {
            if at > now_ms {
                return Some(at);
            }
            self.later.pop();
            if let Some((target, ticket)) = self.later_tickets.remove(&id) {
                self.lanes.entry(target).or_default().push(ticket);
            }
        }
        None
    }

    /// Takes a task out (cancelled); false when it was not queued.
    pub fn remove(&mut self, id: &str) -> bool {
        if self.later_tickets.remove(id).is_some() {
            self.len -= 1;
            return true;
        }
        let queued = self.lanes.values().any(|lane| lane.iter().any(|t| t.id == id));
        if queued && self.removed.insert(id.to_string()) {
            self.len -= 1;
            return true;
        }
        false
    }

    /// The lanes in round-robin order, starting after the last one served.
    pub fn targets(&self) -> Vec<Target> {
        let keys: Vec<&Target> = self.lanes.keys().collect();
        let start = match &self.cursor {
            Some(cursor) => keys.iter().position(|k| *k > cursor).unwrap_or(0),
            None => 0,
        };
        keys[start..]
            .iter()
            .chain(&keys[..start])
            .map(|k| (*k).clone())
            .collect()
    }

    /// Whether tasks for `target` are waiting in its lane (not counting retries
    /// waiting for their time).
    pub fn has_lane(&self, target: &Target) -> bool {
        self.lanes
            .get(target)
            .is_some_and(|lane| lane.iter().any(|t| !self.removed.contains(&t.id)))
    }

    /// The next ticket of a lane, without taking it.
    pub fn peek(&mut self, target: &Target) -> Option<Ticket> {
        let lane = self.lanes.get_mut(target)?;
        while let Some(top) = lane.peek() {
            if self.removed.remove(&top.id) {
                lane.pop();
                continue;
            }
            return Some(top.clone());
        }
        self.lanes.remove(target);
        None
    }

    /// Takes the next ticket of a lane (after `peek` said which).
    pub fn pop(&mut self, target: &Target) -> Option<Ticket> {
        let ticket = self.peek(target)?;
        if let Some(lane) = self.lanes.get_mut(target) {
            lane.pop();
            if lane.is_empty() {
                self.lanes.remove(target);
            }
        }
        self.cursor = Some(target.clone());
        self.len -= 1;
        Some(ticket)
    }

    /// Tasks waiting, in lanes or for their retry time.
    pub fn len(&self) -> usize {
        self.len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(cap: &str) -> Target {
        Target {
            agent_id: None,
            capability: Some(cap.into()),
            task_type: "echo".into(),
        }
    }

    fn ticket(id: &str, priority: u8, seq: i64) -> Ticket {
        Ticket {
            id: id.into(),
            priority,
            seq,
        }
    }

    #[test]
    fn priority_first_then_oldest() {
        let mut q = Queue::default();
        let t = target("a");
        q.push(t.clone(), ticket("low", 1, 1), 0, 0);
        q.push(t.clone(), ticket("high-new", 9, 3), 0, 0);
        q.push(t.clone(), ticket("high-old", 9, 2), 0, 0);
        let order: Vec<String> = std::iter::from_fn(|| q.pop(&t).map(|t| t.id)).collect();
        assert_eq!(order, ["high-old", "high-new", "low"]);
        assert_eq!(q.len(), 0);
    }

    #[test]
    fn lanes_take_turns_and_retries_wait() {
        let mut q = Queue::default();
        q.push(target("a"), ticket("a1", 5, 1), 0, 0);
        q.push(target("b"), ticket("b1", 5, 2), 0, 0);
        q.push(target("a"), ticket("a2", 5, 3), 500, 0);
        assert_eq!(q.targets(), [target("a"), target("b")]);
        q.pop(&target("a"));
        assert_eq!(q.targets(), [target("b")], "a is empty until its retry is due");
        assert_eq!(q.wake(100), Some(500));
        assert_eq!(q.wake(500), None);
        assert_eq!(
            q.targets(),
            [target("b"), target("a")],
            "b comes after the lane served last"
        );
        assert!(q.remove("a2"));
        assert!(!q.remove("a2"));
        assert_eq!(q.peek(&target("a")), None);
        assert_eq!(q.len(), 1);
    }
}
