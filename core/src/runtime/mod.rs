//! What every layer above may read: the clock span times come from, and the fork generation
//! (which process this is, after `fork`).

pub mod clock;
pub mod fork;

pub use clock::{monotonic_ns, now_ns, wall_ns_at, ClockPair};
