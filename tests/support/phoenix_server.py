"""A real Arize Phoenix server for tests: started from its own venv (`make test-phoenix` installs
it) on 127.0.0.1 free ports, with its SQLite working directory in a temporary folder, and
stopped by the pid it was started with."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PHOENIX = ROOT / ".cache" / "phoenix-venv" / "bin" / "phoenix"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Server:
    uri: str
    pid: int
    log: Path


def start(workdir: Path, timeout: float = 300) -> Server:
    """Starts Phoenix and waits until `/healthz` answers; raises with the log's tail if not."""
    port, grpc_port = free_port(), free_port()
    env = {
        **os.environ,
        "PHOENIX_WORKING_DIR": str(workdir),
        "PHOENIX_HOST": "127.0.0.1",
        "PHOENIX_PORT": str(port),
        "PHOENIX_GRPC_PORT": str(grpc_port),
        # No usage reports to the internet.
        "PHOENIX_TELEMETRY_ENABLED": "false",
        "DO_NOT_TRACK": "1",
    }
    log = workdir / "phoenix.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([str(PHOENIX), "serve"], env=env, stdout=out, stderr=subprocess.STDOUT)
    uri = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                break
            try:
                with urllib.request.urlopen(uri + "/healthz", timeout=2) as r:
                    if r.status == 200:
                        return Server(uri, proc.pid, log)
            except OSError:
                time.sleep(0.5)
    except BaseException:
        # A test timeout or an interrupt while waiting: the server must not outlive the test.
        stop_pid(proc.pid)
        raise
    stop_pid(proc.pid)
    raise RuntimeError(f"Phoenix did not start: {log.read_text(errors='replace')[-2000:]}")


def stop_pid(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    for _ in range(100):
        try:
            os.waitpid(pid, os.WNOHANG)
            os.kill(pid, 0)
        except (ChildProcessError, ProcessLookupError):
            return
        time.sleep(0.1)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
