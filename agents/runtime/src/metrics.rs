//! `GET /metrics`: Prometheus text (tasks by status, duration histogram,
//! active tasks).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StatusLabel {
    pub status: &'static str,
}

pub struct Metrics {
    registry: Registry,
    pub tasks: Family<StatusLabel, Counter>,
    pub duration: Histogram,
    pub active: Gauge,
}

impl Metrics {
    pub fn new(agent_id: &str) -> Metrics {
        let mut registry = Registry::with_prefix_and_labels(
            "sutazai_agent",
            [(
                std::borrow::Cow::Borrowed("agent_id"),
                std::borrow::Cow::Owned(agent_id.to_string()),
            )]
            .into_iter(),
        );
        let tasks = Family::<StatusLabel, Counter>::default();
        let duration = Histogram::new([0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0]);
        let active = Gauge::default();
        registry.register("tasks", "Tasks answered, by status", tasks.clone());
        registry.register("task_duration_seconds", "Time from request to answer", duration.clone());
        registry.register("active_tasks", "Tasks running now", active.clone());
        Metrics {
            registry,
            tasks,
            duration,
            active,
        }
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}
