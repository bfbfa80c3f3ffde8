//! `spans_started` / `spans_ended` without an atomic read-modify-write per span: each thread
//! counts in cells of its own (a plain load and store: it is their only writer) and a snapshot
//! sums the cells. A locked `fetch_add` on one shared counter costs every span start and end a
//! pipeline drain, and makes threads tracing at once contend for its cache line.

use std::cell::{Cell, RefCell};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Weak};

use parking_lot::Mutex;

/// The span counters of one [`crate::stats::Stats`].
#[derive(Default)]
pub struct SpanCounts(Arc<Shared>);

#[derive(Default)]
struct Shared {
    /// The cells of live threads, and what exited threads counted (folded in by their cell's
    /// drop, under the same lock, so a snapshot never counts a thread twice or not at all).
    cells: Mutex<(Vec<Arc<Cells>>, Totals)>,
}

/// One thread's counts for one `SpanCounts`; written only by that thread.
#[derive(Default)]
struct Cells {
    started: AtomicU64,
    ended: AtomicU64,
}

#[derive(Clone, Copy, Default)]
struct Totals {
    started: u64,
    ended: u64,
}

/// This thread's cells, one entry per `SpanCounts` it counted for (one in a process with only
/// the global tracer). Dropped at thread exit, which folds the counts into their `Shared`.
struct Local {
    of: Weak<Shared>,
    cells: Arc<Cells>,
}

impl Drop for Local {
    fn drop(&mut self) {
        let _ = LAST.try_with(|last| {
            if last.get().0 == self.of.as_ptr() {
                last.set((std::ptr::null(), std::ptr::null()));
            }
        });
        if let Some(shared) = self.of.upgrade() {
            let mut guard = shared.cells.lock();
            let (live, retired) = &mut *guard;
            retired.started += self.cells.started.load(Relaxed);
            retired.ended += self.cells.ended.load(Relaxed);
            live.retain(|c| !Arc::ptr_eq(c, &self.cells));
        }
    }
}

thread_local! {
    static LOCAL: RefCell<Vec<Local>> = const { RefCell::new(Vec::new()) };
    /// The entry of `LOCAL` used last, as raw pointers: a plain thread-local without a
    /// destructor, so the usual case is one compare, no borrow flag and no search. Cleared by
    /// the entry's drop.
    static LAST: Cell<(*const Shared, *const Cells)> =
        const { Cell::new((std::ptr::null(), std::ptr::null())) };
}

#[inline]
fn bump(cell: &AtomicU64) {
    // Relaxed load + store: this thread is the cell's only writer.
    cell.store(cell.load(Relaxed).wrapping_add(1), Relaxed);
}

impl SpanCounts {
    #[inline]
    pub(crate) fn started(&self) {
        self.with_cells(|c| bump(&c.started));
    }

    #[inline]
    pub(crate) fn ended(&self) {
        self.with_cells(|c| bump(&c.ended));
    }

    /// Counts `started` span starts and `ended` span ends at once.
    #[inline]
    pub(crate) fn add(&self, started: u64, ended: u64) {
        self.with_cells(|c| {
            c.started
                .store(c.started.load(Relaxed).wrapping_add(started), Relaxed);
            c.ended
                .store(c.ended.load(Relaxed).wrapping_add(ended), Relaxed);
        });
    }

    #[inline]
    fn with_cells(&self, f: impl Fn(&Cells)) {
        let me = Arc::as_ptr(&self.0);
        let (shared, cells) = LAST.with(Cell::get);
        if shared == me {
            // SAFETY: `LAST` points at the cells of a live `LOCAL` entry of this thread (the
            // entry's drop clears it), and that entry's Arc keeps them alive.
            f(unsafe { &*cells });
            return;
        }
        self.with_cells_slow(f);
    }

    #[cold]
    fn with_cells_slow(&self, f: impl Fn(&Cells)) {
        let me = Arc::as_ptr(&self.0);
        let done = LOCAL.try_with(|local| {
            let Ok(mut local) = local.try_borrow_mut() else {
                return false;
            };
            let cells = match local.iter().find(|l| l.of.as_ptr() == me) {
                Some(l) => l.cells.clone(),
                None => self.register(&mut local),
            };
            f(&cells);
            LAST.set((me, Arc::as_ptr(&cells)));
            true
        });
        if done != Ok(true) {
            // Thread-local storage torn down (a span ended in a thread-exit destructor): count
            // in a cell of its own, folded in at once.
            let mut guard = self.0.cells.lock();
            let cells = Cells::default();
            f(&cells);
            guard.1.started += cells.started.load(Relaxed);
            guard.1.ended += cells.ended.load(Relaxed);
        }
    }

    /// First span of this thread for these counters: a new cell, listed for snapshots.
    #[cold]
    fn register(&self, local: &mut Vec<Local>) -> Arc<Cells> {
        // Entries of counters that no longer exist (tracers dropped in tests) go first.
        local.retain(|l| l.of.strong_count() > 0);
        let cells = Arc::new(Cells::default());
        self.0.cells.lock().0.push(cells.clone());
        local.push(Local {
            of: Arc::downgrade(&self.0),
            cells: cells.clone(),
        });
        cells
    }

    /// `(spans_started, spans_ended)` over every thread, live or exited.
    pub(crate) fn totals(&self) -> (u64, u64) {
        let guard = self.0.cells.lock();
        let (live, retired) = &*guard;
        live.iter()
            .fold((retired.started, retired.ended), |(s, e), c| {
                (s + c.started.load(Relaxed), e + c.ended.load(Relaxed))
            })
    }
}

#[cfg(test)]
mod tests;
