"""Process-level setup: the metadata MLflow records about where a trace came from, and the
exit hook that delivers what is still queued without ever hanging the interpreter."""

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


def _at_exit() -> None:
    # The core delivers within the exit timeout and reports on stderr what did not make it.
    try:
        _native.exit(float(_native.config()["exit_timeout"]))
    except Exception:
        pass
