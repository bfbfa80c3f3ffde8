//! Files of the local store and the spill store are the user's prompts and outputs: they are
//! created readable by their owner only (0600, folders 0700). A folder that already exists keeps
//! its mode (it may be one the user chose and shares, such as a project folder); the files
//! written into it are 0600 all the same.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use parking_lot::Mutex;

/// Creates `dir` and any missing parents, the created ones owner-only.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir)
}

/// Options for a new owner-only file.
pub fn private_options() -> OpenOptions {
    let mut o = OpenOptions::new();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    o
}

/// Writes `bytes` to `path`, creating it owner-only (an existing file keeps its mode).
pub fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f: File = private_options()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)?;
    f.write_all(bytes)
}

/// Segments this process has open for appending (by any of its writers): rotation never removes
/// them, since appends to a removed file would be lost without a trace.
static OPEN: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

pub(crate) fn mark_open(path: &Path) {
    OPEN.lock().push(path.to_path_buf());
}

pub(crate) fn mark_closed(path: &Path) {
    let mut open = OPEN.lock();
    if let Some(i) = open.iter().position(|p| p == path) {
        open.swap_remove(i);
    }
}

pub(crate) fn is_open_here(path: &Path) -> bool {
    OPEN.lock().iter().any(|p| p == path)
}

/// Whether process `pid` exists (on another platform: assumed so).
pub(crate) fn process_alive(pid: u32) -> bool {
    #[cfg(unix)]
    {
        let Ok(pid) = libc::pid_t::try_from(pid) else {
            return false;
        };
        // SAFETY: kill(2) with signal 0 sends nothing and touches no memory of ours; it only
        // checks that the process exists (EPERM: it does, under another user).
        let r = unsafe { libc::kill(pid, 0) };
        r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        true
    }
}
