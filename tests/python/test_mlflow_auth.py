"""Auth: basic and bearer credentials reach the server on every request, a rejected credential
gives one clear error naming the settings, and no credential ever appears in output."""

from __future__ import annotations

import base64
import uuid
from pathlib import Path

from auth_proxy import AuthProxy
from conftest import run_script

APP = (
    "import sys, ferrotrace as mlflow\n"
    "mlflow.set_tracking_uri(sys.argv[1]); mlflow.set_experiment(sys.argv[2])\n"
    "@mlflow.trace\n"
    "def f(x): return x\n"
    "f(1)\n"
    "mlflow.flush()\n"
    "print(mlflow.stats()['traces_exported'], mlflow.stats()['dropped_traces'])\n"
)


def test_basic_auth_reaches_the_server(mlflow_server: str, tmp_path: Path) -> None:
    want = "Basic " + base64.b64encode(b"alice:s3cret-pw").decode()
    with AuthProxy(mlflow_server, required=want) as proxy:
        env = {"MLFLOW_TRACKING_USERNAME": "alice", "MLFLOW_TRACKING_PASSWORD": "s3cret-pw"}
        r = run_script(APP, env, cwd=str(tmp_path), argv=[proxy.uri, f"auth-{uuid.uuid4().hex[:6]}"])
    assert r.returncode == 0, r.stderr
    assert r.stdout.split()[0] == "1", r.stdout + r.stderr
    assert proxy.seen and all(auth == want for _, _, auth in proxy.seen)
    assert any(path.startswith("/v1/traces") for _, path, _ in proxy.seen)
    assert "s3cret-pw" not in r.stdout + r.stderr


def test_bearer_token_reaches_the_server(mlflow_server: str, tmp_path: Path) -> None:
    with AuthProxy(mlflow_server, required="Bearer tok-123") as proxy:
        r = run_script(APP, {"MLFLOW_TRACKING_TOKEN": "tok-123"}, cwd=str(tmp_path), argv=[proxy.uri, f"auth-{uuid.uuid4().hex[:6]}"])
    assert r.returncode == 0, r.stderr
    assert r.stdout.split()[0] == "1"
    assert all(auth == "Bearer tok-123" for _, _, auth in proxy.seen)


def test_a_rejected_credential_gives_one_clear_error_without_the_secret(mlflow_server: str, tmp_path: Path) -> None:
    with AuthProxy(mlflow_server, required="Bearer right") as proxy:
        env = {"MLFLOW_TRACKING_TOKEN": "wrong-token-xyz"}
        r = run_script(APP, env, cwd=str(tmp_path), argv=[proxy.uri, "auth-rejected"])
    assert r.returncode == 0, r.stderr
    exported, dropped = r.stdout.split(maxsplit=1)
    assert exported == "0" and "rejected" in dropped  # a 401 cannot succeed later: not retried, not spilled
    assert "MLFLOW_TRACKING_TOKEN" in r.stderr
    assert "wrong-token-xyz" not in r.stdout + r.stderr
