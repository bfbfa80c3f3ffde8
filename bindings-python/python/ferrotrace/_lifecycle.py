"""Process-level setup: the metadata MLflow records about where a trace came from, and the
exit hooks that deliver what is still queued without ever hanging the interpreter.

Three ways a process ends are covered: a normal exit (`atexit`); SIGTERM with no handler of the
application's (the core's handler delivers, then the process still ends by SIGTERM); and the
children of `multiprocessing` (and Celery's `billiard`), which leave through `os._exit` after
running their own finalizers, so `atexit` never runs there: a finalizer is registered in each
child instead."""

from __future__ import annotations

import atexit
import os
import sys

from ferrotrace import _native


def _source_name() -> str:
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None) or (sys.argv[0] if sys.argv and sys.argv[0] else "")
    return str(path)


def _user() -> str:
    # What getpass.getuser() does, without importing `getpass` (and `termios`, `contextlib`).
    for name in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        user = os.environ.get(name)
        if user:
            return user
    try:
        import pwd

        return pwd.getpwuid(os.getuid())[0]
    except Exception:  # no pwd module (Windows) or no entry for the uid
        return "unknown"


def install() -> None:
    # Reported to MLflow servers as the resource's telemetry.sdk.language, as MLflow's SDK does.
    _native.configure(sdk_language="python")
    _native.set_process_metadata(
        {
            "mlflow.user": _user(),
            "mlflow.source.name": _source_name(),
            "mlflow.source.type": "LOCAL",
            # MLflow writes these empty when it cannot read git; so do we.
            "mlflow.source.git.commit": "",
            "mlflow.source.git.branch": "",
            "mlflow.source.git.repoURL": "",
        }
    )
    atexit.register(_at_exit)
    try:
        _native.install_sigterm()
    except Exception:
        pass
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=_after_fork_in_child)
    # Imported where the package is already loaded: a child started later gets the finalizer
    # from the after-fork callbacks (this covers a child that imports ferrotrace while it is
    # being set up, before it runs them); one already running (ferrotrace imported by the
    # target function) gets it now.
    _arm_children()
    for name in _MP_PACKAGES:
        process = sys.modules.get(name + ".process")
        if process is not None and getattr(process, "_parent_process", None) is not None:
            _register_finalizer(name)


# multiprocessing and its fork in Celery, billiard: same `util` API (Finalize, register_after_fork).
_MP_PACKAGES = ("multiprocessing", "billiard")


class _Token:
    """What the packages' after-fork registries hold a weak reference to (kept alive here)."""


_TOKEN = _Token()
# The finalizer's exit priority: lowest, so it runs after the application's own finalizers
# (which may still trace), just before the child calls os._exit.
_EXIT_PRIORITY = -1_000_000


def _after_fork_in_child() -> None:
    # A child process of the packages clears its finalizers after this hook ran, then calls its
    # after-fork callbacks: the finalizer is registered from one of those.
    _arm_children()


def _arm_children() -> None:
    for name in _MP_PACKAGES:
        util = sys.modules.get(name + ".util")
        if util is None:
            continue
        try:
            util.register_after_fork(_TOKEN, lambda _token, name=name: _register_finalizer(name))
        except Exception:
            pass


def _register_finalizer(name: str) -> None:
    util = sys.modules.get(name + ".util")
    if util is None:
        return
    try:
        # Registered once per process: a second registration would only find nothing to do.
        if getattr(util, "_ferrotrace_pid", None) == os.getpid():
            return
        util.Finalize(None, _at_exit, exitpriority=_EXIT_PRIORITY)
        setattr(util, "_ferrotrace_pid", os.getpid())
    except Exception:
        pass


def _at_exit() -> None:
    # The core delivers within the exit timeout and reports on stderr what did not make it.
    try:
        _native.exit(float(_native.config()["exit_timeout"]))
    except Exception:
        pass
