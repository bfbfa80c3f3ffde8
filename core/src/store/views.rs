//! What `ferrotrace traces list` and `traces show` print, for both bindings' command lines: the
//! table of a store's traces, and one trace as a tree with the tags, assessments and deletions
//! recorded after it folded in. Each comes with the warnings about damaged records.

use std::path::Path;

use crate::error::{Error, Result};

/// The table of `dir`'s traces (only what the table shows is kept: a store larger than memory
/// lists in little of it).
pub fn list_text(dir: &Path) -> Result<(String, Vec<String>)> {
    let read = super::list_store(dir).map_err(|e| unreadable(dir, e))?;
    Ok((super::render_list(&read.traces), read.warnings))
}

/// The trace of `dir` whose id starts or ends with `fragment` (see [`super::find_in_store`]) as
/// a tree; `None` when no trace matches or it was deleted. Several matches are an error that
/// says how many.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let (text, warnings) = ferrotrace_core::store::show_text(dir.path(), "tr-0f").unwrap();
/// assert!(text.is_none() && warnings.is_empty());
/// ```
pub fn show_text(dir: &Path, fragment: &str) -> Result<(Option<String>, Vec<String>)> {
    // Only the matching traces are kept while the store is read.
    let (read, matches) = super::find_in_store(dir, fragment).map_err(|e| unreadable(dir, e))?;
    let mut one = match (matches, read.traces.into_iter().next()) {
        (1, Some(one)) => one,
        (0, _) | (_, None) => return Ok((None, read.warnings)),
        (many, _) => {
            return Err(Error::InvalidArgument(format!(
                "{fragment:?} matches {many} traces; give more of the id"
            )))
        }
    };
    if let Ok(snap) = super::search::snapshot(dir) {
        match snap.folded.get(&one.info.trace_id) {
            Some(f) if f.deleted => return Ok((None, read.warnings)),
            Some(f) => f.apply_to(&mut one),
            None => {}
        }
    }
    Ok((Some(super::render_tree(&one)), read.warnings))
}

fn unreadable(dir: &Path, e: std::io::Error) -> Error {
    Error::Io(std::io::Error::new(
        e.kind(),
        format!("cannot read {}: {e}", dir.display()),
    ))
}
