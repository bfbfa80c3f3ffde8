//! Searching a store folder with MLflow's filter grammar, through the segment indexes: a search
//! reads the small binary index of each segment (skipping a segment whose strings cannot
//! satisfy the filter), judges each trace on its index row without parsing JSON, keeps only the
//! first `offset + max_results` matches in a heap, and reads just those traces from their
//! segments.

pub mod eval;
pub mod filter;
mod tokens;
mod top;

use std::collections::{BTreeMap, BinaryHeap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use aho_corasick::AhoCorasick;
use base64::Engine as _;

use self::eval::{RowRef, Stored};
use self::filter::{Clause, Field, Op, OrderBy, Value};
use self::top::{sort_key, Hit, Loc, Top};
use super::index::{self, cache, id_hash, read_payload, SegmentIndex, Summary, Table};
use super::mutation::{fold, Folded, Mutation};
use super::segment::SEGMENT_EXT;
use crate::error::{Error, Result};
use crate::model::{keys, TraceDict};

/// What to search for.
#[derive(Clone, Debug, Default)]
pub struct Query {
    pub filter: Option<String>,
    pub order_by: Vec<String>,
    pub max_results: usize,
    pub page_token: Option<String>,
    /// Whether returned traces carry their spans.
    pub include_spans: bool,
}

/// One page of results.
#[derive(Debug, Default)]
pub struct Page {
    pub traces: Vec<TraceDict>,
    /// The token of the next page, when there is one.
    pub next_page_token: Option<String>,
    pub warnings: Vec<String>,
}

/// The segments of a store folder, oldest first.
pub fn segments(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == SEGMENT_EXT))
        .collect();
    files.sort();
    Ok(files)
}

/// The changes of a store folder, folded per trace.
pub struct Snapshot {
    pub segments: Vec<PathBuf>,
    pub folded: BTreeMap<String, Folded>,
    pub warnings: Vec<String>,
}

/// A search's pass over the indexes: each segment's index is read once to fold the changes
/// and find ids with several records, then again to judge the traces; indexes are kept in
/// memory in between up to a bound ([`KEEP_BYTES`]), past it they are dropped and read
/// again, so memory stays bounded however large the store.
struct Pass {
    snap: Snapshot,
    kept: Vec<Option<Arc<SegmentIndex>>>,
    /// Hashes of the ids that have more than one record (a false match only costs a merge).
    several: HashSet<u64>,
}

/// Index bytes a search keeps between its two reads of the indexes.
const KEEP_BYTES: usize = 64 << 20;

fn first_pass(dir: &Path) -> Result<Pass> {
    let segs = segments(dir)?;
    cache::retain_present(dir, &segs);
    let mut kept = Vec::with_capacity(segs.len());
    let mut warnings = Vec::new();
    let mut mutations: Vec<Mutation> = Vec::new();
    let mut hashes: Vec<u64> = Vec::new();
    let mut kept_bytes = 0usize;
    for seg in &segs {
        match cache::load(seg) {
            Ok(Some(idx)) => {
                warnings.extend(idx.warnings.iter().cloned());
                for m in idx.table.mutations() {
                    match serde_json::from_slice::<Mutation>(m) {
                        Ok(m) => mutations.push(m),
                        Err(e) => warnings.push(format!(
                            "{}: skipped an unreadable change ({e})",
                            seg.display()
                        )),
                    }
                }
                hashes.extend_from_slice(idx.id_hashes());
                // Kept for the second read while within the bound (the first ones: a search
                // that keeps them all reads each index once).
                let size = idx.table.heap_bytes();
                if kept_bytes + size <= KEEP_BYTES {
                    kept_bytes += size;
                    kept.push(Some(idx));
                } else {
                    kept.push(None);
                }
            }
            // Compacted away since the folder was listed: its records are in a newer one.
            Ok(None) => kept.push(None),
            Err(e) => {
                warnings.push(format!("{}: cannot read: {e}", seg.display()));
                kept.push(None);
            }
        }
    }
    // Sorted runs, one per segment: the stable sort merges them.
    hashes.sort();
    let several = hashes
        .windows(2)
        .filter(|w| w[0] == w[1])
        .map(|w| w[0])
        .collect();
    Ok(Pass {
        snap: Snapshot {
            segments: segs,
            folded: fold(mutations.iter()),
            warnings,
        },
        kept,
        several,
    })
}

impl Pass {
    /// Each segment's index again, in order (a segment gone since is skipped).
    fn each(&mut self, mut f: impl FnMut(usize, &Arc<SegmentIndex>)) {
        for n in 0..self.snap.segments.len() {
            let idx = match self.kept[n].take() {
                Some(idx) => idx,
                None => match cache::load(&self.snap.segments[n]) {
                    Ok(Some(idx)) => idx,
                    _ => continue,
                },
            };
            f(n, &idx);
        }
    }
}

/// Loads the indexes of `dir` and folds its changes.
pub fn snapshot(dir: &Path) -> Result<Snapshot> {
    Ok(first_pass(dir)?.snap)
}

/// Literals one clause needs some stored string to equal (`=`, `IN` on a string field that
/// only a stored string can satisfy), so that a segment whose dictionary has none of them is
/// skipped whole.
fn needed_literals(c: &Clause) -> Option<Vec<&str>> {
    let stored = match &c.field {
        Field::Metadata(_) | Field::Span(_) => true,
        Field::Attr(k) => matches!(k.as_str(), "status" | "run_id" | "client_request_id"),
        // A change may set a tag (and the name, which is a tag) after the trace was written.
        Field::Tag(_) | Field::Feedback(_) | Field::Expectation(_) => false,
    };
    if !stored {
        return None;
    }
    match (c.op, &c.value) {
        (Op::Eq, Value::Str(s)) => Some(vec![s.as_str()]),
        (Op::In, Value::List(xs)) => Some(xs.iter().map(String::as_str).collect()),
        _ => None,
    }
}

/// The same literals for tags and the name, which hold in a segment without changes.
fn tag_literals(c: &Clause) -> Option<Vec<&str>> {
    let tag = match &c.field {
        Field::Tag(_) => true,
        Field::Attr(k) => k == "name",
        _ => false,
    };
    if !tag {
        return None;
    }
    match (c.op, &c.value) {
        (Op::Eq, Value::Str(s)) => Some(vec![s.as_str()]),
        (Op::In, Value::List(xs)) => Some(xs.iter().map(String::as_str).collect()),
        _ => None,
    }
}

/// The rows of a segment a filter can match, when one of its clauses is a tag or the name
/// equal to (or in) literals: those holding one of them, found by comparing dictionary
/// numbers (the strings are looked up once per segment, not once per row); `None` when no
/// clause says.
fn narrow(filter: &[Clause], t: &Table) -> Option<Vec<u32>> {
    let mut best: Option<Vec<u32>> = None;
    for c in filter {
        let lits: Vec<&str> = match (c.op, &c.value) {
            (Op::Eq, Value::Str(s)) => vec![s.as_str()],
            (Op::In, Value::List(xs)) => xs.iter().map(String::as_str).collect(),
            _ => continue,
        };
        let want: Vec<u32> = lits.iter().filter_map(|l| t.find_str(l)).collect();
        let rows: Vec<u32> = match &c.field {
            Field::Tag(k) => match t.find_str(k) {
                Some(k) => rows_where(t, |r| {
                    t.tags(r)
                        .iter()
                        .any(|&(rk, v)| rk == k && want.contains(&v))
                }),
                None => Vec::new(),
            },
            // As search reads the name: the first name tag, else the stored name.
            Field::Attr(k) if k == "name" => {
                let name_key = t.find_str(keys::tag::TRACE_NAME);
                rows_where(t, |r| {
                    let name = name_key
                        .and_then(|nk| t.tags(r).iter().find(|&&(rk, _)| rk == nk))
                        .map_or(r.name, |&(_, v)| v);
                    want.contains(&name)
                })
            }
            _ => continue,
        };
        if best.as_ref().is_none_or(|b| rows.len() < b.len()) {
            best = Some(rows);
        }
    }
    best
}

fn rows_where(t: &Table, f: impl Fn(&index::Row) -> bool) -> Vec<u32> {
    t.rows()
        .iter()
        .enumerate()
        .filter(|(_, r)| f(r))
        .map(|(n, _)| n as u32)
        .collect()
}

/// Searches a store folder.
pub fn search(dir: &Path, q: &Query) -> Result<Page> {
    let filter = filter::parse(q.filter.as_deref().unwrap_or(""))?;
    let mut order: Vec<OrderBy> = q
        .order_by
        .iter()
        .filter(|s| !s.trim().is_empty())
        .map(|s| filter::parse_order_by(s))
        .collect::<Result<_>>()?;
    // MLflow's tie-breakers: newest first, then by id.
    if !order.iter().any(|o| o.key == "timestamp_ms") {
        order.push(OrderBy {
            key: "timestamp_ms".into(),
            ascending: false,
        });
    }
    if !order.iter().any(|o| o.key == "request_id") {
        order.push(OrderBy {
            key: "request_id".into(),
            ascending: true,
        });
    }
    let offset = parse_page_token(q.page_token.as_deref())?;
    let mut pass = first_pass(dir)?;
    // A trace without changes cannot satisfy a feedback or expectation clause.
    let needs_changes = filter
        .iter()
        .any(|c| matches!(c.field, Field::Feedback(_) | Field::Expectation(_)));
    let stored_lits: Vec<Vec<&str>> = filter.iter().filter_map(needed_literals).collect();
    let tag_lits: Vec<Vec<&str>> = filter.iter().filter_map(tag_literals).collect();
    let mut top = Top {
        keep: offset.saturating_add(q.max_results),
        heap: BinaryHeap::new(),
        total: 0,
    };
    let mut multi: BTreeMap<String, (Summary, Vec<Loc>)> = BTreeMap::new();
    let several = std::mem::take(&mut pass.several);
    let folded = std::mem::take(&mut pass.snap.folded);
    pass.each(|n, idx| {
        let t = &idx.table;
        let has = |lits: &Vec<&str>| lits.iter().any(|l| t.has_str(l));
        // Whole segments that cannot match are skipped (their ids with several records are
        // still gathered below).
        let skip = !stored_lits.iter().all(has)
            || (folded.is_empty() && !tag_lits.iter().all(has))
            || (needs_changes && folded.is_empty());
        if skip && several.is_empty() {
            return;
        }
        // A tag or name clause names the only rows that can match, when no trace has changes
        // or records in several places (which the rows alone do not show).
        let narrowed = if !skip && folded.is_empty() && several.is_empty() {
            narrow(&filter, t)
        } else {
            None
        };
        let mut visit = |row: &index::Row| {
            let r = RowRef { table: t, row };
            let id = r.id();
            if !several.is_empty() && several.contains(&id_hash(id)) {
                let s = t.summary(row);
                match multi.get_mut(id) {
                    Some((merged, locs)) => {
                        locs.push((n, s.o, s.l));
                        merge_summary(merged, s);
                    }
                    None => {
                        let loc = (n, s.o, s.l);
                        multi.insert(id.to_owned(), (s, vec![loc]));
                    }
                }
                return;
            }
            if skip {
                return;
            }
            let f = if folded.is_empty() {
                None
            } else {
                folded.get(id)
            };
            if f.is_some_and(|f| f.deleted) || (needs_changes && f.is_none()) {
                return;
            }
            let view = eval::View::new(&r, f);
            if eval::matches(&filter, &view) {
                top.total += 1;
                if top.behind(&order, &view) {
                    return;
                }
                let key = sort_key(&order, &view);
                if top.wants(&key) {
                    top.push(Hit {
                        key,
                        id: id.to_owned(),
                        locs: vec![(n, row.offset, row.len)],
                    });
                }
            }
        };
        match narrowed {
            Some(rows) => rows.iter().for_each(|&i| visit(&t.rows()[i as usize])),
            None => t.rows().iter().for_each(visit),
        }
    });
    for (id, (s, locs)) in multi {
        let f = folded.get(&id);
        if f.is_some_and(|f| f.deleted) || (needs_changes && f.is_none()) {
            continue;
        }
        let view = eval::View::new(&s, f);
        if eval::matches(&filter, &view) {
            top.total += 1;
            top.push(Hit {
                key: sort_key(&order, &view),
                locs,
                id,
            });
        }
    }
    pass.snap.folded = folded;
    let snap = pass.snap;
    let total = top.total;
    let hits = top.heap.into_sorted_vec();
    let end = offset.saturating_add(q.max_results).min(total);
    let mut page = Page {
        warnings: snap.warnings.clone(),
        ..Page::default()
    };
    for hit in hits.iter().skip(offset) {
        if let Some(t) = load_trace(
            &snap,
            &hit.id,
            &hit.locs,
            q.include_spans,
            &mut page.warnings,
        ) {
            page.traces.push(t);
        }
    }
    if end < total {
        page.next_page_token = Some(page_token(end));
    }
    Ok(page)
}

/// One trace by id, with its changes folded in; `None` when the store does not have it (or it
/// was deleted).
pub fn get(dir: &Path, trace_id: &str) -> Result<Option<TraceDict>> {
    let segs = segments(dir)?;
    let mut mutations: Vec<Mutation> = Vec::new();
    let mut locs = Vec::new();
    let mut warnings = Vec::new();
    // Only this trace's changes are parsed: the id is looked for in each change's text first.
    let needle = serde_json::Value::from(trace_id).to_string();
    let finder =
        AhoCorasick::new([needle.as_bytes()]).map_err(|e| Error::InvalidArgument(e.to_string()))?;
    for (n, seg) in segs.iter().enumerate() {
        let Ok(Some(idx)) = cache::load(seg) else {
            continue;
        };
        let t = &idx.table;
        for m in t.mutations() {
            if finder.is_match(m) {
                if let Ok(m) = serde_json::from_slice::<Mutation>(m) {
                    if m.trace_id == trace_id {
                        mutations.push(m);
                    }
                }
            }
        }
        for row in t.rows() {
            if t.id(row) == trace_id {
                locs.push((n, row.offset, row.len));
            }
        }
    }
    let snap = Snapshot {
        segments: segs,
        folded: fold(mutations.iter()),
        warnings: Vec::new(),
    };
    if locs.is_empty() || snap.folded.get(trace_id).is_some_and(|f| f.deleted) {
        return Ok(None);
    }
    Ok(load_trace(&snap, trace_id, &locs, true, &mut warnings))
}

/// Reads and merges a trace's records (the last record's info, the union of spans by span
/// id, as [`crate::store::read_store`] does) and folds its changes in.
fn load_trace(
    snap: &Snapshot,
    id: &str,
    locs: &[Loc],
    include_spans: bool,
    warnings: &mut Vec<String>,
) -> Option<TraceDict> {
    let mut out: Option<TraceDict> = None;
    for &(n, o, l) in locs {
        let seg = &snap.segments[n];
        let t = match read_payload(seg, o, l)
            .map_err(|e| e.to_string())
            .and_then(|b| serde_json::from_slice::<TraceDict>(&b).map_err(|e| e.to_string()))
        {
            Ok(t) => t,
            Err(e) => {
                warnings.push(format!("{}: cannot read trace {id}: {e}", seg.display()));
                continue;
            }
        };
        out = Some(match out {
            None => t,
            Some(earlier) => {
                let mut merged = t;
                for span in earlier.data.spans {
                    if !merged.data.spans.iter().any(|s| s.span_id == span.span_id) {
                        merged.data.spans.push(span);
                    }
                }
                merged.data.spans.sort_by_key(|s| s.start_time_unix_nano);
                merged
            }
        });
    }
    let mut t = out?;
    if let Some(f) = snap.folded.get(id) {
        f.apply_to(&mut t);
    }
    if !include_spans {
        t.data.spans.clear();
    }
    Some(t)
}

fn merge_summary(into: &mut Summary, later: Summary) {
    let spans = std::mem::take(&mut into.spans);
    *into = Summary {
        spans: {
            let mut all = later.spans.clone();
            all.extend(spans);
            all
        },
        ..later
    };
}

/// MLflow's page tokens: base64 of `{"offset": n}`.
fn page_token(offset: usize) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{{\"offset\": {offset}}}"))
}

fn parse_page_token(token: Option<&str>) -> Result<usize> {
    let Some(t) = token.filter(|t| !t.is_empty()) else {
        return Ok(0);
    };
    let bad = || Error::InvalidArgument(format!("Invalid page token {t:?}"));
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(t)
        .map_err(|_| bad())?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    v["offset"].as_u64().map(|n| n as usize).ok_or_else(bad)
}
