//! The record of an open span, allocated once at start as the `Arc` it is shared as when the
//! span ends: ending moves no bytes (the record is a few hundred bytes with its inline
//! attributes) and needs no second allocation.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use crate::model::{Attributes, SpanId, SpanName, SpanRecord, SpanStatus, TraceId};

/// Names every field of `SpanRecord` without `..`: adding a field breaks the build here, as a
/// reminder that [`OpenRecord::new`] must write it.
#[allow(dead_code)]
fn _every_field(r: SpanRecord) {
    let SpanRecord {
        trace_id: _,
        span_id: _,
        parent_id: _,
        name: _,
        start_ns: _,
        end_ns: _,
        status: _,
        attributes: _,
        events: _,
        links: _,
    } = r;
}

/// Uniquely owned while the span is open: the `Arc` is never cloned until [`OpenRecord::share`]
/// consumes this, so the open span holds the only reference and may write through it.
pub(crate) struct OpenRecord(Arc<SpanRecord>);

impl OpenRecord {
    /// A record with no attributes, events or links, status UNSET, still open (`end_ns` 0).
    #[inline(always)]
    pub(crate) fn new(
        trace_id: TraceId,
        span_id: SpanId,
        parent_id: Option<SpanId>,
        name: SpanName,
        start_ns: u64,
    ) -> Self {
        // Field by field into the allocation: building a `SpanRecord` value and moving it in
        // (`Arc::new`) copies its few hundred bytes through the stack.
        let slot = Arc::<SpanRecord>::new_uninit();
        let p = Arc::as_ptr(&slot).cast_mut().cast::<SpanRecord>();
        // SAFETY: `slot` is the only reference to its fresh, writable allocation; every field
        // is written once (`_every_field` fails to compile when a field is added), after which
        // the record is initialized.
        unsafe {
            (&raw mut (*p).trace_id).write(trace_id);
            (&raw mut (*p).span_id).write(span_id);
            (&raw mut (*p).parent_id).write(parent_id);
            (&raw mut (*p).name).write(name);
            (&raw mut (*p).start_ns).write(start_ns);
            (&raw mut (*p).end_ns).write(0);
            (&raw mut (*p).status).write(SpanStatus::default());
            (&raw mut (*p).attributes).write(Attributes::new());
            (&raw mut (*p).events).write(Vec::new());
            (&raw mut (*p).links).write(Vec::new());
            OpenRecord(slot.assume_init())
        }
    }

    /// The finished record, now shareable.
    #[inline]
    pub(crate) fn share(self) -> Arc<SpanRecord> {
        self.0
    }
}

impl Deref for OpenRecord {
    type Target = SpanRecord;

    #[inline]
    fn deref(&self) -> &SpanRecord {
        &self.0
    }
}

impl DerefMut for OpenRecord {
    #[inline]
    fn deref_mut(&mut self) -> &mut SpanRecord {
        // SAFETY: the Arc is never cloned while this `OpenRecord` exists (the field is private
        // and `share` consumes it), so no other reference to the record exists; `&mut self`
        // makes this borrow exclusive. `Arc::as_ptr` points into the Arc's own allocation,
        // which is writable. (`Arc::get_mut` would check the same at the cost of atomic reads
        // and a compare-exchange on every setter.)
        unsafe { &mut *Arc::as_ptr(&self.0).cast_mut() }
    }
}

#[cfg(test)]
mod tests;
