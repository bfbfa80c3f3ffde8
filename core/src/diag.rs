//! Rate-limited warnings about the tracer itself. They go to stderr (never into user code) and
//! the most recent ones stay readable through [`recent_warnings`].

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

/// The same kind of warning is printed at most once per this interval.
const INTERVAL: Duration = Duration::from_secs(30);
const KEEP: usize = 64;

struct State {
    last: HashMap<&'static str, (Instant, u64)>,
    recent: VecDeque<String>,
}

fn state() -> &'static Mutex<State> {
    static S: OnceLock<Mutex<State>> = OnceLock::new();
    S.get_or_init(|| {
        Mutex::new(State {
            last: HashMap::new(),
            recent: VecDeque::new(),
        })
    })
}

static QUIET: AtomicBool = AtomicBool::new(false);
static EMITTED: AtomicU64 = AtomicU64::new(0);

/// Silences stderr output (warnings are still counted and kept in [`recent_warnings`]).
pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

/// Emits `message` unless a warning of the same `kind` was emitted less than 30 s ago; in that
/// case it is only counted, and the next one says how many were suppressed.
pub fn warn(kind: &'static str, message: impl AsRef<str>) {
    let mut st = state().lock();
    let now = Instant::now();
    let suppressed = match st.last.get_mut(kind) {
        Some((at, n)) if now.duration_since(*at) < INTERVAL => {
            *n += 1;
            return;
        }
        Some((at, n)) => {
            *at = now;
            std::mem::take(n)
        }
        None => {
            st.last.insert(kind, (now, 0));
            0
        }
    };
    let mut line = format!("ferrotrace: WARNING: {}", message.as_ref());
    if suppressed > 0 {
        line.push_str(&format!(" ({suppressed} similar warning(s) suppressed)"));
    }
    EMITTED.fetch_add(1, Ordering::Relaxed);
    if !QUIET.load(Ordering::Relaxed) {
        eprintln!("{line}");
    }
    if st.recent.len() == KEEP {
        st.recent.pop_front();
    }
    st.recent.push_back(line);
}

/// The most recent warnings, oldest first.
pub fn recent_warnings() -> Vec<String> {
    state().lock().recent.iter().cloned().collect()
}

/// How many warnings were printed since the process started.
pub fn warnings_emitted() -> u64 {
    EMITTED.load(Ordering::Relaxed)
}
