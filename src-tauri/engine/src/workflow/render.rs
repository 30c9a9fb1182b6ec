//! What a step's templates become when the step starts: its input with
//! every template rendered, its `when` decided, its `forEach` items; and a
//! run's inputs checked against the declaration with defaults applied.
//! Pure; strict (a name that does not resolve is an error naming it).

use std::collections::HashMap;

use minijinja::{Environment, UndefinedBehavior};
use serde_json::{Map, Value};

use super::model::{Input, ValueType};

/// What a step's templates see.
#[derive(Debug, Default, Clone, Copy)]
pub struct Scope<'a> {
    /// The run's inputs, defaults applied.
    pub inputs: Option<&'a Map<String, Value>>,
    /// Each ended step's output, by step id.
    pub outputs: Option<&'a HashMap<String, Value>>,
    /// The run's shared context.
    pub context: Option<&'a Map<String, Value>>,
    /// The item of a `forEach` step.
    pub item: Option<&'a Value>,
}

/// A template that could not be rendered: where, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct RenderError {
    pub path: String,
    pub message: String,
}

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env
}

/// A step as templates see it: `steps.<id>.output`.
#[derive(serde::Serialize)]
struct StepView<'a> {
    output: &'a Value,
}

/// What templates see, converted straight from the scope's borrowed values
/// (a run's outputs can be large, and every step start renders).
fn context(scope: &Scope<'_>) -> minijinja::Value {
    let empty = Map::new();
    let steps: HashMap<&str, StepView<'_>> = scope
        .outputs
        .map(|o| {
            o.iter()
                .map(|(id, output)| (id.as_str(), StepView { output }))
                .collect()
        })
        .unwrap_or_default();
    minijinja::context! {
        inputs => minijinja::Value::from_serialize(scope.inputs.unwrap_or(&empty)),
        steps => minijinja::Value::from_serialize(steps),
        context => minijinja::Value::from_serialize(scope.context.unwrap_or(&empty)),
        item => scope.item.map(minijinja::Value::from_serialize),
    }
}

fn to_json(value: &minijinja::Value) -> Result<Value, String> {
    serde_json::to_value(value).map_err(|e| e.to_string())
}

/// The expression of a string that is one `{{ … }}` and nothing else.
fn whole_expression(text: &str) -> Option<&str> {
    let inner = text.trim().strip_prefix("{{")?.strip_suffix("}}")?;
    (!inner.contains("{{") && !inner.contains("}}")).then(|| inner.trim())
}

/// A step's input with every string rendered. A string that is a single
/// `{{ expr }}` becomes the expression's value (a list stays a list);
/// other strings become the rendered text.
pub fn input(input: &Value, scope: &Scope<'_>) -> Result<Value, RenderError> {
    let env = environment();
    let ctx = context(scope);
    walk(input, "input".into(), &env, &ctx)
}

fn walk(value: &Value, path: String, env: &Environment<'_>, ctx: &minijinja::Value) -> Result<Value, RenderError> {
    let fail = |message: String| RenderError {
        path: path.clone(),
        message,
    };
    Ok(match value {
        Value::String(text) if !text.contains("{{") && !text.contains("{%") => value.clone(),
        Value::String(text) => match whole_expression(text) {
            Some(expr) => {
                let compiled = env.compile_expression(expr).map_err(|e| fail(e.to_string()))?;
                let out = compiled.eval(ctx).map_err(|e| fail(e.to_string()))?;
                if out.is_undefined() {
                    return Err(fail(format!("`{expr}` is undefined")));
                }
                to_json(&out).map_err(fail)?
            }
            None => Value::String(env.render_str(text, ctx).map_err(|e| fail(e.to_string()))?),
        },
        Value::Array(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| walk(item, format!("{path}[{i}]"), env, ctx))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, item)| Ok((key.clone(), walk(item, format!("{path}.{key}"), env, ctx)?)))
                .collect::<Result<_, RenderError>>()?,
        ),
        other => other.clone(),
    })
}

fn evaluate(expr: &str, field: &str, scope: &Scope<'_>) -> Result<minijinja::Value, RenderError> {
    let fail = |message: String| RenderError {
        path: field.to_string(),
        message,
    };
    let env = environment();
    let compiled = env.compile_expression(expr).map_err(|e| fail(e.to_string()))?;
    compiled.eval(context(scope)).map_err(|e| fail(e.to_string()))
}

/// Whether a step's `when` holds.
pub fn condition(expr: &str, scope: &Scope<'_>) -> Result<bool, RenderError> {
    Ok(evaluate(expr, "when", scope)?.is_true())
}

/// The items a `forEach` step runs over: `over` must yield a list.
pub fn items(over: &str, scope: &Scope<'_>) -> Result<Vec<Value>, RenderError> {
    let value = evaluate(over, "kind.over", scope)?;
    match to_json(&value) {
        Ok(Value::Array(items)) => Ok(items),
        Ok(other) => Err(RenderError {
            path: "kind.over".into(),
            message: format!("`{over}` is not a list: {other}"),
        }),
        Err(message) => Err(RenderError {
            path: "kind.over".into(),
            message,
        }),
    }
}

/// A run's inputs as given, checked against the declaration: every
/// required one present, each of its declared type, no undeclared ones;
/// defaults filled in. Every problem names the input.
pub fn inputs(declared: &[Input], given: &Map<String, Value>) -> Result<Map<String, Value>, Vec<RenderError>> {
    let mut out = Map::new();
    let mut problems = Vec::new();
    let fail = |name: &str, message: String| RenderError {
        path: format!("inputs.{name}"),
        message,
    };
    for name in given.keys() {
        if !declared.iter().any(|d| &d.name == name) {
            let known: Vec<&str> = declared.iter().map(|d| d.name.as_str()).collect();
            problems.push(fail(
                name,
                format!("not an input of this workflow; it takes {}", known.join(", ")),
            ));
        }
    }
    for input in declared {
        match given.get(&input.name).or(input.default.as_ref()) {
            Some(value) if fits(input.kind, value) => {
                out.insert(input.name.clone(), value.clone());
            }
            Some(value) => problems.push(fail(
                &input.name,
                format!("expected {:?}, found {value}", input.kind).to_lowercase(),
            )),
            None if input.required => problems.push(fail(&input.name, "required".into())),
            None => {}
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

fn fits(kind: ValueType, value: &Value) -> bool {
    match kind {
        ValueType::String => value.is_string(),
        ValueType::Number => value.is_number(),
        ValueType::Boolean => value.is_boolean(),
        ValueType::List => value.is_array(),
        ValueType::Object => value.is_object(),
        ValueType::Any => true,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn map(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn a_whole_expression_keeps_its_type_and_text_is_rendered() {
        let inputs = map(json!({"topic": "bees", "files": ["a.py", "b.py"]}));
        let outputs = HashMap::from([("scan".to_string(), json!({"issues": 3, "text": "ok"}))]);
        let scope = Scope {
            inputs: Some(&inputs),
            outputs: Some(&outputs),
            ..Scope::default()
        };
        let out = input(
            &json!({
                "files": "{{ inputs.files }}",
                "count": "{{ steps.scan.output.issues }}",
                "text": "About {{ inputs.topic }}: {{ steps.scan.output.issues }} issues",
                "json": "{{ steps.scan.output | tojson }}",
                "plain": "no template",
                "n": 7
            }),
            &scope,
        )
        .unwrap();
        assert_eq!(out["files"], json!(["a.py", "b.py"]));
        assert_eq!(out["count"], json!(3));
        assert_eq!(out["text"], json!("About bees: 3 issues"));
        assert_eq!(out["json"], json!("{\"issues\":3,\"text\":\"ok\"}"));
        assert_eq!(
            (out["plain"].clone(), out["n"].clone()),
            (json!("no template"), json!(7))
        );
    }

    #[test]
    fn a_missing_name_is_an_error_naming_where() {
        let inputs = map(json!({"topic": "bees"}));
        let scope = Scope {
            inputs: Some(&inputs),
            ..Scope::default()
        };
        for template in [
            json!({"a": {"b": ["{{ steps.scan.output }}"]}}),
            json!({"a": {"b": ["x {{ inputs.nope }}"]}}),
        ] {
            let err = input(&template, &scope).unwrap_err();
            assert_eq!(err.path, "input.a.b[0]", "{err}");
        }
    }

    #[test]
    fn conditions_and_items() {
        let outputs = HashMap::from([("check".to_string(), json!({"ok": false, "rows": [1, 2, 3]}))]);
        let item = json!("a.py");
        let scope = Scope {
            outputs: Some(&outputs),
            item: Some(&item),
            ..Scope::default()
        };
        assert!(!condition("steps.check.output.ok", &scope).unwrap());
        assert!(condition("steps.check.output.rows | length > 2", &scope).unwrap());
        assert_eq!(
            items("steps.check.output.rows", &scope).unwrap(),
            vec![json!(1), json!(2), json!(3)]
        );
        assert!(items("steps.check.output.ok", &scope)
            .unwrap_err()
            .message
            .contains("is not a list"));
        assert_eq!(input(&json!("{{ item }}"), &scope).unwrap(), json!("a.py"));
    }

    #[test]
    fn run_inputs_are_checked_and_defaulted() {
        let declared: Vec<Input> = serde_json::from_value(json!([
            {"name": "code", "type": "string", "required": true},
            {"name": "language", "type": "string", "default": "python"},
            {"name": "files", "type": "list"}
        ]))
        .unwrap();
        let ok = inputs(&declared, &map(json!({"code": "x = 1"}))).unwrap();
        assert_eq!(ok, map(json!({"code": "x = 1", "language": "python"})));
        let errors: Vec<String> = inputs(&declared, &map(json!({"files": "a.py", "colour": 1})))
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            errors,
            [
                "inputs.colour: not an input of this workflow; it takes code, language, files",
                "inputs.code: required",
                "inputs.files: expected list, found \"a.py\"",
            ]
        );
    }
}
