"""MLflow's settings honoured from a Python application: the in-progress trace buffer's TTL
abandons a trace left open (counted, one warning naming the variable), the HTTP retry count
bounds the attempts on a server that keeps failing, and a value MLflow would refuse is a warning
naming the variable at start, never an exception in the application."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import pytest
from conftest import run_script

TTL_APP = (
    "import time, ferrotrace as mlflow\n"
    "with mlflow.start_span('long') as root:\n"
    "    time.sleep(1.6)\n"
    "@mlflow.trace\n"
    "def quick(): return 1\n"
    "quick()\n"
    "mlflow.flush()\n"
    "s = mlflow.stats()\n"
    "print(s['traces_exported'], s['dropped_traces'].get('trace_buffer_ttl'), s['dropped_spans'].get('trace_buffer_ttl'))\n"
)


def test_a_trace_open_past_the_buffer_ttl_is_abandoned_and_counted(tmp_path: Path) -> None:
    env = {"MLFLOW_TRACE_BUFFER_TTL_SECONDS": "1", "MLFLOW_TRACE_TIMEOUT_CHECK_INTERVAL_SECONDS": "0.1"}
    r = run_script(TTL_APP, env, cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["1", "1", "1"], r.stdout + r.stderr
    assert r.stderr.count("MLFLOW_TRACE_BUFFER_TTL_SECONDS") == 1, r.stderr
    # Without the variable the same trace is kept.
    r = run_script(TTL_APP, {}, cwd=str(tmp_path))
    assert r.stdout.split() == ["2", "None", "None"], r.stdout + r.stderr


@pytest.fixture
def failing_server() -> Iterator[tuple[str, list[str]]]:
    """Answers every request with 503, recording its path."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            seen.append(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            body = json.dumps({"error_code": "TEMPORARILY_UNAVAILABLE", "message": "busy"}).encode()
            self.send_response(503)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PATCH = do_DELETE = _answer

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


RETRY_APP = (
    "import sys, ferrotrace as mlflow\n"
    "mlflow.set_tracking_uri(sys.argv[1])\n"
    "try:\n"
    "    mlflow.MlflowClient().get_experiment('7')\n"
    "except Exception as e:\n"
    "    print('error:', type(e).__name__)\n"
)


def test_the_retry_count_bounds_attempts_on_a_failing_server(failing_server: tuple[str, list[str]], tmp_path: Path) -> None:
    uri, seen = failing_server
    env = {
        "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2",
        "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "0.05",
        "MLFLOW_HTTP_REQUEST_BACKOFF_JITTER": "0",
    }
    r = run_script(RETRY_APP, env, cwd=str(tmp_path), argv=[uri])
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("error:"), r.stdout + r.stderr
    assert len([p for p in seen if "experiments/get" in p]) == 3, seen  # 1 + 2 retries
    seen.clear()
    r = run_script(RETRY_APP, {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0"}, cwd=str(tmp_path), argv=[uri])
    assert len([p for p in seen if "experiments/get" in p]) == 1, seen


def test_a_value_mlflow_refuses_is_a_warning_naming_the_variable(tmp_path: Path) -> None:
    app = "import ferrotrace as mlflow\nwith mlflow.start_span('s'): pass\nmlflow.flush()\nprint('ran')\n"
    r = run_script(app, {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "12", "MLFLOW_TRACE_BUFFER_TTL_SECONDS": "soon"}, cwd=str(tmp_path))
    assert r.returncode == 0 and r.stdout.strip() == "ran", r.stdout + r.stderr
    assert "MLFLOW_HTTP_REQUEST_MAX_RETRIES" in r.stderr and '"12"' in r.stderr, r.stderr
    assert "MLFLOW_TRACE_BUFFER_TTL_SECONDS" in r.stderr, r.stderr
