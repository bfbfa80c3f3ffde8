//! Whole-store reading with the changes folded in: what `ferrotrace traces` and `ferrotrace
//! push` see.

use std::path::Path;

use super::reader::{read_store, StoreRead};
use super::search::snapshot;

/// Every trace of `dir` with its tags and assessments as changed since it was written; deleted
/// traces are left out.
pub fn read_folded(dir: &Path) -> std::io::Result<StoreRead> {
    let mut read = read_store(dir)?;
    let snap = snapshot(dir).map_err(|e| std::io::Error::other(e.to_string()))?;
    read.traces
        .retain_mut(|t| match snap.folded.get(&t.info.trace_id) {
            Some(f) if f.deleted => false,
            Some(f) => {
                f.apply_to(t);
                true
            }
            None => true,
        });
    Ok(read)
}
