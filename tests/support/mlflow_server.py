"""Starts a real MLflow tracking server on 127.0.0.1 for tests, and stops it by the pid it
started. Used by the pytest fixture and, as a script, by the Node tests:

    python tests/support/mlflow_server.py start DIR   # prints the URI, writes DIR/server.pid
    python tests/support/mlflow_server.py stop DIR
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

READY_TIMEOUT_S = 120.0


@dataclass
class Server:
    uri: str
    pid: int
    workdir: Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "FERROTRACE_"))}
    # MLflow reports usage to the internet unless told not to.
    env.update(MLFLOW_DISABLE_TELEMETRY="true", DO_NOT_TRACK="true")
    return env


def start(workdir: Path, workers: int = 1) -> Server:
    """One worker by default: tests start fast and use little memory. The `mlflow server`
    default is 4 (the export bench measures both)."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    mlflow_exe = Path(sys.executable).with_name("mlflow")
    cmd = [
        str(mlflow_exe), "server",
        "--backend-store-uri", f"sqlite:///{workdir / 'mlflow.db'}",
        "--artifacts-destination", str(workdir / "artifacts"),
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
    ]
    log = open(workdir / "server.log", "ab")
    # Own session: the pid we started leads a process group that holds the uvicorn workers.
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=server_env(), start_new_session=True)
    uri = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"mlflow server exited with {proc.returncode}; see {workdir / 'server.log'}")
        try:
            with urllib.request.urlopen(uri + "/health", timeout=2) as r:
                if r.status == 200:
                    (workdir / "server.pid").write_text(str(proc.pid))
                    return Server(uri, proc.pid, workdir)
        except OSError:
            time.sleep(0.3)
    stop_pid(proc.pid)
    raise RuntimeError(f"mlflow server not ready after {READY_TIMEOUT_S:.0f}s; see {workdir / 'server.log'}")


def stop_pid(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.killpg(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def main() -> None:
    cmd, workdir = sys.argv[1], Path(sys.argv[2])
    if cmd == "start":
        print(start(workdir).uri, flush=True)
    elif cmd == "stop":
        pid_file = workdir / "server.pid"
        if pid_file.exists():
            stop_pid(int(pid_file.read_text()))
            pid_file.unlink()
    else:
        raise SystemExit(f"usage: {sys.argv[0]} start|stop DIR")


if __name__ == "__main__":
    main()
