//! Number handles. The span of a traced call that something needed while it ran (a child
//! started under it: `leafStart`) is held in a per-thread table, and JavaScript gets its slot's
//! number. A Node-API external with a finalizer costs ~500 ns to make and collect (a V8 global
//! handle, a reference tracked in a hash set, a finalizer queued by the GC); a number costs
//! nothing. The facade holds such a handle only while the call runs, and never gives it to user
//! code: ending the span releases the slot and keeps the span in the recent ring
//! (`recent.rs`), under a number the facade reads it by afterwards (`leafHandle`); a span handed
//! to user code (`getCurrentActiveSpan`) is first made an external (`spanDetach`). When the
//! table is full (calls that never end), spans get externals as before.

use std::cell::RefCell;

use crate::handle::SpanState;

/// Slots per thread; a handle is `generation << INDEX_BITS | index`.
const INDEX_BITS: u32 = 12;
const SLOTS: usize = 1 << INDEX_BITS;

struct Table {
    states: Vec<Option<Box<SpanState>>>,
    /// Bumped when a slot is freed, so a stale number never reaches the slot's next span.
    generations: Vec<u32>,
    free: Vec<u32>,
}

thread_local! {
    // Per thread = per JS environment: a number from one environment is never read in another.
    static TABLE: RefCell<Table> = const {
        RefCell::new(Table { states: Vec::new(), generations: Vec::new(), free: Vec::new() })
    };
}

fn index(id: u32) -> usize {
    (id & (SLOTS as u32 - 1)) as usize
}

/// Holds `state`; returns its number, or the state back when every slot is taken.
pub(crate) fn insert(state: SpanState) -> Result<u32, SpanState> {
    TABLE.with_borrow_mut(|t| {
        let i = match t.free.pop() {
            Some(i) => i as usize,
            None if t.states.len() < SLOTS => {
                t.states.push(None);
                t.generations.push(0);
                t.states.len() - 1
            }
            None => return Err(state),
        };
        t.states[i] = Some(Box::new(state));
        Ok(t.generations[i] << INDEX_BITS | i as u32)
    })
}

/// The state numbered `id`, while it is held. The box does not move until [`remove`].
pub(crate) fn get(id: u32) -> Option<*mut SpanState> {
    TABLE.with_borrow_mut(|t| {
        let i = index(id);
        if t.generations.get(i).copied()? << INDEX_BITS | i as u32 != id {
            return None;
        }
        t.states[i].as_deref_mut().map(|s| s as *mut SpanState)
    })
}

/// Takes the state numbered `id` out and frees its slot.
pub(crate) fn remove(id: u32) -> Option<Box<SpanState>> {
    TABLE.with_borrow_mut(|t| {
        let i = index(id);
        if t.generations.get(i).copied()? << INDEX_BITS | i as u32 != id {
            return None;
        }
        let state = t.states[i].take()?;
        t.generations[i] = (t.generations[i] + 1) & (u32::MAX >> INDEX_BITS);
        t.free.push(i as u32);
        Some(state)
    })
}
