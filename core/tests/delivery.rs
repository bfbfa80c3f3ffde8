//! Delivery that loses nothing: a destination that is down gets its traces spilled to disk and
//! replayed when it answers again (also by a later process with the same configuration); a
//! full queue overflows to disk instead of dropping; permanent refusals are dropped with a
//! reason.

use std::collections::HashSet;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferrotrace_core::config::Config;
use ferrotrace_core::export::{Capabilities, Exporter, SpillKind};
use ferrotrace_core::model::{SharedMetadata, Trace};
use ferrotrace_core::tracer::RootOptions;
use ferrotrace_core::{Error, Result, Tracer};
use parking_lot::Mutex;

/// A remote-like destination that can be switched down, made slow, or made to refuse.
#[derive(Clone, Default)]
struct Remote {
    up: Arc<AtomicBool>,
    refuse: Arc<AtomicBool>,
    delay_ms: Arc<AtomicU64>,
    /// Root names delivered, in order (a name may appear twice if a batch is re-sent).
    got: Arc<Mutex<Vec<String>>>,
}

struct RemoteExporter(Remote, String);

impl Exporter for RemoteExporter {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            spill: SpillKind::Remote(self.1.clone()),
            ..Capabilities::new("remote")
        }
    }
    fn export(&mut self, batch: &[Trace], _: &SharedMetadata) -> Result<()> {
        std::thread::sleep(Duration::from_millis(
            self.0.delay_ms.load(Ordering::Relaxed),
        ));
        if self.0.refuse.load(Ordering::Relaxed) {
            return Err(Error::Rejected {
                status: 413,
                request: "POST /v1/traces".into(),
                code: None,
                message: "too large".into(),
            });
        }
        if !self.0.up.load(Ordering::Relaxed) {
            return Err(Error::Transport {
                server: "http://remote".into(),
                request: "POST /v1/traces".into(),
                message: "connection refused".into(),
            });
        }
        let mut got = self.0.got.lock();
        got.extend(batch.iter().map(|t| t.spans[0].name.to_string()));
        Ok(())
    }
}

fn tracer(
    remote: &Remote,
    spill: &Path,
    identity: &str,
    tweak: impl FnOnce(&mut Config),
) -> Tracer {
    ferrotrace_core::diag::set_quiet(true);
    let mut config = Config::default();
    config.delivery.spill_dir = spill.to_path_buf();
    config.delivery.probe_max_interval = Duration::from_millis(100);
    tweak(&mut config);
    let (r, id) = (remote.clone(), identity.to_owned());
    Tracer::with_exporter_factory(
        config,
        Box::new(move |_, _, _| {
            vec![Box::new(RemoteExporter(r.clone(), id.clone())) as Box<dyn Exporter>]
        }),
    )
}

fn trace(tracer: &Tracer, name: &str) {
    let root = tracer.start_root(name.to_owned(), RootOptions::default());
    tracer.start_child("child", root.context(), None).end(None);
    root.end(None);
}

/// Waits until `cond` holds (replay runs on the worker's own schedule).
fn eventually(what: &str, cond: impl Fn() -> bool) {
    let until = Instant::now() + Duration::from_secs(20);
    while !cond() {
        assert!(Instant::now() < until, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn names(n: usize, prefix: &str) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i}")).collect()
}

#[test]
fn a_down_destination_gets_everything_in_order_once_it_answers() {
    let dir = tempfile::tempdir().unwrap();
    let remote = Remote::default();
    let t = tracer(&remote, dir.path(), "down-then-up", |_| {});
    let expected = names(50, "t");
    for n in &expected[..30] {
        trace(&t, n);
    }
    assert!(t.flush(Duration::from_secs(10)));
    let st = t.stats();
    assert_eq!(st.traces_spilled, 30, "{st:?}");
    assert_eq!(st.traces_dropped, 0);
    assert!(remote.got.lock().is_empty());
    // Back up: new traces and the spilled ones all arrive, the spilled ones first.
    remote.up.store(true, Ordering::Relaxed);
    for n in &expected[30..] {
        trace(&t, n);
    }
    eventually("all delivered", || remote.got.lock().len() >= 50);
    assert!(t.flush(Duration::from_secs(10)));
    let got = remote.got.lock().clone();
    assert_eq!(got.iter().collect::<HashSet<_>>().len(), 50);
    assert_eq!(got.len(), 50, "nothing sent twice here: {got:?}");
    let st = t.stats();
    assert_eq!(st.traces_replayed, 30 + st.traces_spilled - 30);
    assert_eq!(st.traces_dropped, 0);
    // The spill folder is empty again.
    let left: usize = std::fs::read_dir(dir.path())
        .unwrap()
        .flat_map(|d| std::fs::read_dir(d.unwrap().path()).unwrap())
        .filter(|f| {
            f.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "ftseg")
        })
        .count();
    assert_eq!(left, 0);
}

#[test]
fn a_later_process_with_the_same_configuration_replays_what_an_earlier_one_left() {
    let dir = tempfile::tempdir().unwrap();
    let first = Remote::default();
    let t1 = tracer(&first, dir.path(), "shared-config", |_| {});
    for n in names(20, "early") {
        trace(&t1, &n);
    }
    assert!(t1.exit(Duration::from_secs(5)));
    assert_eq!(t1.stats().traces_spilled, 20);

    // Another destination identity must not see them.
    let stranger = Remote::default();
    stranger.up.store(true, Ordering::Relaxed);
    let t3 = tracer(&stranger, dir.path(), "other-config", |_| {});
    trace(&t3, "x");
    assert!(t3.flush(Duration::from_secs(10)));
    assert_eq!(*stranger.got.lock(), vec!["x".to_owned()]);

    let second = Remote::default();
    second.up.store(true, Ordering::Relaxed);
    let t2 = tracer(&second, dir.path(), "shared-config", |_| {});
    trace(&t2, "late");
    eventually("replayed", || second.got.lock().len() >= 21);
    let got = second.got.lock().clone();
    let mut want = names(20, "early");
    want.push("late".into());
    assert_eq!(
        got.iter().collect::<HashSet<_>>(),
        want.iter().collect::<HashSet<_>>()
    );
    assert_eq!(got.len(), 21);
    assert_eq!(t2.stats().traces_replayed, 20);
}

#[test]
fn a_full_queue_overflows_to_disk_instead_of_dropping() {
    let dir = tempfile::tempdir().unwrap();
    let remote = Remote::default();
    remote.up.store(true, Ordering::Relaxed);
    remote.delay_ms.store(20, Ordering::Relaxed);
    let t = tracer(&remote, dir.path(), "slow", |c| {
        c.max_queue_traces = 4;
        c.max_batch_traces = 2;
    });
    let expected = names(300, "q");
    let started = Instant::now();
    for n in &expected {
        trace(&t, n);
    }
    // Only a hang detector: the application thread never waits for the slow destination.
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    eventually("all delivered", || {
        let n = remote.got.lock().iter().collect::<HashSet<_>>().len();
        n >= 300
    });
    let st = t.stats();
    assert_eq!(st.traces_dropped, 0, "{st:?}");
    assert!(st.traces_spilled > 0, "{st:?}");
}

#[test]
fn permanent_refusals_are_dropped_with_a_reason_and_not_spilled() {
    let dir = tempfile::tempdir().unwrap();
    let remote = Remote::default();
    remote.refuse.store(true, Ordering::Relaxed);
    let t = tracer(&remote, dir.path(), "refuses", |_| {});
    for n in names(5, "r") {
        trace(&t, &n);
    }
    assert!(t.flush(Duration::from_secs(10)));
    let st = t.stats();
    assert_eq!(st.dropped_traces.get("rejected"), Some(&5), "{st:?}");
    assert_eq!(st.traces_spilled, 0);
}

#[test]
fn sync_mode_delivers_before_the_root_end_returns() {
    let dir = tempfile::tempdir().unwrap();
    let remote = Remote::default();
    remote.up.store(true, Ordering::Relaxed);
    let t = tracer(&remote, dir.path(), "sync", |c| {
        c.delivery.async_logging = false
    });
    for n in names(5, "s") {
        trace(&t, &n);
        // No flush: the end of the root waited for the export.
        assert_eq!(remote.got.lock().last(), Some(&n));
    }
}

/// A destination that keeps no spill folder (the trait's default), like a plain collector.
struct PlainExporter(Remote);

impl Exporter for PlainExporter {
    fn capabilities(&self) -> Capabilities {
        Capabilities::new("plain")
    }
    fn export(&mut self, batch: &[Trace], _: &SharedMetadata) -> Result<()> {
        std::thread::sleep(Duration::from_millis(
            self.0.delay_ms.load(Ordering::Relaxed),
        ));
        self.0
            .got
            .lock()
            .extend(batch.iter().map(|t| t.spans[0].name.to_string()));
        Ok(())
    }
}

#[test]
fn with_two_destinations_the_overflow_still_reaches_the_one_that_spills() {
    ferrotrace_core::diag::set_quiet(true);
    let dir = tempfile::tempdir().unwrap();
    let (spilling, plain) = (Remote::default(), Remote::default());
    spilling.up.store(true, Ordering::Relaxed);
    plain.delay_ms.store(20, Ordering::Relaxed);
    let mut config = Config::default();
    config.delivery.spill_dir = dir.path().to_path_buf();
    config.max_queue_traces = 4;
    config.max_batch_traces = 2;
    let (s, p) = (spilling.clone(), plain.clone());
    let t = Tracer::with_exporter_factory(
        config,
        Box::new(move |_, _, _| {
            vec![
                Box::new(RemoteExporter(s.clone(), "two-lanes".into())) as Box<dyn Exporter>,
                Box::new(PlainExporter(p.clone())),
            ]
        }),
    );
    for n in names(200, "d") {
        trace(&t, &n);
    }
    eventually("the spilling destination has all", || {
        spilling.got.lock().iter().collect::<HashSet<_>>().len() >= 200
    });
    assert!(t.flush(Duration::from_secs(30)));
    let st = t.stats();
    let missed = st.dropped_traces.get("queue_full").copied().unwrap_or(0);
    // The plain destination got exactly what was not counted as missed.
    assert!(missed > 0, "{st:?}");
    assert_eq!(plain.got.lock().len() as u64 + missed, 200, "{st:?}");
}

/// The exporters are built on the export thread: the application thread that ends the first
/// root only hands off (building one may read certificate files, set up TLS, start threads).
#[test]
fn exporters_are_built_on_the_export_thread() {
    let built_on = Arc::new(Mutex::new(Vec::<Option<String>>::new()));
    let seen = built_on.clone();
    let (remote, spill) = (Remote::default(), tempfile::tempdir().unwrap());
    remote.up.store(true, Ordering::SeqCst);
    let mut config = Config::default();
    config.delivery.spill_dir = spill.path().to_path_buf();
    let r = remote.clone();
    let t = Tracer::with_exporter_factory(
        config,
        Box::new(move |_, _, _| {
            seen.lock()
                .push(std::thread::current().name().map(str::to_owned));
            vec![Box::new(RemoteExporter(r.clone(), "built".into())) as Box<dyn Exporter>]
        }),
    );
    trace(&t, "first");
    assert!(t.flush(Duration::from_secs(10)));
    assert_eq!(*remote.got.lock(), ["first"]);
    assert_eq!(*built_on.lock(), [Some("ferrotrace-export".to_owned())]);
}

/// A destination that cannot be set up (its CA bundle does not exist) is a warning and a count,
/// found on the export thread; the trace goes to the local store instead.
#[test]
fn an_mlflow_server_that_cannot_be_set_up_is_counted_and_traces_stay_local() {
    ferrotrace_core::diag::set_quiet(true);
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config {
        tracking_uri: Some("https://127.0.0.1:9/".into()),
        local_dir: dir.path().join("store"),
        ..Config::default()
    };
    config.http.server_cert_path = Some(dir.path().join("missing.pem"));
    config.delivery.spill_dir = dir.path().join("spill");
    let t = Tracer::new(config);
    let root = t.start_root("kept", RootOptions::default());
    root.end(None);
    assert!(t.flush(Duration::from_secs(10)));
    let stats = t.stats();
    assert_eq!(stats.exporter_errors, 1);
    assert_eq!(stats.traces_exported, 1);
    let stored = ferrotrace_core::store::read_store(&dir.path().join("store")).unwrap();
    assert_eq!(stored.traces.len(), 1);
}
