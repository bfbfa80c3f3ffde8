//! MLflow's trace filter grammar: comparisons joined by `AND`.
//!
//! ```text
//! trace.name = 'agent' AND tags.env != 'dev' AND trace.timestamp_ms > 1700000000000
//! metadata.`mlflow.trace.user` IN ('ann', 'bob') AND span.type = 'LLM'
//! feedback.relevance = 'yes' AND tags.topic LIKE '%billing%'
//! ```
//!
//! Entities: `trace`/`attribute`/`attributes` (or none) with `name`, `status` (the trace's
//! state), `request_id`, `client_request_id`, `run_id`, `timestamp_ms` (`timestamp`),
//! `execution_time_ms` (`execution_time`), `end_time_ms` (`end_time`); `tag`/`tags`;
//! `metadata`/`request_metadata`; `span` (`name`, `type`, `status`); `feedback`;
//! `expectation`. Operators and value types per field are MLflow 3's: a filter MLflow refuses
//! is refused here with an invalid-argument error.

use super::tokens::{tokenize, Tok};
use crate::error::{Error, Result};

/// What a comparison looks at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Field {
    /// A trace attribute: `name`, `status`, `request_id`, `timestamp_ms`, `execution_time_ms`,
    /// `run_id`.
    Attr(String),
    Tag(String),
    Metadata(String),
    /// `span.name` or `span.type`.
    Span(String),
    Feedback(String),
    Expectation(String),
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Like,
    ILike,
    In,
    NotIn,
    RLike,
    IsNull,
    IsNotNull,
}

impl Op {
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Like => "LIKE",
            Op::ILike => "ILIKE",
            Op::In => "IN",
            Op::NotIn => "NOT IN",
            Op::RLike => "RLIKE",
            Op::IsNull => "IS NULL",
            Op::IsNotNull => "IS NOT NULL",
        }
    }
}

/// The right-hand side.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Str(String),
    Num(f64),
    List(Vec<String>),
    /// No value (`IS NULL`, `IS NOT NULL`).
    None,
}

/// One comparison.
#[derive(Clone, Debug, PartialEq)]
pub struct Clause {
    pub field: Field,
    pub op: Op,
    pub value: Value,
}

/// A parsed filter: every clause must hold.
pub type Filter = Vec<Clause>;

fn invalid(msg: impl Into<String>) -> Error {
    Error::InvalidArgument(msg.into())
}

const ATTRS: &[&str] = &[
    "request_id",
    "timestamp",
    "timestamp_ms",
    "execution_time",
    "execution_time_ms",
    "end_time",
    "end_time_ms",
    "status",
    "client_request_id",
    "name",
    "run_id",
    "prompt",
    "text",
];
/// String attributes that take `IN` / `NOT IN`.
const IN_ATTRS: &[&str] = &[
    "name",
    "status",
    "request_id",
    "run_id",
    "client_request_id",
];
const NUMERIC: &[&str] = &["timestamp_ms", "execution_time_ms", "end_time_ms"];

/// Parses and checks a filter as MLflow does; `""` or blank is no filter.
pub fn parse(filter: &str) -> Result<Filter> {
    let toks = tokenize(filter)?;
    let mut out = Vec::new();
    let mut i = 0;
    let bad = |what: &str| invalid(format!("Invalid clause(s) in filter string: {what}"));
    while i < toks.len() {
        let Tok::Ident(ident) = &toks[i] else {
            return Err(bad(&format!("'{filter}'")));
        };
        i += 1;
        // The operator.
        let op = match toks.get(i) {
            Some(Tok::Sym("==")) => return Err(bad(&format!("'{filter}' ('==' is not SQL)"))),
            Some(Tok::Sym(s)) => match *s {
                "=" => Op::Eq,
                "!=" => Op::Ne,
                "<" => Op::Lt,
                "<=" => Op::Le,
                ">" => Op::Gt,
                ">=" => Op::Ge,
                _ => return Err(bad(&format!("'{filter}'"))),
            },
            Some(Tok::Ident(w)) => match w.to_ascii_uppercase().as_str() {
                "LIKE" => Op::Like,
                "ILIKE" => Op::ILike,
                "RLIKE" => Op::RLike,
                "IN" => Op::In,
                "IS" => {
                    let not = matches!(toks.get(i + 1), Some(Tok::Ident(w)) if w.eq_ignore_ascii_case("NOT"));
                    let null_at = i + 1 + usize::from(not);
                    match toks.get(null_at) {
                        Some(Tok::Ident(w)) if w.eq_ignore_ascii_case("NULL") => {
                            i = null_at;
                            if not {
                                Op::IsNotNull
                            } else {
                                Op::IsNull
                            }
                        }
                        _ => return Err(bad(&format!("'{filter}'"))),
                    }
                }
                "NOT" => match toks.get(i + 1) {
                    Some(Tok::Ident(w2)) if w2.eq_ignore_ascii_case("IN") => {
                        i += 1;
                        Op::NotIn
                    }
                    _ => return Err(bad(&format!("'{filter}'"))),
                },
                _ => return Err(bad(&format!("'{filter}'"))),
            },
            _ => return Err(bad(&format!("'{ident}' has no comparison"))),
        };
        i += 1;
        let value = match toks.get(i) {
            _ if matches!(op, Op::IsNull | Op::IsNotNull) => Value::None,
            Some(Tok::Str(s)) | Some(Tok::DStr(s)) => {
                i += 1;
                Value::Str(s.clone())
            }
            Some(Tok::Num(n)) => {
                i += 1;
                Value::Num(n.parse().map_err(|_| bad(&format!("bad number {n}")))?)
            }
            Some(Tok::LParen) => {
                i += 1;
                let mut items = Vec::new();
                loop {
                    match toks.get(i) {
                        Some(Tok::Str(s)) | Some(Tok::DStr(s)) => items.push(s.clone()),
                        _ => {
                            return Err(invalid(
                                "While parsing a list in the query, expected string value, punctuation, or whitespace, but got different type in list",
                            ))
                        }
                    }
                    i += 1;
                    match toks.get(i) {
                        Some(Tok::Comma) => i += 1,
                        Some(Tok::RParen) => {
                            i += 1;
                            break;
                        }
                        _ => return Err(bad(&format!("'{filter}': unclosed list"))),
                    }
                }
                Value::List(items)
            }
            Some(Tok::Ident(v)) => {
                return Err(invalid(format!(
                    "Expected a quoted string value for {ident} (e.g. 'my-value'). Got value {v}"
                )))
            }
            _ => return Err(bad(&format!("'{filter}': a comparison has no value"))),
        };
        out.push(check(ident, op, value)?);
        // `AND` or the end.
        match toks.get(i) {
            None => {}
            Some(Tok::Ident(w)) if w.eq_ignore_ascii_case("AND") => {
                i += 1;
                if i >= toks.len() {
                    return Err(bad(&format!("'{filter}' ends with AND")));
                }
            }
            Some(_) => return Err(bad(&format!("'{filter}' (only AND joins comparisons)"))),
        }
    }
    Ok(out)
}

fn unquote(key: &str) -> String {
    let k = key.trim();
    let k = k
        .strip_prefix('`')
        .and_then(|x| x.strip_suffix('`'))
        .unwrap_or(k);
    k.to_owned()
}

/// Maps an identifier to a field and checks the operator and value MLflow allows for it
/// (`SearchTraceUtils` of MLflow 3.x).
fn check(ident: &str, op: Op, value: Value) -> Result<Clause> {
    let (entity, key) = match ident.split_once('.') {
        Some((e, k)) if !e.starts_with('`') => (e.to_ascii_lowercase(), unquote(k)),
        _ => ("attribute".to_owned(), unquote(ident)),
    };
    let list_op = matches!(op, Op::In | Op::NotIn);
    let null_op = matches!(op, Op::IsNull | Op::IsNotNull);
    let numeric_op = matches!(op, Op::Lt | Op::Le | Op::Gt | Op::Ge);
    if list_op != matches!(value, Value::List(_)) {
        return Err(invalid(format!(
            "Invalid comparison for {ident}: IN and NOT IN take a list of quoted strings, other comparators a single value"
        )));
    }
    let allowed = |ops: &[Op], what: &str| -> Result<()> {
        if ops.contains(&op) {
            return Ok(());
        }
        let names: Vec<&str> = ops.iter().map(|o| o.as_str()).collect();
        Err(invalid(format!(
            "Invalid comparator '{}' not one of '{{{}}}' ({what})",
            op.as_str(),
            names.join(", ")
        )))
    };
    let quoted = |what: &str| -> Result<()> {
        match value {
            Value::Num(_) => Err(invalid(format!(
                "Expected a quoted string value for {what} (e.g. 'my-value'). Got value {ident}"
            ))),
            _ => Ok(()),
        }
    };
    const TAG_OPS: &[Op] = &[
        Op::Ne,
        Op::Eq,
        Op::Like,
        Op::ILike,
        Op::RLike,
        Op::IsNull,
        Op::IsNotNull,
    ];
    const SPAN_OPS: &[Op] = &[
        Op::Ne,
        Op::Eq,
        Op::In,
        Op::NotIn,
        Op::Like,
        Op::ILike,
        Op::RLike,
    ];
    const STR_ATTR_OPS: &[Op] = SPAN_OPS;
    const NUM_ATTR_OPS: &[Op] = &[Op::Gt, Op::Ge, Op::Ne, Op::Eq, Op::Lt, Op::Le];
    const ASSESS_OPS: &[Op] = &[
        Op::Ne,
        Op::Eq,
        Op::Gt,
        Op::Ge,
        Op::Lt,
        Op::Le,
        Op::Like,
        Op::ILike,
        Op::RLike,
        Op::IsNull,
        Op::IsNotNull,
    ];
    let field = match entity.as_str() {
        "attribute" | "attributes" | "trace" => {
            if !ATTRS.contains(&key.as_str()) {
                return Err(invalid(format!(
                    "Invalid attribute key '{key}' specified. Valid keys are {ATTRS:?}"
                )));
            }
            // MLflow searches `name` as the `mlflow.traceName` tag and `run_id` as metadata:
            // their comparators are the tag ones (no IN).
            if matches!(key.as_str(), "name" | "run_id" | "prompt") {
                allowed(TAG_OPS, "tags")?;
            } else if null_op {
                return Err(invalid(format!("Invalid comparator '{}' for attribute {key}", op.as_str())));
            }
            let key = match key.as_str() {
                "timestamp" => "timestamp_ms".to_owned(),
                "execution_time" => "execution_time_ms".to_owned(),
                "end_time" => "end_time_ms".to_owned(),
                _ => key,
            };
            if NUMERIC.contains(&key.as_str()) {
                allowed(NUM_ATTR_OPS, "numeric attribute")?;
                if !matches!(value, Value::Num(_)) {
                    return Err(invalid(format!("Invalid value for {ident}: a number is expected")));
                }
            } else {
                allowed(STR_ATTR_OPS, "string attribute")?;
                if matches!(value, Value::Num(_)) {
                    return Err(invalid(format!(
                        "Only the '{NUMERIC:?}' attributes support comparison with numeric values."
                    )));
                }
                if list_op && !IN_ATTRS.contains(&key.as_str()) {
                    return Err(invalid(format!(
                        "Only attributes in {IN_ATTRS:?} supports comparison with a list of quoted string values."
                    )));
                }
            }
            match key.as_str() {
                "prompt" | "text" => {
                    return Err(invalid(format!(
                        "searching by trace.{key} is not supported by the local store"
                    )))
                }
                _ => Field::Attr(key),
            }
        }
        "tag" | "tags" => {
            allowed(TAG_OPS, "tags")?;
            quoted("tag")?;
            Field::Tag(key)
        }
        "metadata" | "request_metadata" => {
            allowed(TAG_OPS, "metadata")?;
            quoted("request_metadata")?;
            Field::Metadata(key)
        }
        "span" => {
            if key.starts_with("attributes.") || key == "content" {
                return Err(invalid(format!(
                    "searching by span.{key} is not supported by the local store"
                )));
            }
            if !matches!(key.as_str(), "name" | "type" | "status") {
                return Err(invalid(format!(
                    "Invalid span attribute '{key}'. Supported attributes: name, status, type, attributes.<attribute_name>."
                )));
            }
            allowed(SPAN_OPS, "span")?;
            quoted("span")?;
            Field::Span(key)
        }
        "feedback" | "expectation" => {
            if key.is_empty() {
                return Err(invalid("Assessment field name cannot be empty"));
            }
            allowed(ASSESS_OPS, "assessment")?;
            match (&value, numeric_op) {
                (Value::Num(_), false) => {
                    return Err(invalid(format!(
                        "Expected a quoted string value for {entity} (e.g. 'my-value'). Got value {ident}"
                    )))
                }
                (Value::Str(_), true) => {
                    return Err(invalid(format!(
                        "Expected a numeric value for {entity} when using comparator '{}'",
                        op.as_str()
                    )))
                }
                _ => {}
            }
            if entity == "feedback" {
                Field::Feedback(key)
            } else {
                Field::Expectation(key)
            }
        }
        other => {
            return Err(invalid(format!(
                "Invalid entity type '{other}'. Valid values are ['attribute', 'attributes', 'expectation', 'feedback', 'issue', 'metadata', 'request_metadata', 'span', 'tag', 'tags', 'trace']"
            )))
        }
    };
    if let Value::Str(s) = &value {
        if op == Op::RLike {
            regex::Regex::new(s)
                .map_err(|e| invalid(format!("Invalid regular expression {s:?}: {e}")))?;
        }
    }
    Ok(Clause { field, op, value })
}

/// One `order_by` item: a trace attribute and its direction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderBy {
    /// `timestamp_ms`, `execution_time_ms`, `status`, `name`, `request_id`, `experiment_id`.
    pub key: String,
    pub ascending: bool,
}

/// Parses `"timestamp_ms DESC"`, `"trace.name ASC"`, `"attributes.execution_time_ms"`.
pub fn parse_order_by(s: &str) -> Result<OrderBy> {
    let mut words = s.split_whitespace();
    let ident = words
        .next()
        .ok_or_else(|| invalid(format!("Invalid order_by clause '{s}'")))?;
    let ascending = match words.next().map(str::to_ascii_uppercase).as_deref() {
        None | Some("ASC") => true,
        Some("DESC") => false,
        Some(_) => return Err(invalid(format!("Invalid order_by clause '{s}'"))),
    };
    if words.next().is_some() {
        return Err(invalid(format!("Invalid order_by clause '{s}'")));
    }
    let (entity, key) = match ident.split_once('.') {
        Some((e, k)) => (e.to_ascii_lowercase(), unquote(k).to_ascii_lowercase()),
        None => ("attribute".to_owned(), unquote(ident).to_ascii_lowercase()),
    };
    if !matches!(entity.as_str(), "attribute" | "attributes" | "trace") {
        return Err(invalid(format!(
            "Invalid order_by entity `{entity}` with key `{key}`"
        )));
    }
    let key = match key.as_str() {
        "timestamp" | "timestamp_ms" => "timestamp_ms",
        "execution_time" | "execution_time_ms" => "execution_time_ms",
        "status" | "state" => "status",
        "name" => "name",
        "request_id" | "trace_id" => "request_id",
        "experiment_id" => "experiment_id",
        other => {
            return Err(invalid(format!(
                "Invalid attribute key '{other}' specified in order_by"
            )))
        }
    };
    Ok(OrderBy {
        key: key.to_owned(),
        ascending,
    })
}

#[cfg(test)]
mod tests;
