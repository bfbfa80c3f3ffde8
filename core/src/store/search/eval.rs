//! Evaluating a parsed filter on one trace's summary and folded changes.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::filter::{Clause, Field, Op, Value};
use crate::store::index::Summary;
use crate::store::mutation::Folded;

/// A trace as search sees it: its (merged) summary, with tags and assessments after changes.
pub struct View<'a> {
    pub s: &'a Summary,
    pub tags: std::borrow::Cow<'a, BTreeMap<String, String>>,
    pub assessments: &'a [Json],
}

impl<'a> View<'a> {
    pub fn new(s: &'a Summary, folded: Option<&'a Folded>) -> View<'a> {
        match folded {
            Some(f) => View {
                s,
                tags: std::borrow::Cow::Owned(f.tags_over(&s.tags)),
                assessments: &f.assessments,
            },
            None => View {
                s,
                tags: std::borrow::Cow::Borrowed(&s.tags),
                assessments: &[],
            },
        }
    }

    /// The trace name: the `mlflow.traceName` tag (which a change may set), else the root's.
    pub fn name(&self) -> &str {
        self.tags
            .get("mlflow.traceName")
            .map(String::as_str)
            .unwrap_or(&self.s.n)
    }
}

/// Whether every clause holds.
pub fn matches(filter: &[Clause], v: &View<'_>) -> bool {
    filter.iter().all(|c| clause(c, v))
}

fn clause(c: &Clause, v: &View<'_>) -> bool {
    match &c.field {
        Field::Attr(key) => match key.as_str() {
            "timestamp_ms" => num(c, Some(v.s.t as f64)),
            "execution_time_ms" => num(c, v.s.d.map(|d| d as f64)),
            "end_time_ms" => num(c, v.s.d.map(|d| (v.s.t + d) as f64)),
            "name" => text(c, Some(v.name())),
            "status" => text(c, Some(&v.s.s)),
            "request_id" => text(c, Some(&v.s.id)),
            "run_id" => text(c, v.s.meta.get("mlflow.sourceRun").map(String::as_str)),
            "client_request_id" => text(c, v.s.meta.get("client_request_id").map(String::as_str)),
            _ => false,
        },
        Field::Tag(k) => text(c, v.tags.get(k).map(String::as_str)),
        Field::Metadata(k) => text(c, v.s.meta.get(k).map(String::as_str)),
        Field::Span(k) => v.s.spans.iter().any(|(name, ty, status)| {
            text(
                c,
                Some(match k.as_str() {
                    "name" => name,
                    "type" => ty,
                    _ => status,
                }),
            )
        }),
        Field::Feedback(name) | Field::Expectation(name) => {
            let kind = if matches!(c.field, Field::Feedback(_)) {
                "feedback"
            } else {
                "expectation"
            };
            let mut values = v
                .assessments
                .iter()
                .filter(|a| a["assessment_name"] == name.as_str() && a.get(kind).is_some())
                .map(|a| &a[kind]["value"]);
            match c.op {
                Op::IsNull => values.next().is_none(),
                Op::IsNotNull => values.next().is_some(),
                _ => values.any(|x| assessment(c, x)),
            }
        }
    }
}

/// An assessment value against a clause, as MLflow's SQL store compares its JSON column:
/// `=` / `!=` match the raw JSON (`true`, `5`) or, for a string, the string itself; `LIKE`
/// looks at the JSON text (a string keeps its quotes); `<`, `>`... compare numbers only.
fn assessment(c: &Clause, x: &Json) -> bool {
    let json = x.to_string();
    match (c.op, &c.value) {
        (Op::Eq | Op::Ne, Value::Str(r)) => {
            let same = &json == r || x.as_str() == Some(r.as_str());
            same == (c.op == Op::Eq)
        }
        (Op::Lt | Op::Le | Op::Gt | Op::Ge, Value::Num(_)) => num(c, x.as_f64()),
        (Op::Like | Op::ILike | Op::RLike, _) => text(c, Some(&json)),
        _ => false,
    }
}

fn num(c: &Clause, lhs: Option<f64>) -> bool {
    let (Some(l), Value::Num(r)) = (lhs, &c.value) else {
        return false;
    };
    let r = *r;
    match c.op {
        Op::Eq => l == r,
        Op::Ne => l != r,
        Op::Lt => l < r,
        Op::Le => l <= r,
        Op::Gt => l > r,
        Op::Ge => l >= r,
        _ => false,
    }
}

fn text(c: &Clause, lhs: Option<&str>) -> bool {
    match c.op {
        Op::IsNull => return lhs.is_none(),
        Op::IsNotNull => return lhs.is_some(),
        _ => {}
    }
    let Some(l) = lhs else { return false };
    match (&c.value, c.op) {
        (Value::Str(r), Op::RLike) => regex::Regex::new(r).is_ok_and(|re| re.is_match(l)),
        (Value::Str(r), Op::Eq) => l == r,
        (Value::Str(r), Op::Ne) => l != r,
        (Value::Str(r), Op::Like) => like(l, r, false),
        (Value::Str(r), Op::ILike) => like(l, r, true),
        (Value::List(rs), Op::In) => rs.iter().any(|r| r == l),
        (Value::List(rs), Op::NotIn) => !rs.iter().any(|r| r == l),
        _ => false,
    }
}

/// SQL `LIKE`: `%` any run, `_` any one character.
pub fn like(text: &str, pattern: &str, fold_case: bool) -> bool {
    let (t, p): (Vec<char>, Vec<char>) = if fold_case {
        (
            text.to_lowercase().chars().collect(),
            pattern.to_lowercase().chars().collect(),
        )
    } else {
        (text.chars().collect(), pattern.chars().collect())
    };
    // Greedy matching with backtracking to the last `%`.
    let (mut ti, mut pi) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '_' || p[pi] == t[ti]) {
            ti += 1;
            pi += 1;
        } else if pi < p.len() && p[pi] == '%' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '%' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns() {
        assert!(like("billing question", "%bill%", false));
        assert!(like("abc", "a_c", false));
        assert!(!like("abc", "A%", false));
        assert!(like("abc", "A%", true));
        assert!(like("", "%", false));
        assert!(!like("abc", "%d%", false));
        assert!(like("a%c", "a%c", false));
    }
}
