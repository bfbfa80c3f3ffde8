//! Evaluating a parsed filter on one trace: what its index row (or merged summary) stored,
//! with its folded changes on top.

use serde_json::Value as Json;

use super::filter::{Clause, Field, Op, Value};
use crate::store::index::{Row, Summary, Table};
use crate::store::mutation::Folded;

/// What the index stored of a trace.
pub trait Stored {
    fn id(&self) -> &str;
    /// Request time (Unix ms).
    fn t(&self) -> u64;
    /// Execution time (ms).
    fn d(&self) -> Option<u64>;
    fn state(&self) -> &str;
    /// The name as stored (the name tag, else the root span's name).
    fn name(&self) -> &str;
    fn tag(&self, key: &str) -> Option<&str>;
    fn meta(&self, key: &str) -> Option<&str>;
    /// Whether some span's (name, type, status) satisfies `f`.
    fn any_span(&self, f: &mut dyn FnMut(&str, &str, &str) -> bool) -> bool;
}

impl Stored for Summary {
    fn id(&self) -> &str {
        &self.id
    }
    fn t(&self) -> u64 {
        self.t
    }
    fn d(&self) -> Option<u64> {
        self.d
    }
    fn state(&self) -> &str {
        &self.s
    }
    fn name(&self) -> &str {
        &self.n
    }
    fn tag(&self, key: &str) -> Option<&str> {
        self.tags.get(key).map(String::as_str)
    }
    fn meta(&self, key: &str) -> Option<&str> {
        self.meta.get(key).map(String::as_str)
    }
    fn any_span(&self, f: &mut dyn FnMut(&str, &str, &str) -> bool) -> bool {
        self.spans.iter().any(|(n, ty, st)| f(n, ty, st))
    }
}

/// One row of a segment's index.
#[derive(Clone, Copy)]
pub struct RowRef<'a> {
    pub table: &'a Table,
    pub row: &'a Row,
}

impl RowRef<'_> {
    fn lookup(&self, pairs: &[(u32, u32)], key: &str) -> Option<&str> {
        pairs
            .iter()
            .find(|(k, _)| self.table.str(*k) == key)
            .map(|(_, v)| self.table.str(*v))
    }
}

impl Stored for RowRef<'_> {
    fn id(&self) -> &str {
        self.table.id(self.row)
    }
    fn t(&self) -> u64 {
        self.row.t
    }
    fn d(&self) -> Option<u64> {
        self.row.d
    }
    fn state(&self) -> &str {
        self.table.str(self.row.state)
    }
    fn name(&self) -> &str {
        self.table.str(self.row.name)
    }
    fn tag(&self, key: &str) -> Option<&str> {
        self.lookup(self.table.tags(self.row), key)
    }
    fn meta(&self, key: &str) -> Option<&str> {
        self.lookup(self.table.meta(self.row), key)
    }
    fn any_span(&self, f: &mut dyn FnMut(&str, &str, &str) -> bool) -> bool {
        let t = self.table;
        t.spans(self.row)
            .iter()
            .any(|s| f(t.str(s[0]), t.str(s[1]), t.str(s[2])))
    }
}

/// A trace as search sees it: what was stored, with tags and assessments after changes.
pub struct View<'a, S: Stored> {
    pub s: &'a S,
    folded: Option<&'a Folded>,
}

impl<'a, S: Stored> View<'a, S> {
    pub fn new(s: &'a S, folded: Option<&'a Folded>) -> View<'a, S> {
        View { s, folded }
    }

    /// A tag after the changes.
    pub fn tag(&self, key: &str) -> Option<&str> {
        if let Some(changed) = self.folded.and_then(|f| f.tags.get(key)) {
            return changed.as_deref();
        }
        self.s.tag(key)
    }

    fn assessments(&self) -> &[Json] {
        self.folded.map_or(&[], |f| &f.assessments)
    }

    /// The trace name: the `mlflow.traceName` tag (which a change may set), else the stored
    /// one.
    pub fn name(&self) -> &str {
        self.tag(crate::model::keys::tag::TRACE_NAME)
            .unwrap_or_else(|| self.s.name())
    }
}

/// Whether every clause holds.
pub fn matches<S: Stored>(filter: &[Clause], v: &View<'_, S>) -> bool {
    filter.iter().all(|c| clause(c, v))
}

fn clause<S: Stored>(c: &Clause, v: &View<'_, S>) -> bool {
    let s = v.s;
    match &c.field {
        Field::Attr(key) => match key.as_str() {
            "timestamp_ms" => num(c, Some(s.t() as f64)),
            "execution_time_ms" => num(c, s.d().map(|d| d as f64)),
            "end_time_ms" => num(c, s.d().map(|d| (s.t() + d) as f64)),
            "name" => text(c, Some(v.name())),
            "status" => text(c, Some(s.state())),
            "request_id" => text(c, Some(s.id())),
            "run_id" => text(c, s.meta("mlflow.sourceRun")),
            "client_request_id" => text(c, s.meta("client_request_id")),
            _ => false,
        },
        Field::Tag(k) => text(c, v.tag(k)),
        Field::Metadata(k) => text(c, s.meta(k)),
        Field::Span(k) => s.any_span(&mut |name, ty, status| {
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
                .assessments()
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
mod tests;
