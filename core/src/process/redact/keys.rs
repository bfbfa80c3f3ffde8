//! Secrets in keys: attribute, tag and metadata keys that hold one are renamed, keeping every
//! key distinct.

use std::collections::BTreeMap;

use super::{scan, Redactor};
use crate::model::{Attributes, RawJson};

impl Redactor {
    /// Renames the keys of a tag or metadata map that hold a secret (MLflow's own keys are
    /// left alone); returns the number of redactions.
    pub(super) fn redact_map_keys(&self, map: &mut BTreeMap<String, String>) -> u64 {
        let renames: Vec<(String, String, u64)> = map
            .keys()
            .filter(|k| !k.starts_with("mlflow."))
            .filter_map(|k| self.redact_name(k).map(|(new, n)| (k.clone(), new, n)))
            .collect();
        let mut count = 0;
        let mut used = Vec::new();
        for (old, new, n) in renames {
            if let Some(v) = map.remove(&old) {
                let mut new = scan::distinct(new, &mut used);
                while map.contains_key(&new) {
                    new.push('\'');
                }
                map.insert(new, v);
                count += n;
            }
        }
        count
    }
}

/// What redaction changes in one attribute map: values, then key renames.
pub(super) struct AttrChanges {
    pub(super) changed: Vec<(String, RawJson)>,
    pub(super) renamed: Vec<(String, String)>,
}

impl AttrChanges {
    pub(super) fn is_empty(&self) -> bool {
        self.changed.is_empty() && self.renamed.is_empty()
    }

    pub(super) fn apply(self, attrs: &mut Attributes) {
        for (k, v) in self.changed {
            attrs.set(k, v);
        }
        let mut used = Vec::new();
        for (old, new) in self.renamed {
            if let Some(v) = attrs.remove(&old) {
                let mut new = scan::distinct(new, &mut used);
                while attrs.get(&new).is_some() {
                    new.push('\'');
                }
                attrs.set(new, v);
            }
        }
    }
}
