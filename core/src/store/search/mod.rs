//! Searching a store folder with MLflow's filter grammar, through the segment indexes: a search
//! reads the small index files, not the traces, and parses only index lines that can match
//! (a line of a trace without changes must contain the filter's literal values), so a
//! selective filter over 100,000 traces answers in well under a second, in memory bounded by
//! the matching traces.

pub mod eval;
pub mod filter;
mod tokens;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use aho_corasick::AhoCorasick;
use base64::Engine as _;

use self::filter::{Clause, Field, Op, OrderBy, Value};
use super::index::{self, line_id, read_payload, Summary};
use super::mutation::{fold, Folded, Mutation};
use super::segment::SEGMENT_EXT;
use crate::error::{Error, Result};
use crate::model::TraceDict;

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

/// Where a record is: (segment number, offset, length).
type Loc = (usize, u64, u64);

/// A trace found by search: where its records are, and how it sorts.
struct Hit {
    id: String,
    /// Each record, in read order.
    locs: Vec<Loc>,
    key: Vec<SortVal>,
}

#[derive(Clone, Debug, PartialEq, PartialOrd)]
enum SortVal {
    Num(f64),
    Str(String),
}

/// The indexes of every segment (brought up to date) and the folded changes of every trace.
pub struct Snapshot {
    pub segments: Vec<PathBuf>,
    pub indexes: Vec<index::SegmentIndex>,
    pub folded: BTreeMap<String, Folded>,
    pub warnings: Vec<String>,
}

/// Loads the indexes of `dir` and folds its changes.
pub fn snapshot(dir: &Path) -> Result<Snapshot> {
    let segs = segments(dir)?;
    let mut indexes = Vec::with_capacity(segs.len());
    let mut warnings = Vec::new();
    let mut mutations: Vec<Mutation> = Vec::new();
    for seg in &segs {
        match index::load(seg) {
            Ok(Some(mut idx)) => {
                warnings.append(&mut idx.warnings);
                for (kind, json) in idx.iter() {
                    if kind == b'M' {
                        match serde_json::from_slice::<Mutation>(json) {
                            Ok(m) => mutations.push(m),
                            Err(e) => warnings.push(format!(
                                "{}: skipped an unreadable change ({e})",
                                seg.display()
                            )),
                        }
                    }
                }
                indexes.push(idx);
            }
            // Compacted away since the folder was listed: its records are in a newer one.
            Ok(None) => indexes.push(index::SegmentIndex::default()),
            Err(e) => {
                warnings.push(format!("{}: cannot read: {e}", seg.display()));
                indexes.push(index::SegmentIndex::default());
            }
        }
    }
    Ok(Snapshot {
        segments: segs,
        indexes,
        folded: fold(mutations.iter()),
        warnings,
    })
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
    let snap = snapshot(dir)?;
    let prefilter = Prefilter::new(&filter)?;
    // One pass: count each id's records and keep the lines that may match. Ids with several
    // records (re-delivered or distributed traces) are merged before judging, so all their
    // lines are kept (a second pass picks up those skipped before the id was seen again).
    let mut counts: HashMap<&[u8], u32> = HashMap::new();
    let mut kept: Vec<(usize, &[u8])> = Vec::new();
    for (n, idx) in snap.indexes.iter().enumerate() {
        for (kind, json) in idx.iter() {
            if kind != b'T' {
                continue;
            }
            let id = line_id(json);
            let count = counts.entry(id).or_default();
            *count += 1;
            let changed = !snap.folded.is_empty()
                && snap
                    .folded
                    .contains_key(std::str::from_utf8(id).unwrap_or_default());
            if *count > 1 || prefilter.may_match(json, changed) {
                kept.push((n, json));
            }
        }
    }
    let several: std::collections::HashSet<&[u8]> = counts
        .iter()
        .filter(|(_, c)| **c > 1)
        .map(|(id, _)| *id)
        .collect();
    if !several.is_empty() {
        kept.retain(|(_, json)| !several.contains(line_id(json)));
        for (n, idx) in snap.indexes.iter().enumerate() {
            for (kind, json) in idx.iter() {
                if kind == b'T' && several.contains(line_id(json)) {
                    kept.push((n, json));
                }
            }
        }
    }
    let mut hits: Vec<Hit> = Vec::new();
    let mut multi: BTreeMap<String, (Summary, Vec<Loc>)> = BTreeMap::new();
    for (n, json) in kept {
        let Ok(s) = serde_json::from_slice::<Summary>(json) else {
            continue;
        };
        let folded = snap.folded.get(&s.id);
        if folded.is_some_and(|f| f.deleted) {
            continue;
        }
        if several.contains(s.id.as_bytes()) {
            match multi.get_mut(&s.id) {
                Some((merged, locs)) => {
                    locs.push((n, s.o, s.l));
                    merge_summary(merged, s);
                }
                None => {
                    let loc = (n, s.o, s.l);
                    multi.insert(s.id.clone(), (s, vec![loc]));
                }
            }
            continue;
        }
        let view = eval::View::new(&s, folded);
        if eval::matches(&filter, &view) {
            hits.push(Hit {
                key: sort_key(&order, &view),
                locs: vec![(n, s.o, s.l)],
                id: s.id,
            });
        }
    }
    for (id, (s, locs)) in multi {
        let view = eval::View::new(&s, snap.folded.get(&id));
        if eval::matches(&filter, &view) {
            hits.push(Hit {
                key: sort_key(&order, &view),
                locs,
                id,
            });
        }
    }
    hits.sort_by(|a, b| {
        for (i, o) in order.iter().enumerate() {
            let ord = a.key[i]
                .partial_cmp(&b.key[i])
                .unwrap_or(std::cmp::Ordering::Equal);
            let ord = if o.ascending { ord } else { ord.reverse() };
            if ord.is_ne() {
                return ord;
            }
        }
        std::cmp::Ordering::Equal
    });
    let total = hits.len();
    let end = offset.saturating_add(q.max_results).min(total);
    let mut page = Page {
        warnings: snap.warnings.clone(),
        ..Page::default()
    };
    for hit in hits.iter().take(end).skip(offset) {
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
    let snap = snapshot(dir)?;
    let folded = snap.folded.get(trace_id);
    if folded.is_some_and(|f| f.deleted) {
        return Ok(None);
    }
    let needle = format!("{{\"id\":{}", serde_json::Value::from(trace_id));
    let finder =
        AhoCorasick::new([needle.as_bytes()]).map_err(|e| Error::InvalidArgument(e.to_string()))?;
    let mut locs = Vec::new();
    for (n, idx) in snap.indexes.iter().enumerate() {
        if !finder.is_match(idx.lines()) {
            continue;
        }
        for (kind, json) in idx.iter() {
            if kind == b'T' && line_id(json) == trace_id.as_bytes() {
                if let Ok(s) = serde_json::from_slice::<Summary>(json) {
                    locs.push((n, s.o, s.l));
                }
            }
        }
    }
    if locs.is_empty() {
        return Ok(None);
    }
    let mut warnings = Vec::new();
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

fn sort_key(order: &[OrderBy], v: &eval::View<'_>) -> Vec<SortVal> {
    order
        .iter()
        .map(|o| match o.key.as_str() {
            "timestamp_ms" => SortVal::Num(v.s.t as f64),
            "execution_time_ms" => SortVal::Num(v.s.d.unwrap_or(0) as f64),
            "status" => SortVal::Str(v.s.s.clone()),
            "name" => SortVal::Str(v.name().to_owned()),
            "request_id" => SortVal::Str(v.s.id.clone()),
            _ => SortVal::Str(String::new()),
        })
        .collect()
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

/// Literal values an index line must contain to possibly match (JSON-escaped as the index
/// writes them), one set of alternatives per clause.
struct Prefilter {
    clauses: Vec<AhoCorasick>,
    /// A clause only a trace with changes can satisfy (feedback, expectation).
    needs_changes: bool,
}

impl Prefilter {
    fn new(filter: &[Clause]) -> Result<Prefilter> {
        let mut clauses = Vec::new();
        let mut needs_changes = false;
        for c in filter {
            let literals: Vec<String> = match (&c.field, c.op, &c.value) {
                (Field::Feedback(_) | Field::Expectation(_), _, _) => {
                    needs_changes = true;
                    continue;
                }
                (
                    Field::Tag(_) | Field::Metadata(_) | Field::Span(_) | Field::Attr(_),
                    Op::Eq,
                    Value::Str(s),
                ) => vec![escaped(s)],
                (
                    Field::Tag(_) | Field::Metadata(_) | Field::Span(_) | Field::Attr(_),
                    Op::In,
                    Value::List(xs),
                ) => xs.iter().map(|s| escaped(s)).collect(),
                _ => continue,
            };
            // A numeric attribute never takes a string: only string fields get here.
            if let Field::Attr(k) = &c.field {
                if !matches!(k.as_str(), "name" | "status" | "request_id" | "run_id") {
                    continue;
                }
            }
            clauses.push(
                AhoCorasick::new(literals.iter().map(|l| format!("\"{l}\"")))
                    .map_err(|e| Error::InvalidArgument(e.to_string()))?,
            );
        }
        Ok(Prefilter {
            clauses,
            needs_changes,
        })
    }

    fn may_match(&self, line: &[u8], changed: bool) -> bool {
        if changed {
            return true;
        }
        if self.needs_changes {
            return false;
        }
        self.clauses.iter().all(|ac| ac.is_match(line))
    }
}

fn escaped(s: &str) -> String {
    let quoted = serde_json::Value::from(s).to_string();
    quoted[1..quoted.len() - 1].to_owned()
}
