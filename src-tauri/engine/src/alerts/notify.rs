//! Which desktop notifications a second's alert changes become: quiet by
//! design. Alerts of one rule that fire together are one notification
//! that says how many; resolved alerts are told in one batch a minute; at
//! most a few notifications a minute go out, the rest summed up in one;
//! silenced alerts send nothing, and neither do alerts of severity info
//! (an agent restarted by self-healing after the notification that it
//! died): the window's bell and record have them. The in-app record keeps every change
//! whatever this says. Pure: the caller sends what `plan` returns.

use std::collections::{BTreeMap, VecDeque};

use super::lifecycle::{Change, Severity};

/// One alert's change, as the notifier needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertChange {
    /// Rule and subject: the alert's identity (deduplication).
    pub fingerprint: String,
    pub rule: String,
    /// What the rule is called, for people (`Agent unhealthy`).
    pub rule_name: String,
    /// The agent, model or container the alert is about, if any.
    pub subject: Option<String>,
    pub severity: Severity,
    /// What happened, for an event rule's alert (`exit code 137`).
    pub detail: Option<String>,
    pub change: Change,
}

/// One desktop notification.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, ts_rs::TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Notice {
    pub title: String,
    pub body: String,
    pub severity: Severity,
    /// The alerts it tells of (clicking it opens them).
    pub fingerprints: Vec<String>,
}

/// How quiet the notifier is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quiet {
    /// Notifications in any minute, at most.
    pub per_minute: usize,
    /// Resolved alerts are told together, at most this often.
    pub resolved_every_ms: i64,
}

impl Default for Quiet {
    fn default() -> Quiet {
        Quiet {
            per_minute: 5,
            resolved_every_ms: 60_000,
        }
    }
}

/// The notifier's memory between seconds.
#[derive(Debug, Default)]
pub struct Notifier {
    quiet: Quiet,
    /// When the notifications of the last minute went out.
    sent: VecDeque<i64>,
    /// Resolved alerts not told yet.
    resolved: Vec<AlertChange>,
    last_resolved_ms: Option<i64>,
}

/// `name` for one subject, `n × name` for more, with the first few named.
fn grouped(name: &str, changes: &[&AlertChange]) -> (String, String) {
    let subjects: Vec<&str> = changes.iter().filter_map(|c| c.subject.as_deref()).collect();
    let title = if changes.len() == 1 {
        match subjects.first() {
            Some(s) => format!("{name}: {s}"),
            None => name.to_string(),
        }
    } else {
        format!("{name}: {} at once", changes.len())
    };
    let body = match subjects.len() {
        0 | 1 => String::new(),
        n if n <= 5 => subjects.join(", "),
        n => format!("{} and {} more", subjects[..5].join(", "), n - 5),
    };
    (title, body)
}

impl Notifier {
    pub fn new(quiet: Quiet) -> Notifier {
        Notifier {
            quiet,
            ..Notifier::default()
        }
    }

    /// Whether resolved alerts wait to be told.
    pub fn has_pending(&self) -> bool {
        !self.resolved.is_empty()
    }

    /// The notifications for this second's changes (`silenced`: an alert
    /// a person silenced, which sends nothing).
    pub fn plan(
        &mut self,
        changes: &[AlertChange],
        silenced: impl Fn(&AlertChange) -> bool,
        now_ms: i64,
    ) -> Vec<Notice> {
        let mut fired: BTreeMap<&str, Vec<&AlertChange>> = BTreeMap::new();
        for c in changes.iter().filter(|c| c.severity > Severity::Info && !silenced(c)) {
            match c.change {
                Change::Fired => fired.entry(c.rule.as_str()).or_default().push(c),
                Change::Resolved => self.resolved.push(c.clone()),
                Change::Pending | Change::Withdrawn => {}
            }
        }
        let mut notices: Vec<Notice> = fired
            .values()
            .map(|group| {
                let (title, body) = grouped(&group[0].rule_name, group);
                Notice {
                    title,
                    body,
                    severity: group.iter().map(|c| c.severity).max().unwrap_or(Severity::Info),
                    fingerprints: group.iter().map(|c| c.fingerprint.clone()).collect(),
                }
            })
            .collect();
        // The worst first, when the minute's room runs out.
        notices.sort_by_key(|n| std::cmp::Reverse(n.severity));
        let due = self
            .last_resolved_ms
            .is_none_or(|last| now_ms - last >= self.quiet.resolved_every_ms);
        if !self.resolved.is_empty() && due {
            let told = std::mem::take(&mut self.resolved);
            let refs: Vec<&AlertChange> = told.iter().collect();
            let (title, body) = if told.len() == 1 {
                grouped(&format!("Resolved: {}", told[0].rule_name), &refs)
            } else {
                (format!("{} alerts resolved", told.len()), String::new())
            };
            notices.push(Notice {
                title,
                body,
                severity: Severity::Info,
                fingerprints: told.iter().map(|c| c.fingerprint.clone()).collect(),
            });
            self.last_resolved_ms = Some(now_ms);
        }
        self.limit(notices, now_ms)
    }

    /// At most `per_minute` in any minute; what does not fit is summed up
    /// in the last place there is.
    fn limit(&mut self, mut notices: Vec<Notice>, now_ms: i64) -> Vec<Notice> {
        while self.sent.front().is_some_and(|at| now_ms - at >= 60_000) {
            self.sent.pop_front();
        }
        let room = self.quiet.per_minute.saturating_sub(self.sent.len());
        if notices.len() > room {
            let keep = room.saturating_sub(1);
            let over: Vec<Notice> = notices.split_off(keep);
            if room > 0 {
                notices.push(Notice {
                    title: format!("{} more alerts", over.len()),
                    body: "See the Security view.".into(),
                    severity: over.iter().map(|n| n.severity).max().unwrap_or(Severity::Info),
                    fingerprints: over.into_iter().flat_map(|n| n.fingerprints).collect(),
                });
            }
        }
        self.sent.extend(std::iter::repeat_n(now_ms, notices.len()));
        notices
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn died(agent: &str) -> AlertChange {
        AlertChange {
            fingerprint: format!("container_died:{agent}"),
            rule: "container_died".into(),
            rule_name: "Agent container died".into(),
            subject: Some(agent.into()),
            severity: Severity::Critical,
            detail: None,
            change: Change::Fired,
        }
    }

    fn resolved(mut c: AlertChange) -> AlertChange {
        c.change = Change::Resolved;
        c
    }

    fn agents(n: usize) -> Vec<AlertChange> {
        (1..=n).map(|i| died(&format!("AG-{i:03}"))).collect()
    }

    #[test]
    fn twenty_dead_agents_are_one_notification_that_says_twenty() {
        let mut n = Notifier::default();
        let notices = n.plan(&agents(20), |_| false, 0);
        assert_eq!(notices.len(), 1);
        assert_eq!(notices[0].title, "Agent container died: 20 at once");
        assert_eq!(notices[0].body, "AG-001, AG-002, AG-003, AG-004, AG-005 and 15 more");
        assert_eq!(notices[0].fingerprints.len(), 20);
        assert_eq!(notices[0].severity, Severity::Critical);
    }

    #[test]
    fn one_alert_names_its_subject() {
        let mut n = Notifier::default();
        let notices = n.plan(&agents(1), |_| false, 0);
        assert_eq!(notices[0].title, "Agent container died: AG-001");
        assert_eq!(notices[0].body, "");
    }

    #[test]
    fn resolved_alerts_are_told_together_once_a_minute() {
        let mut n = Notifier::default();
        n.plan(&agents(3), |_| false, 0);
        let first = n.plan(&[resolved(died("AG-001"))], |_| false, 1_000);
        assert_eq!(first.len(), 1, "the first resolve goes out");
        assert_eq!(first[0].title, "Resolved: Agent container died: AG-001");
        let held = n.plan(&[resolved(died("AG-002"))], |_| false, 2_000);
        assert!(held.is_empty(), "within the minute: held");
        let held = n.plan(&[resolved(died("AG-003"))], |_| false, 30_000);
        assert!(held.is_empty());
        let batch = n.plan(&[], |_| false, 61_000);
        assert_eq!(batch.len(), 1);
        assert_eq!(batch[0].title, "2 alerts resolved");
    }

    #[test]
    fn silenced_alerts_send_nothing() {
        let mut n = Notifier::default();
        let notices = n.plan(&agents(3), |c| c.subject.as_deref() != Some("AG-002"), 0);
        assert_eq!(notices.len(), 1);
        assert_eq!(notices[0].title, "Agent container died: AG-002");
    }

    #[test]
    fn at_most_five_a_minute_the_rest_summed_up() {
        let mut n = Notifier::default();
        let rule = |i: usize| AlertChange {
            rule: format!("rule-{i}"),
            rule_name: format!("Rule {i}"),
            fingerprint: format!("rule-{i}"),
            subject: None,
            severity: if i == 7 { Severity::Critical } else { Severity::Warning },
            detail: None,
            change: Change::Fired,
        };
        let eight: Vec<AlertChange> = (0..8).map(rule).collect();
        let notices = n.plan(&eight, |_| false, 0);
        assert_eq!(notices.len(), 5);
        assert_eq!(notices[0].title, "Rule 7", "the worst goes first");
        assert_eq!(notices[4].title, "4 more alerts");
        assert_eq!(notices[4].fingerprints.len(), 4);
        // The minute is full: nothing more until it has passed.
        assert!(n.plan(&[rule(9)], |_| false, 30_000).is_empty());
        assert_eq!(n.plan(&[rule(10)], |_| false, 60_000).len(), 1);
    }

    #[test]
    fn info_alerts_stay_in_the_window() {
        let mut n = Notifier::default();
        let mut restarted = died("AG-001");
        restarted.rule = "agent_restarted".into();
        restarted.severity = Severity::Info;
        assert!(n.plan(&[restarted.clone()], |_| false, 0).is_empty());
        assert!(n.plan(&[resolved(restarted)], |_| false, 120_000).is_empty());
    }
}
