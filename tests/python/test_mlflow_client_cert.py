"""Mutual TLS: MLFLOW_TRACKING_CLIENT_CERT_PATH (one PEM file, certificate and key, as MLflow
passes it to requests) is presented to a server that requires a client certificate, next to
MLFLOW_TRACKING_SERVER_CERT_PATH; the trace arrives, and the REST calls go through too. A missing
or foreign certificate is refused by the server, and nothing is lost; a file without its key is a
clear error naming the variable."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from conftest import run_script

pytest.importorskip("cryptography")
from mtls_proxy import Certs, MutualTlsProxy  # noqa: E402

APP = (
    "import sys, ferrotrace as mlflow\n"
    "mlflow.set_tracking_uri(sys.argv[1]); mlflow.set_experiment(sys.argv[2])\n"
    "@mlflow.trace\n"
    "def answer(q): return q.upper()\n"
    "answer('over mutual tls')\n"
    "mlflow.flush()\n"
    "s = mlflow.stats()\n"
    "print(s['traces_exported'], s['traces_spilled'], s['traces_dropped'])\n"
    "try:\n"
    "    print('experiment:', mlflow.MlflowClient().get_experiment_by_name(sys.argv[2]) is not None)\n"
    "except Exception as e:\n"
    "    print('experiment: error', type(e).__name__)\n"
)


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    return Certs(tmp_path_factory.mktemp("certs"))


def _run(proxy: MutualTlsProxy, certs: Certs, tmp_path: Path, client: Path | None) -> tuple[Any, str]:
    experiment = f"mtls-{uuid.uuid4().hex[:6]}"
    env = {"MLFLOW_TRACKING_SERVER_CERT_PATH": str(certs.ca), "FERROTRACE_EXIT_TIMEOUT": "3"}
    if client is not None:
        env["MLFLOW_TRACKING_CLIENT_CERT_PATH"] = str(client)
    return run_script(APP, env, cwd=str(tmp_path), argv=[proxy.uri, experiment], timeout=120), experiment


def test_the_client_certificate_is_presented_and_the_trace_arrives(
    mlflow_server: str, mlflow_reader: Any, certs: Certs, tmp_path: Path
) -> None:
    with MutualTlsProxy(mlflow_server, certs) as proxy:
        r, experiment = _run(proxy, certs, tmp_path, certs.client)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "1 0 0", r.stdout + r.stderr
    assert lines[1] == "experiment: True", r.stdout + r.stderr
    assert not proxy.refused, proxy.refused
    # Every request (experiment, StartTraceV3, OTLP spans, the REST call) came with the certificate.
    assert proxy.clients and set(proxy.clients) == {"ferrotrace test client"}
    exp = mlflow_reader.get_experiment_by_name(experiment)
    traces = mlflow_reader.search_traces(locations=[exp.experiment_id], return_type="list")
    assert [s.name for t in traces for s in t.data.spans] == ["answer"]
    assert traces[0].data.spans[0].outputs == "OVER MUTUAL TLS"


@pytest.mark.parametrize("which", ["none", "stranger"])
def test_without_an_accepted_certificate_the_server_refuses_and_nothing_is_lost(
    mlflow_server: str, certs: Certs, tmp_path: Path, which: str
) -> None:
    client = None if which == "none" else certs.stranger
    with MutualTlsProxy(mlflow_server, certs) as proxy:
        r, _ = _run(proxy, certs, tmp_path, client)
    assert r.returncode == 0, r.stderr
    exported, spilled, dropped = (int(x) for x in r.stdout.splitlines()[0].split())
    assert exported == 0, r.stdout + r.stderr
    assert spilled + dropped >= 1, r.stdout + r.stderr  # kept on disk or counted, never silent
    assert proxy.refused and not proxy.clients
    assert "TLS" in r.stderr and "MLFLOW_TRACKING_CLIENT_CERT_PATH" in r.stderr, r.stderr
    # The REST call fails the same way, with an exception the application can catch.
    assert r.stdout.splitlines()[1].startswith("experiment: error"), r.stdout


def test_a_certificate_file_without_its_key_is_an_error_naming_the_variable(
    mlflow_server: str, certs: Certs, tmp_path: Path
) -> None:
    with MutualTlsProxy(mlflow_server, certs) as proxy:
        r, _ = _run(proxy, certs, tmp_path, certs.cert_only)
    assert r.returncode == 0, r.stderr  # the application runs on
    assert "MLFLOW_TRACKING_CLIENT_CERT_PATH" in r.stderr and "private key" in r.stderr, r.stderr
    assert not proxy.clients
