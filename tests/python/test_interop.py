"""Distributed tracing across languages (checklist item 65): a Python client's traceparent parents
a Node service's spans, and a Node client's parents a Python service's, in one trace. Both sides
write to one local store, which joins the parts of a trace by id."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import pytest

from ferrotrace import _native

REPO = Path(__file__).resolve().parents[2]
NODE_SERVICE = REPO / "tests" / "interop" / "node_service.mjs"

PY_CLIENT = r'''
import json, sys, urllib.request
import ferrotrace as mlflow

@mlflow.trace
def py_client(url):
    req = urllib.request.Request(url, headers=mlflow.tracing.get_tracing_context_headers_for_http_request())
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())

out = py_client(sys.argv[1] + "/work?q=hi")
print(json.dumps({"out": out, "trace_id": mlflow.get_last_active_trace_id()}))
'''

PY_SERVICE = r'''
import json, sys
from http.server import BaseHTTPRequestHandler, HTTPServer
import ferrotrace as mlflow

@mlflow.trace
def py_work(q):
    with mlflow.start_span("pyStep"):
        return q[::-1]

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path.startswith("/stop"):
            mlflow.flush()
            self.send_response(200); self.end_headers(); self.wfile.write(b"{}")
            raise SystemExit
        with mlflow.tracing.set_tracing_context_from_http_request_headers(dict(self.headers)):
            out = py_work("abc")
        body = json.dumps({"out": out}).encode()
        self.send_response(200); self.end_headers(); self.wfile.write(body)
    def log_message(self, *a):
        pass

srv = HTTPServer(("127.0.0.1", 0), Handler)
print(srv.server_address[1], flush=True)
try:
    srv.serve_forever()
except SystemExit:
    pass
'''


def _env(store: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FERROTRACE_", "MLFLOW_"))}
    env.update(FERROTRACE_LOCAL_DIR=str(store), MLFLOW_DISABLE_TELEMETRY="true", DO_NOT_TRACK="true")
    return env


def _start(cmd: list[str], store: Path) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(cmd, env=_env(store), cwd=str(store.parent), stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    port = proc.stdout.readline().strip()
    assert port.isdigit(), f"service did not start: {port!r}"
    return proc, f"http://127.0.0.1:{port}"


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=60) as r:
        return json.loads(r.read())


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "store"


def _stop(proc: subprocess.Popen[str], base: str) -> None:
    try:
        _get(base + "/stop")
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()


def _trace(store: Path, trace_id: str) -> dict[str, Any]:
    texts, warnings = _native.store_read(str(store))
    assert not warnings
    mine = [json.loads(t) for t in texts if json.loads(t)["info"]["trace_id"] == trace_id]
    assert len(mine) == 1, f"{len(mine)} records for {trace_id}"
    return mine[0]


def _tree(trace: dict[str, Any]) -> dict[str, Any]:
    by_id = {s["span_id"]: s["name"] for s in trace["data"]["spans"]}
    return {s["name"]: by_id.get(s["parent_span_id"]) for s in trace["data"]["spans"]}


def test_a_python_client_parents_a_node_service(store: Path) -> None:
    node, base = _start(["node", str(NODE_SERVICE)], store)
    try:
        r = subprocess.run(
            [sys.executable, "-c", PY_CLIENT, base], env=_env(store), capture_output=True, text=True, timeout=120
        )
        assert r.returncode == 0, r.stderr
    finally:
        _stop(node, base)
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["out"] == {"out": "HI"}
    trace = _trace(store, out["trace_id"])
    assert _tree(trace) == {"py_client": None, "nodeWork": "py_client", "nodeStep": "nodeWork"}


def test_a_node_client_parents_a_python_service(store: Path) -> None:
    py, py_base = _start([sys.executable, "-c", PY_SERVICE], store)
    node, node_base = _start(["node", str(NODE_SERVICE)], store)
    try:
        out = _get(node_base + "/call?url=" + urllib.parse.quote(py_base + "/work", safe=""))
    finally:
        _stop(node, node_base)
        _stop(py, py_base)
    assert out["status"] == 200 and json.loads(out["body"]) == {"out": "cba"}
    trace = _trace(store, out["traceId"])
    assert _tree(trace) == {"nodeClient": None, "py_work": "nodeClient", "pyStep": "py_work"}
