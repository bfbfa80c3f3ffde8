"""Proxies from the environment, as MLflow's client (requests) honours them: HTTP_PROXY carries
the requests to an http:// server, HTTPS_PROXY tunnels (CONNECT) to an https:// one, and NO_PROXY
sends them straight to the server. The proxy is a real one on 127.0.0.1 in front of the real
MLflow server, and the trace is read back with MLflow's client."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from conftest import run_script
from forward_proxy import ForwardProxy

APP = (
    "import sys, ferrotrace as mlflow\n"
    "mlflow.set_tracking_uri(sys.argv[1]); mlflow.set_experiment(sys.argv[2])\n"
    "@mlflow.trace\n"
    "def answer(q): return q.upper()\n"
    "answer('through the proxy')\n"
    "mlflow.flush()\n"
    "s = mlflow.stats()\n"
    "print(s['traces_exported'], s['traces_spilled'], s['traces_dropped'])\n"
    "print('experiment:', mlflow.MlflowClient().get_experiment_by_name(sys.argv[2]) is not None)\n"
)


def _spans_of(mlflow_reader: Any, experiment: str) -> list[str]:
    exp = mlflow_reader.get_experiment_by_name(experiment)
    traces = mlflow_reader.search_traces(locations=[exp.experiment_id], return_type="list")
    return [s.name for t in traces for s in t.data.spans]


@pytest.fixture(autouse=True)
def no_inherited_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only this test's proxy variables reach the script (run_script passes the environment on)."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def _proxy_env(proxy: ForwardProxy, lower: bool, **more: str) -> dict[str, str]:
    http, https = ("http_proxy", "https_proxy") if lower else ("HTTP_PROXY", "HTTPS_PROXY")
    return {http: proxy.uri, https: proxy.uri, "FERROTRACE_EXIT_TIMEOUT": "5", **more}


@pytest.mark.parametrize("lower", [False, True], ids=["upper", "lower"])
def test_http_proxy_carries_every_request_and_the_trace_arrives(
    mlflow_server: str, mlflow_reader: Any, tmp_path: Path, lower: bool
) -> None:
    experiment = f"proxy-{uuid.uuid4().hex[:6]}"
    with ForwardProxy() as proxy:
        r = run_script(APP, _proxy_env(proxy, lower), cwd=str(tmp_path), argv=[mlflow_server, experiment])
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["1 0 0", "experiment: True"], r.stdout + r.stderr
    paths = [uri for _, uri in proxy.forwarded]
    # The experiment lookup, StartTraceV3, the spans and the client call all went through it.
    assert all(p.startswith(mlflow_server + "/") for p in paths), paths
    assert any(p.endswith("/v1/traces") for p in paths), paths
    assert any("/api/3.0/mlflow/traces" in p for p in paths), paths
    assert any("experiments/get-by-name" in p for p in paths), paths
    assert _spans_of(mlflow_reader, experiment) == ["answer"]


def test_no_proxy_goes_straight_to_the_server(mlflow_server: str, mlflow_reader: Any, tmp_path: Path) -> None:
    experiment = f"noproxy-{uuid.uuid4().hex[:6]}"
    with ForwardProxy() as proxy:
        env = _proxy_env(proxy, False, NO_PROXY="localhost,127.0.0.1")
        r = run_script(APP, env, cwd=str(tmp_path), argv=[mlflow_server, experiment])
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["1 0 0", "experiment: True"], r.stdout + r.stderr
    assert proxy.forwarded == [] and proxy.tunnels == []
    assert _spans_of(mlflow_reader, experiment) == ["answer"]


def test_https_proxy_tunnels_to_an_https_server(mlflow_server: str, mlflow_reader: Any, tmp_path: Path) -> None:
    pytest.importorskip("cryptography")
    from mtls_proxy import Certs, MutualTlsProxy

    certs = Certs(tmp_path / "certs")
    experiment = f"tunnel-{uuid.uuid4().hex[:6]}"
    with MutualTlsProxy(mlflow_server, certs) as tls, ForwardProxy() as proxy:
        env = _proxy_env(
            proxy,
            False,
            MLFLOW_TRACKING_SERVER_CERT_PATH=str(certs.ca),
            MLFLOW_TRACKING_CLIENT_CERT_PATH=str(certs.client),
        )
        r = run_script(APP, env, cwd=str(tmp_path), argv=[tls.uri, experiment])
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["1 0 0", "experiment: True"], r.stdout + r.stderr
    host_port = tls.uri.removeprefix("https://")
    assert proxy.tunnels and set(proxy.tunnels) == {host_port}, proxy.tunnels
    assert proxy.forwarded == []
    # TLS went end to end through the tunnel: the server saw the client's certificate.
    assert tls.clients and set(tls.clients) == {"ferrotrace test client"}
    assert _spans_of(mlflow_reader, experiment) == ["answer"]
