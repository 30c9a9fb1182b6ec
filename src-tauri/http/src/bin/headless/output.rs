//! How answers are printed: one JSON document with `--json`, else compact
//! aligned tables and `key: value` lines, coloured only on a terminal
//! (console turns colours off when stdout is not one, or `NO_COLOR` is set).

use console::style;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::client::Failure;

/// `println!` for the answers on stdout: a reader that went away (`| head`)
/// ends the command quietly instead of panicking.
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::output::write(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// Writes to stdout; exits 0 when the reader has gone (a broken pipe).
pub fn write(text: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    if let Err(err) = stdout.write_fmt(text).and_then(|()| stdout.flush()) {
        if err.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
    }
}

/// Prints `value` as one JSON document on stdout.
pub fn json(value: &Value) {
    match serde_json::to_string_pretty(value) {
        Ok(text) => crate::out!("{text}"),
        // A Value always serialises; print it compact if it somehow does not.
        Err(_) => crate::out!("{value}"),
    }
}

/// `value` read as the engine's type `T` (the shapes live in the engine
/// crate); an answer of another shape names the type it should have been.
pub fn typed<T: DeserializeOwned>(value: &Value, what: &str) -> Result<T, Failure> {
    T::deserialize(value).map_err(|err| Failure::Local(format!("the answer is not {what}: {err}")))
}

/// Rows under a header, each column as wide as its widest cell.
pub struct Table {
    header: Vec<&'static str>,
    rows: Vec<Vec<Cell>>,
}

/// A cell: its text, and its colour on a terminal.
pub struct Cell {
    text: String,
    tone: Tone,
}

/// What a status means, for its colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Plain,
    Good,
    Busy,
    Bad,
    Dim,
}

impl From<String> for Cell {
    fn from(text: String) -> Cell {
        Cell {
            text,
            tone: Tone::Plain,
        }
    }
}

impl From<&str> for Cell {
    fn from(text: &str) -> Cell {
        Cell::from(text.to_string())
    }
}

impl Cell {
    /// A status, coloured by what it means.
    pub fn status(text: &str) -> Cell {
        Cell::toned(text.to_string(), tone_of(text))
    }

    pub fn toned(text: String, tone: Tone) -> Cell {
        Cell { text, tone }
    }
}

impl Table {
    pub fn new(header: Vec<&'static str>) -> Table {
        Table {
            header,
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<Cell>) {
        self.rows.push(cells);
    }

    /// Prints the table on stdout, or `empty` on stderr when it has no row.
    pub fn print(&self, empty: &str) {
        if self.rows.is_empty() {
            eprintln!("{empty}");
            return;
        }
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate() {
                if let Some(width) = widths.get_mut(i) {
                    *width = (*width).max(cell.text.chars().count());
                }
            }
        }
        let header: Vec<String> = self
            .header
            .iter()
            .zip(&widths)
            .map(|(h, w)| format!("{h:<w$}"))
            .collect();
        crate::out!("{}", style(header.join("  ").trim_end()).bold());
        for row in &self.rows {
            let cells: Vec<String> = row
                .iter()
                .zip(&widths)
                .map(|(cell, w)| paint(&format!("{:<w$}", cell.text), cell.tone))
                .collect();
            crate::out!("{}", cells.join("  ").trim_end());
        }
    }
}

/// `text` in the colour of `tone` (none off a terminal).
pub fn paint(text: &str, tone: Tone) -> String {
    match tone {
        Tone::Plain => text.to_string(),
        Tone::Good => style(text).green().to_string(),
        Tone::Busy => style(text).yellow().to_string(),
        Tone::Bad => style(text).red().to_string(),
        Tone::Dim => style(text).dim().to_string(),
    }
}

/// The tone of a status word the engine uses.
pub fn tone_of(status: &str) -> Tone {
    match status {
        "healthy" | "succeeded" | "ok" | "live" | "resolved" | "unchanged" | "delivered" | "replied" => Tone::Good,
        "starting" | "queued" | "dispatched" | "running" | "waiting" | "paused" | "creating" | "pending"
        | "warning" | "retrying" | "requeued" => Tone::Busy,
        "unhealthy" | "failed" | "dead" | "flapping" | "critical" | "down" | "rolled_back" => Tone::Bad,
        "not_deployed" | "cancelled" | "stopped" | "unknown" | "info" | "expired" => Tone::Dim,
        _ => Tone::Plain,
    }
}

/// Prints an object as `key: value` lines, nested objects as
/// `outer.inner: value`, arrays of scalars joined with commas.
pub fn fields(value: &Value) {
    let mut lines = Vec::new();
    flatten("", value, &mut lines);
    let width = lines.iter().map(|(k, _)| k.chars().count()).max().unwrap_or(0);
    for (key, text) in lines {
        let tone = tone_of(&text);
        crate::out!("{}  {}", style(format!("{key:<width$}")).bold(), paint(&text, tone));
    }
}

fn flatten(prefix: &str, value: &Value, lines: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, inner) in map {
                let key = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                flatten(&key, inner, lines);
            }
        }
        Value::Array(items) if !items.is_empty() && items.iter().all(|v| counted(v).is_some()) => {
            let texts: Vec<String> = items.iter().filter_map(counted).collect();
            lines.push((prefix.to_string(), texts.join(", ")));
        }
        Value::Array(items) if items.iter().all(|v| !v.is_object() && !v.is_array()) => {
            let texts: Vec<String> = items.iter().map(scalar).collect();
            lines.push((prefix.to_string(), texts.join(", ")));
        }
        Value::Array(items) => {
            for (i, inner) in items.iter().enumerate() {
                flatten(&format!("{prefix}[{i}]"), inner, lines);
            }
        }
        other => lines.push((prefix.to_string(), scalar(other))),
    }
}

/// `{"status": "healthy", "count": 20}` as `healthy 20`: a count and one
/// other scalar field.
fn counted(value: &Value) -> Option<String> {
    let map = value.as_object()?;
    let count = map.get("count")?;
    let mut others = map.iter().filter(|(key, _)| *key != "count");
    let (_, what) = others.next()?;
    if others.next().is_some() || what.is_object() || what.is_array() {
        return None;
    }
    Some(format!("{} {}", scalar(what), scalar(count)))
}

/// A scalar as text: strings without quotes, null as `-`.
pub fn scalar(value: &Value) -> String {
    match value {
        Value::Null => "-".to_string(),
        Value::String(text) => text.clone(),
        Value::Object(map) if map.is_empty() => "{}".to_string(),
        other => other.to_string(),
    }
}

/// `value`'s field `key` as text (`-` when absent).
pub fn field(value: &Value, key: &str) -> String {
    value.get(key).map_or_else(|| "-".to_string(), scalar)
}

/// A duration in ms as `850ms`, `12.3s` or `4m05s`.
pub fn millis(ms: i64) -> String {
    match ms {
        ms if ms < 1_000 => format!("{ms}ms"),
        ms if ms < 60_000 => format!("{:.1}s", ms as f64 / 1000.0),
        ms => format!("{}m{:02}s", ms / 60_000, (ms % 60_000) / 1000),
    }
}

/// An optional text as a cell text.
pub fn or_dash(text: Option<&str>) -> String {
    text.unwrap_or("-").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_objects_flatten_to_dotted_keys() {
        let mut lines = Vec::new();
        flatten(
            "",
            &json!({
                "docker": {"ok": true, "version": "27"},
                "tags": ["a", "b"],
                "none": null,
                "agents": [{"status": "healthy", "count": 20}, {"status": "not_deployed", "count": 49}],
            }),
            &mut lines,
        );
        let keys: Vec<_> = lines.iter().map(|(k, v)| format!("{k}={v}")).collect();
        assert_eq!(
            keys,
            [
                "agents=healthy 20, not_deployed 49",
                "docker.ok=true",
                "docker.version=27",
                "none=-",
                "tags=a, b"
            ]
        );
    }

    #[test]
    fn durations_read_at_a_glance() {
        assert_eq!(millis(850), "850ms");
        assert_eq!(millis(12_345), "12.3s");
        assert_eq!(millis(245_000), "4m05s");
    }
}
