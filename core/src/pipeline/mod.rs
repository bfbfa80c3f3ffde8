//! COLD PATH: the bounded hand-off from application threads to one export worker per process.
//!
//! Application threads only ever `try_send` a sealed trace; a full queue is counted, never waited
//! on. The worker drains whatever is queued (up to a batch), finalizes the traces and calls the
//! exporter. `flush` and `shutdown` are messages on a separate control channel carrying a reply
//! channel, and every wait on them is bounded.

pub mod fork;
mod worker;

use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::{bounded, Sender, TrySendError};

use crate::export::Exporter;
use crate::model::Trace;
pub(crate) use worker::WorkerShared;

pub(crate) enum Control {
    Flush(Sender<()>),
    Shutdown(Sender<()>),
}

/// The sending side of the queue plus the worker that drains it.
pub(crate) struct Pipeline {
    // Boxed: a pointer per queue slot instead of the whole trace struct.
    data: Sender<Box<Trace>>,
    ctl: Sender<Control>,
    worker: Option<JoinHandle<()>>,
    /// The fork generation this pipeline was started in; a forked child must not use it.
    pub(crate) fork_generation: u64,
}

pub(crate) enum SendError {
    Full(Box<Trace>),
    Closed(Box<Trace>),
}

impl Pipeline {
    pub(crate) fn start(
        exporters: Vec<Box<dyn Exporter>>,
        capacity: usize,
        shared: WorkerShared,
        fork_generation: u64,
    ) -> Pipeline {
        let (data, data_rx) = bounded(capacity);
        let (ctl, ctl_rx) = bounded(64);
        let worker = std::thread::Builder::new()
            .name("ferrotrace-export".into())
            .spawn(move || worker::run(exporters, data_rx, ctl_rx, shared))
            .ok();
        if worker.is_none() {
            crate::diag::warn(
                "worker_spawn",
                "could not start the export thread; traces will be counted as dropped",
            );
        }
        Pipeline {
            data,
            ctl,
            worker,
            fork_generation,
        }
    }

    #[inline]
    pub(crate) fn try_send(&self, trace: Box<Trace>) -> Result<(), SendError> {
        match self.data.try_send(trace) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(t)) => Err(SendError::Full(t)),
            Err(TrySendError::Disconnected(t)) => Err(SendError::Closed(t)),
        }
    }

    pub(crate) fn depth(&self) -> usize {
        self.data.len()
    }

    pub(crate) fn control(&self) -> Sender<Control> {
        self.ctl.clone()
    }

    /// Asks the worker to deliver everything queued, then stop; waits at most `timeout`.
    pub(crate) fn shutdown(mut self, timeout: Duration) -> bool {
        let done = request(&self.ctl, Control::Shutdown, timeout);
        if done {
            if let Some(w) = self.worker.take() {
                let _ = w.join();
            }
        }
        done
    }

    /// Leaves a pipeline inherited through `fork` alone: its thread does not exist in this process,
    /// and dropping the channels must not run the parent's cleanup.
    pub(crate) fn abandon(self) {
        std::mem::forget(self);
    }
}

/// Sends a control message and waits for its reply, at most `timeout` in all.
pub(crate) fn request(
    ctl: &Sender<Control>,
    make: fn(Sender<()>) -> Control,
    timeout: Duration,
) -> bool {
    let deadline = std::time::Instant::now() + timeout;
    let (tx, rx) = bounded(1);
    if ctl.send_deadline(make(tx), deadline).is_err() {
        return false;
    }
    rx.recv_deadline(deadline).is_ok()
}
