//! The card rules of webex-api.md "Cards", checked on every card the tests build.

use super::*;

/// The rules of webex-api.md "Cards" that a card's `content` breaks (see [`Card`]).
pub fn content_rule_violations(content: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    if content.get("type").and_then(Value::as_str) != Some("AdaptiveCard") {
        problems.push("the root is not an AdaptiveCard".into());
    }
    if content.get("version").and_then(Value::as_str) != Some(CARD_VERSION) {
        problems.push(format!("the version is not {CARD_VERSION}"));
    }
    let mut ids = Vec::new();
    walk(content, &mut ids, &mut problems);
    let mut sorted = ids.clone();
    sorted.sort();
    sorted.dedup();
    if sorted.len() != ids.len() {
        problems.push(format!("input ids repeat: {ids:?}"));
    }
    problems
}

fn walk(value: &Value, ids: &mut Vec<String>, problems: &mut Vec<String>) {
    match value {
        Value::Array(items) => items.iter().for_each(|v| walk(v, ids, problems)),
        Value::Object(object) => {
            check_object(object, ids, problems);
            object.values().for_each(|v| walk(v, ids, problems));
        }
        _ => {}
    }
}

fn check_object(object: &Map<String, Value>, ids: &mut Vec<String>, problems: &mut Vec<String>) {
    let kind = object.get("type").and_then(Value::as_str).unwrap_or("");
    let text = |key: &str| {
        object
            .get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.trim().is_empty())
    };
    if let Some(actions) = object.get("actions").and_then(Value::as_array) {
        if actions.len() > MAX_ACTIONS_PER_SET {
            problems.push(format!(
                "{} actions in one set (at most {MAX_ACTIONS_PER_SET})",
                actions.len()
            ));
        }
    }
    if kind.starts_with("Input.") {
        let id = text("id");
        match id {
            Some(id) => ids.push(id.to_string()),
            None => problems.push(format!("an {kind} has no id")),
        }
        if text("label").is_none() {
            problems.push(format!("the input {} has no label", id.unwrap_or("?")));
        }
    }
    if kind == "Input.Number" {
        let id = text("id").unwrap_or("?");
        if object.get("isRequired").and_then(Value::as_bool) != Some(true) {
            problems.push(format!("the number input {id} is not required"));
        }
        for bound in ["min", "max"] {
            if !object.get(bound).is_some_and(Value::is_number) {
                problems.push(format!("the number input {id} has no {bound}"));
            }
        }
        if text("errorMessage").is_none() {
            problems.push(format!("the number input {id} has no errorMessage"));
        }
    }
    if kind == "Action.Submit" && !object.get("data").is_some_and(Value::is_object) {
        problems.push("a submit action carries no data object".into());
    }
}
