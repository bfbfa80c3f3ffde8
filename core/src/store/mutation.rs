//! Changes made to stored traces after they were written (tags, assessments, deletion), kept as
//! records in the same checksummed segments as the traces and folded in by readers.
//!
//! A mutation record's payload starts with `{"ft_mutation":`, so a reader tells it from a trace
//! record by its first bytes. Mutations are ordered by the wall-clock time they were made
//! (`at_ns`), then by where they were read: segments of several processes interleave in time,
//! and a tag may even be read before the trace it applies to.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The first bytes of every mutation payload.
pub const MUTATION_PREFIX: &[u8] = b"{\"ft_mutation\":";

/// Whether a record payload is a mutation (not a trace).
pub fn is_mutation(payload: &[u8]) -> bool {
    payload.starts_with(MUTATION_PREFIX)
}

/// One change to one trace.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Mutation {
    /// Format version (1); also the marker of [`MUTATION_PREFIX`], so it must stay first.
    pub ft_mutation: u8,
    pub trace_id: String,
    /// When the change was made (Unix ns): the order in which changes apply.
    pub at_ns: u64,
    #[serde(flatten)]
    pub op: Op,
}

/// What a mutation does.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    SetTag {
        key: String,
        value: String,
    },
    DeleteTag {
        key: String,
    },
    /// Creates or replaces (by `assessment_id`) an assessment, in MLflow's REST JSON shape.
    Assessment {
        assessment: Value,
    },
    DeleteAssessment {
        assessment_id: String,
    },
    /// Removes the trace (MLflow's `delete_traces`).
    DeleteTrace,
}

impl Mutation {
    /// A mutation made now.
    pub fn now(trace_id: &str, op: Op) -> Mutation {
        Mutation {
            ft_mutation: 1,
            trace_id: trace_id.to_owned(),
            at_ns: now_ns(),
            op,
        }
    }

    /// The record payload.
    pub fn to_payload(&self) -> Vec<u8> {
        // A struct of strings and JSON values always serializes.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// What this mutation supersedes-or-is-superseded-by: two mutations with the same key
    /// touch the same thing, and the later one wins.
    pub fn target(&self) -> (String, String) {
        let what = match &self.op {
            Op::SetTag { key, .. } | Op::DeleteTag { key } => format!("tag:{key}"),
            Op::Assessment { assessment } => format!(
                "assessment:{}",
                assessment["assessment_id"].as_str().unwrap_or_default()
            ),
            Op::DeleteAssessment { assessment_id } => format!("assessment:{assessment_id}"),
            Op::DeleteTrace => "trace".to_owned(),
        };
        (self.trace_id.clone(), what)
    }
}

/// Wall-clock time in Unix nanoseconds.
pub fn now_ns() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

/// The state of one trace after its mutations: tag changes on top of the stored tags, its
/// assessments, whether it is deleted.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Folded {
    /// `Some(value)` sets a tag, `None` removes it.
    pub tags: BTreeMap<String, Option<String>>,
    /// In creation order.
    pub assessments: Vec<Value>,
    pub deleted: bool,
}

impl Folded {
    /// Applies one mutation (callers apply them in [`Mutation::at_ns`] order).
    pub fn apply(&mut self, m: &Mutation) {
        match &m.op {
            Op::SetTag { key, value } => {
                self.tags.insert(key.clone(), Some(value.clone()));
            }
            Op::DeleteTag { key } => {
                self.tags.insert(key.clone(), None);
            }
            Op::Assessment { assessment } => {
                let id = assessment["assessment_id"].as_str().unwrap_or_default();
                // An override marks the feedback it replaces invalid, as MLflow's server does.
                if let Some(old) = assessment["overrides"].as_str().filter(|o| !o.is_empty()) {
                    if let Some(a) = self
                        .assessments
                        .iter_mut()
                        .find(|a| a["assessment_id"] == old)
                    {
                        a["valid"] = Value::Bool(false);
                    }
                }
                match self
                    .assessments
                    .iter_mut()
                    .find(|a| a["assessment_id"] == id)
                {
                    Some(slot) => *slot = assessment.clone(),
                    None => self.assessments.push(assessment.clone()),
                }
            }
            Op::DeleteAssessment { assessment_id } => {
                self.assessments
                    .retain(|a| a["assessment_id"] != assessment_id.as_str());
            }
            Op::DeleteTrace => self.deleted = true,
        }
    }

    /// The stored tags with the changes applied.
    pub fn tags_over(&self, stored: &BTreeMap<String, String>) -> BTreeMap<String, String> {
        let mut out = stored.clone();
        for (k, v) in &self.tags {
            match v {
                Some(v) => {
                    out.insert(k.clone(), v.clone());
                }
                None => {
                    out.remove(k);
                }
            }
        }
        out
    }

    /// Puts tags and assessments into a stored trace.
    pub fn apply_to(&self, t: &mut crate::model::TraceDict) {
        t.info.tags = self.tags_over(&t.info.tags);
        if !self.assessments.is_empty() {
            t.info.assessments = self.assessments.clone();
        }
    }
}

/// Folds mutations (in any order) per trace id.
pub fn fold<'a>(mutations: impl IntoIterator<Item = &'a Mutation>) -> BTreeMap<String, Folded> {
    let mut all: Vec<&Mutation> = mutations.into_iter().collect();
    // Stable: equal times keep their read order.
    all.sort_by_key(|m| m.at_ns);
    let mut out: BTreeMap<String, Folded> = BTreeMap::new();
    for m in all {
        out.entry(m.trace_id.clone()).or_default().apply(m);
    }
    out
}

#[cfg(test)]
mod tests;
