//! A finalized batch as the pipeline passes it around: its traces and the process metadata
//! they share, behind one reference count, so that delivering it, keeping it for the exit
//! rescue and keeping its traces for `get_trace` copy no trace.

use std::ops::Deref;
use std::sync::Arc;

use crate::model::{SharedMetadata, Trace, TraceDict};

/// Finalized traces and the metadata they all have besides their own (the process's: see
/// [`SharedMetadata`]), which is not copied into each trace.
pub(crate) struct Finalized {
    pub(crate) traces: Box<[Trace]>,
    pub(crate) shared: Arc<SharedMetadata>,
}

/// A finalized batch, shared by the lanes, the exit rescue (`inflight`) and the recent-traces
/// cache.
pub(crate) type Batch = Arc<Finalized>;

/// One trace of a finalized batch, kept for `get_trace`: a reference count on its batch. The
/// batch is freed once its last trace leaves the cache, so the cache keeps at most
/// `recent_max + max_batch - 1` traces alive.
pub(crate) struct RecentTrace {
    batch: Batch,
    index: usize,
}

impl RecentTrace {
    pub(crate) fn new(batch: &Batch, index: usize) -> RecentTrace {
        RecentTrace {
            batch: batch.clone(),
            index,
        }
    }

    /// How many traces the batch this one keeps alive holds.
    #[cfg(test)]
    pub(crate) fn batch_len(&self) -> usize {
        self.batch.traces.len()
    }

    /// The trace in MLflow's dict shape, its shared metadata included.
    pub(crate) fn to_dict(&self) -> TraceDict {
        let mut dict = TraceDict::from(&**self);
        for (k, v) in self.batch.shared.iter() {
            dict.info
                .trace_metadata
                .entry(k.clone())
                .or_insert_with(|| v.clone());
        }
        dict
    }
}

impl Deref for RecentTrace {
    type Target = Trace;
    fn deref(&self) -> &Trace {
        &self.batch.traces[self.index]
    }
}
