//! Alerts (issue 22, first part): what a rule watches and the life of each
//! alert it raises. Pure so far: rules are evaluated against values the
//! caller reads (from the metrics history and the subsystems' events), and
//! each step says what changed.
//!
//! Still to come: the rule table and its storage, the evaluation loop,
//! persisted alerts and notifications, the Security view.

pub mod lifecycle;
pub mod notify;
