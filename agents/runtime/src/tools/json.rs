//! JSON validation with the position of the first error.

use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JsonReport {
    pub valid: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<JsonProblem>,
    /// The top-level type when valid: object, array, string, number, bool, null.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<&'static str>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JsonProblem {
    pub message: String,
    pub line: usize,
    pub column: usize,
}

pub fn validate(text: &str) -> JsonReport {
    match serde_json::from_str::<Value>(text) {
        Ok(value) => JsonReport {
            valid: true,
            error: None,
            kind: Some(kind(&value)),
        },
        Err(err) => JsonReport {
            valid: false,
            error: Some(JsonProblem {
                message: err.to_string(),
                line: err.line(),
                column: err.column(),
            }),
            kind: None,
        },
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The JSON value in a model's answer: a fenced ```json block, the whole
/// text, or the outermost `{…}`/`[…]` inside it.
pub fn extract(text: &str) -> Result<Value, String> {
    let fenced = super::code::extract(text)
        .into_iter()
        .find(|(lang, _)| lang.as_deref().is_none_or(|l| l == "json"));
    let mut candidates: Vec<&str> = Vec::new();
    if let Some((_, code)) = &fenced {
        candidates.push(code);
    }
    candidates.push(text.trim());
    for (open, close) in [('{', '}'), ('[', ']')] {
        if let (Some(start), Some(end)) = (text.find(open), text.rfind(close)) {
            if start < end {
                candidates.push(&text[start..=end]);
            }
        }
    }
    let mut first_error = None;
    for candidate in candidates {
        match serde_json::from_str(candidate) {
            Ok(value) => return Ok(value),
            Err(err) => {
                first_error.get_or_insert(err);
            }
        }
    }
    Err(match first_error {
        Some(err) => format!("the answer is not JSON: {err}"),
        None => "the answer is empty".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_where_json_breaks() {
        let r = validate("{\n  \"a\": 1,\n  \"b\": }");
        assert!(!r.valid);
        let e = r.error.unwrap();
        assert_eq!((e.line, e.column), (3, 8));
        assert_eq!(validate("[1,2]").kind, Some("array"));
    }

    #[test]
    fn extracts_json_from_answers() {
        assert_eq!(extract("```json\n{\"a\":1}\n```").unwrap()["a"], 1);
        assert_eq!(
            extract("Sure! Here it is: {\"a\": [1]} Hope it helps.").unwrap()["a"][0],
            1
        );
        assert_eq!(extract("  [1, 2]  ").unwrap()[1], 2);
        assert!(extract("no json here")
            .unwrap_err()
            .starts_with("the answer is not JSON"));
    }
}
