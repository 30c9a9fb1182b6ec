//! Alerts (issue 22, first part): what a rule watches and the life of each
//! alert it raises. Pure so far: rules are evaluated against values the
//! caller reads (from the metrics history and the subsystems' events), and
//! each step says what changed.
//!
//! - `rules.rs`: what a rule watches (a series' mean or a ratio of sums,
//!   for the fleet or each agent) and seed 001's defaults;
//! - `lifecycle.rs`: pending → firing → resolved, with for-time,
//!   hysteresis and keep-firing;
//! - `notify.rs`: which desktop notifications a second's changes become;
//! - `evaluate.rs`: one round of every rule, for the fleet and each
//!   agent, with what changed (an agent gone resolves its alerts);
//! - `anomaly.rs`: a series against its own rolling baseline (EWMA mean
//!   and variance, warm-up, spread floors, level shifts absorbed);
//! - `model.rs` and `journal.rs`: an alert as kept in SQLite and shown.
//!
//! `engine/alerts.rs` evaluates seed 001's default rules every 5 s from
//! the metrics history, records each alert and offers the notifications.
//!
//! Still to come: the rules' storage and editing, the loop that feeds the
//! evaluator from the metrics history and the events (event rules), persisted alerts, notifications
//! through the shell, the Security view.

pub mod anomaly;
pub mod evaluate;
pub mod event_kind;
pub mod events;
pub mod journal;
pub mod lifecycle;
pub mod model;
pub mod notify;
pub mod rules;
