//! Ended spans reachable by number for a while: leaves (ended by one call, or recorded in a
//! batch) and spans whose number handle was released as they ended (`handle.rs`). A callback
//! that runs after its traced call returned can still read such a span, or start a child under
//! it ([`handle`]).
//!
//! Two tiers: the last [`RECENT_IDS`] numbers keep what a child needs (the span's context), the
//! last [`RECENT_RECORDS`] also what its getters read (the record). A late child so still joins
//! its trace long after the records are gone, while the records pinned stay few.

use std::cell::RefCell;
use std::sync::Arc;

use ferrotrace_core::global;
use ferrotrace_core::model::SpanRecord;
use ferrotrace_core::tracer::{LeafBatch, LeafIds};
use ferrotrace_core::SpanContext;

use crate::handle::SpanState;

/// How many ended spans per thread a child can still start under.
const RECENT_IDS: usize = 4096;
/// How many of those the getters can still read.
const RECENT_RECORDS: usize = 256;
/// A span whose inputs and outputs are larger than this is kept without its record (its ids
/// stay reachable, its getters read empty), so the ring never pins much memory.
pub(crate) const RECORD_BYTES: usize = 64 * 1024;

/// What a child of an ended span needs: its context.
enum Ids {
    Span(SpanContext),
    /// Leaf of a recorded batch: its context is made when asked for.
    Batched(LeafIds),
}

/// What the getters of an ended span read.
enum Record {
    Span(Arc<SpanRecord>),
    /// Leaf `.1` of a recorded batch: its record is built when asked for.
    Batched(Arc<LeafBatch>, u32),
}

struct Recent {
    next: u32,
    ids: Vec<Option<Ids>>,
    records: Vec<Option<Record>>,
}

thread_local! {
    // Per thread = per JS environment (main thread, each worker): a number from one
    // environment is never read in another.
    static RECENT: RefCell<Recent> = const {
        RefCell::new(Recent { next: 0, ids: Vec::new(), records: Vec::new() })
    };
}

impl Recent {
    /// Keeps an ended span under the next number, which it returns.
    fn push(&mut self, ids: Ids, record: Option<Record>) -> u32 {
        let seq = self.next;
        self.next = self.next.wrapping_add(1);
        if self.ids.len() < RECENT_IDS {
            self.ids.resize_with(RECENT_IDS, || None);
            self.records.resize_with(RECENT_RECORDS, || None);
        }
        // The slots' previous span is dropped here, as a handle's finalizer would have dropped
        // it.
        self.ids[seq as usize % RECENT_IDS] = Some(ids);
        self.records[seq as usize % RECENT_RECORDS] = record;
        seq
    }

    /// How many spans were kept after `seq`, if it was kept at all.
    fn age(&self, seq: u32) -> usize {
        self.next.wrapping_sub(seq.wrapping_add(1)) as usize
    }
}

/// The bytes of a record's inputs and outputs: what keeping it costs.
pub(crate) fn record_bytes(rec: &SpanRecord) -> usize {
    use ferrotrace_core::model::keys::attr;
    [attr::INPUTS, attr::OUTPUTS]
        .iter()
        .filter_map(|k| rec.attributes.get(k))
        .map(|v| v.as_str().len())
        .sum()
}

/// Keeps an ended span: its context, and its record unless it holds more than
/// [`RECORD_BYTES`] of inputs and outputs (`bytes`).
pub(crate) fn push_span(ctx: SpanContext, rec: Option<Arc<SpanRecord>>, bytes: usize) -> u32 {
    let rec = rec.filter(|_| bytes <= RECORD_BYTES);
    RECENT.with_borrow_mut(|r| r.push(Ids::Span(ctx), rec.map(Record::Span)))
}

/// Keeps every leaf of `batch` in order (their records only if `held`); returns the first one's
/// number, the others following one by one.
pub(crate) fn push_batch(batch: &Arc<LeafBatch>, held: bool) -> u32 {
    RECENT.with_borrow_mut(|recent| {
        let first = recent.next;
        for i in 0..batch.len() {
            let record = held.then(|| Record::Batched(batch.clone(), i as u32));
            // A child's context holds its open trace; a root's is made when asked for.
            let ids = if batch.is_child(i) {
                Ids::Span(batch.context(i, global()))
            } else {
                Ids::Batched(batch.ids(i))
            };
            recent.push(ids, record);
        }
        first
    })
}

/// The span kept under `seq`, ended, while it is kept: its context, and record while that is
/// kept too (else its getters read empty).
pub(crate) fn handle(seq: u32) -> Option<SpanState> {
    RECENT.with_borrow(|r| {
        let age = r.age(seq);
        if age >= RECENT_IDS {
            return None;
        }
        let ctx = match r.ids.get(seq as usize % RECENT_IDS)?.as_ref()? {
            Ids::Span(ctx) => ctx.clone(),
            Ids::Batched(ids) => ids.context(global()),
        };
        let ended = if age < RECENT_RECORDS {
            match r.records.get(seq as usize % RECENT_RECORDS) {
                Some(Some(Record::Span(rec))) => Some(rec.clone()),
                Some(Some(Record::Batched(batch, i))) => Some(Arc::new(batch.record(*i as usize))),
                _ => None,
            }
        } else {
            None
        };
        Some(SpanState {
            ctx,
            live: None,
            ended,
        })
    })
}
