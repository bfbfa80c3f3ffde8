//! The export worker thread.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{select, Receiver};
use parking_lot::RwLock;

use super::Control;
use crate::error::Error;
use crate::export::Exporter;
use crate::model::Trace;
use crate::process::{prepare_trace, LazyRedactor};
use crate::stats::{DropReason, Stats};

/// What the worker shares with the tracer.
#[derive(Clone)]
pub(crate) struct WorkerShared {
    pub(crate) stats: Arc<Stats>,
    pub(crate) process_metadata: Arc<RwLock<BTreeMap<String, String>>>,
    pub(crate) max_batch: usize,
    pub(crate) shutdown_timeout: Duration,
    /// Recently finalized traces, newest last, for `get_trace` without a server round trip.
    pub(crate) recent: Arc<parking_lot::Mutex<VecDeque<Trace>>>,
    pub(crate) recent_max: usize,
    /// The redaction rules in force (replaced when the configuration changes).
    pub(crate) redactor: Arc<RwLock<Arc<LazyRedactor>>>,
}

impl WorkerShared {
    fn remember(&self, batch: &[Trace]) {
        if self.recent_max == 0 {
            return;
        }
        let mut recent = self.recent.lock();
        // Cloning a trace copies its info and bumps one reference count per span.
        for t in batch.iter().rev().take(self.recent_max).rev() {
            if recent.len() == self.recent_max {
                recent.pop_front();
            }
            recent.push_back(t.clone());
        }
    }
}

pub(crate) fn run(
    mut exporter: Box<dyn Exporter>,
    data: Receiver<Box<Trace>>,
    ctl: Receiver<Control>,
    shared: WorkerShared,
) {
    let mut batch: Vec<Trace> = Vec::with_capacity(shared.max_batch);
    loop {
        select! {
            recv(data) -> msg => match msg {
                Ok(trace) => {
                    batch.push(*trace);
                    fill(&data, &mut batch, shared.max_batch);
                    export(exporter.as_mut(), &mut batch, &shared);
                }
                Err(_) => break,
            },
            recv(ctl) -> msg => match msg {
                Ok(Control::Flush(reply)) => {
                    drain(exporter.as_mut(), &data, &mut batch, &shared);
                    if let Err(e) = exporter.flush(shared.shutdown_timeout) {
                        crate::diag::warn("flush_failed", format!("flushing the {} destination failed: {e}", exporter.name()));
                    }
                    let _ = reply.send(());
                }
                Ok(Control::Shutdown(reply)) => {
                    drain(exporter.as_mut(), &data, &mut batch, &shared);
                    if let Err(e) = exporter.shutdown(shared.shutdown_timeout) {
                        crate::diag::warn("flush_failed", format!("closing the {} destination failed: {e}", exporter.name()));
                    }
                    let _ = reply.send(());
                    return;
                }
                Err(_) => break,
            },
        }
    }
    drain(exporter.as_mut(), &data, &mut batch, &shared);
}

fn fill(data: &Receiver<Box<Trace>>, batch: &mut Vec<Trace>, max: usize) {
    while batch.len() < max {
        match data.try_recv() {
            Ok(t) => batch.push(*t),
            Err(_) => break,
        }
    }
}

/// Exports everything queued right now, a batch at a time.
fn drain(
    exporter: &mut dyn Exporter,
    data: &Receiver<Box<Trace>>,
    batch: &mut Vec<Trace>,
    shared: &WorkerShared,
) {
    loop {
        fill(data, batch, shared.max_batch);
        if batch.is_empty() {
            return;
        }
        export(exporter, batch, shared);
    }
}

fn export(exporter: &mut dyn Exporter, batch: &mut Vec<Trace>, shared: &WorkerShared) {
    if batch.is_empty() {
        return;
    }
    {
        let meta = shared.process_metadata.read();
        let redactor = shared.redactor.read().clone();
        let mut redactions = 0;
        for t in batch.iter_mut() {
            redactions += prepare_trace(t, &meta, redactor.get());
        }
        if redactions > 0 {
            shared.stats.redactions.fetch_add(redactions, Relaxed);
        }
    }
    shared.remember(batch);
    let spans: u64 = batch.iter().map(|t| t.spans.len() as u64).sum();
    let traces = batch.len() as u64;
    let started = Instant::now();
    let result = exporter.export(batch);
    let retries = exporter.take_retries();
    if retries > 0 {
        shared.stats.export_retries.fetch_add(retries, Relaxed);
    }
    match result {
        Ok(()) => shared
            .stats
            .record_export(traces, spans, started.elapsed().as_micros() as u64),
        Err(e) => {
            Stats::inc(&shared.stats.export_errors);
            shared
                .stats
                .drop_counted(DropReason::ExportFailed, traces, spans);
            crate::diag::warn(
                warn_kind(&e),
                format!(
                    "could not deliver {traces} trace(s) to the {} destination: {e}",
                    exporter.name()
                ),
            );
        }
    }
    batch.clear();
}

/// Warnings are rate-limited per kind: an authentication problem, a refusal and an outage each
/// get their own line instead of hiding one another.
fn warn_kind(e: &Error) -> &'static str {
    match e {
        Error::Auth { .. } => "export_auth",
        Error::NotFound { .. } | Error::Rejected { .. } => "export_rejected",
        _ => "export_failed",
    }
}
