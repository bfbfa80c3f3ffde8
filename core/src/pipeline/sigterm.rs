//! SIGTERM without an application handler (how Docker, Kubernetes and process managers stop a
//! process, and how `multiprocessing.Pool` ends its workers): the default action ends the
//! process at once and every finished trace still queued is lost. When (and only when) SIGTERM's
//! disposition is still the default, a handler is installed that wakes a watcher thread through
//! a pipe (the only thing a signal handler may safely do); the watcher delivers what is queued
//! within the exit timeout, restores the default disposition and sends SIGTERM again, so the
//! process still ends with SIGTERM's status. An application that installs its own handler later
//! simply replaces this one. Further SIGTERMs while the first is handled are ignored: the
//! delivery is bounded by the exit timeout.
//!
//! A forked child inherits the handler but not the thread: until its own pipeline starts (and
//! with it a watcher, see [`ensure_watcher`]) the handler falls back to the default action.

#[cfg(unix)]
mod imp {
    use std::sync::atomic::{AtomicBool, AtomicI32, Ordering::SeqCst};
    use std::time::Duration;

    /// Write end of the watcher's pipe (-1: none).
    static WRITE_FD: AtomicI32 = AtomicI32::new(-1);
    /// The process whose watcher thread reads the pipe (0: none yet in this process).
    static WATCHER_PID: AtomicI32 = AtomicI32::new(0);
    static INSTALLED: AtomicBool = AtomicBool::new(false);
    /// Set by the first SIGTERM: a second one ends the process at once.
    static TERMINATING: AtomicBool = AtomicBool::new(false);

    extern "C" fn on_sigterm(_: libc::c_int) {
        // Only async-signal-safe calls here: getpid, write, signal, raise.
        // SAFETY: plain system calls on integers this module owns.
        unsafe {
            let fd = WRITE_FD.load(SeqCst);
            let ours = WATCHER_PID.load(SeqCst) == libc::getpid();
            if fd >= 0 && ours {
                // A second SIGTERM while the first is handled (multiprocessing sends one to
                // each daemonic child again at exit) must not cut the bounded delivery short.
                if TERMINATING.swap(true, SeqCst) {
                    return;
                }
                let byte = 1u8;
                if libc::write(fd, (&byte as *const u8).cast(), 1) == 1 {
                    return;
                }
            }
            // No watcher in this process (a forked child that traced nothing yet): the default
            // action, delivered when this handler returns.
            libc::signal(libc::SIGTERM, libc::SIG_DFL);
            libc::raise(libc::SIGTERM);
        }
    }

    fn disposition_is_default() -> bool {
        // SAFETY: sigaction with a null new action only reads the current one.
        unsafe {
            let mut old: libc::sigaction = std::mem::zeroed();
            libc::sigaction(libc::SIGTERM, std::ptr::null(), &mut old) == 0
                && old.sa_sigaction == libc::SIG_DFL
        }
    }

    pub fn install() -> bool {
        if INSTALLED.load(SeqCst) || !disposition_is_default() {
            return false;
        }
        if !ensure_watcher() {
            return false;
        }
        // SAFETY: installs a handler that only does async-signal-safe calls.
        let ok = unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_sigterm as *const () as libc::sighandler_t;
            action.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(libc::SIGTERM, &action, std::ptr::null_mut()) == 0
        };
        INSTALLED.store(ok, SeqCst);
        ok
    }

    pub fn ensure_watcher() -> bool {
        // SAFETY: getpid cannot fail.
        let me = unsafe { libc::getpid() };
        if WATCHER_PID.load(SeqCst) == me {
            return true;
        }
        let mut fds = [-1; 2];
        // SAFETY: a fresh pipe, close-on-exec so programs this process runs do not inherit it.
        unsafe {
            if libc::pipe(fds.as_mut_ptr()) != 0 {
                return false;
            }
            libc::fcntl(fds[0], libc::F_SETFD, libc::FD_CLOEXEC);
            libc::fcntl(fds[1], libc::F_SETFD, libc::FD_CLOEXEC);
        }
        let (read_fd, write_fd) = (fds[0], fds[1]);
        let spawned = std::thread::Builder::new()
            .name("ferrotrace-sigterm".into())
            .spawn(move || watch(read_fd));
        if spawned.is_err() {
            // SAFETY: closing the pipe this call just opened.
            unsafe {
                libc::close(read_fd);
                libc::close(write_fd);
            }
            return false;
        }
        // The parent's pipe (inherited through fork) is left open: its reader is not here,
        // and closing it could race a handler that still holds the number.
        WRITE_FD.store(write_fd, SeqCst);
        WATCHER_PID.store(me, SeqCst);
        TERMINATING.store(false, SeqCst);
        true
    }

    fn watch(read_fd: libc::c_int) {
        let mut byte = 0u8;
        loop {
            // SAFETY: reading one byte into a local from the pipe this thread owns.
            let n = unsafe { libc::read(read_fd, (&mut byte as *mut u8).cast(), 1) };
            if n == 1 {
                break;
            }
            if n == 0 || std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
                return;
            }
        }
        // The process-wide tracer's delivery (none made yet: nothing to deliver).
        if let Some(delivery) = crate::pipeline::delivery::global() {
            let timeout = delivery.config().exit_timeout.min(Duration::from_secs(30));
            // Panics are contained: the process must still end with SIGTERM's status.
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                delivery.exit(timeout, 0)
            }));
        }
        // SAFETY: restores the default action and delivers SIGTERM to this thread, which does
        // not block it: the process ends as it would have without tracing.
        unsafe {
            libc::signal(libc::SIGTERM, libc::SIG_DFL);
            libc::raise(libc::SIGTERM);
        }
    }

    pub fn installed() -> bool {
        INSTALLED.load(SeqCst)
    }
}

/// Installs the SIGTERM handler if SIGTERM's disposition is the default one; whether it did.
/// Called once by each binding at start-up.
pub fn install() -> bool {
    #[cfg(unix)]
    {
        imp::install()
    }
    #[cfg(not(unix))]
    {
        false
    }
}

/// Starts this process's watcher thread if the handler is installed and this is a forked child
/// that has none yet (called when a pipeline starts: before that there is nothing to deliver).
pub fn ensure_watcher() {
    #[cfg(unix)]
    if imp::installed() {
        imp::ensure_watcher();
    }
}
