"""Redaction before anything leaves the process: an app with secrets in arguments, outputs,
attributes, tags, metadata and exceptions exports to a real MLflow server and to the local
store; neither what MLflow's client reads back nor the raw bytes on disk hold a secret."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

import ferrotrace
from ferrotrace import _native, tracing
from ferrotrace.entities import LiveSpan, SpanEvent
from conftest import attr, only_trace, run_script

OPENAI = "sk-proj-Qw93abcdefghijklmnopqrstuv"
AWS = "AKIAQW93ABCDEFGHIJKL"
PASSWORD = "hunter2-qw93"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJxdzkzIn0.c2lnbmF0dXJlcXc5Mw"
GITHUB = "ghp_Qw93abcdefghijklmnopqrstuvwxyz012345"
SECRETS = [OPENAI, AWS, PASSWORD, JWT, GITHUB]

APP = r'''
import json, sys
import ferrotrace as mlflow

OPENAI, AWS, PASSWORD, JWT, GITHUB = sys.argv[1:6]
if len(sys.argv) > 6:
    mlflow.set_tracking_uri(sys.argv[6])
    mlflow.set_experiment(sys.argv[7])

@mlflow.trace(span_type="LLM")
def call_llm(prompt, api_key):
    span = mlflow.get_current_active_span()
    span.set_attribute("http.headers", {"Authorization": f"Bearer {JWT}", "accept": "json"})
    span.set_attribute("note", f"aws key {AWS}")
    return {"content": f"I saw {OPENAI}", "usage": {"total_tokens": 5}}

@mlflow.trace
def failing(token):
    raise PermissionError(f"rejected {GITHUB}")

@mlflow.trace(span_type="AGENT")
def agent(question, password):
    mlflow.update_current_trace(tags={"deploy_token": GITHUB, "env": f"uses {OPENAI}"},
                                metadata={"note": f"aws {AWS}"})
    try:
        failing(GITHUB)
    except PermissionError:
        pass
    return call_llm(question, api_key=OPENAI)["content"]

agent(f"hello, my key is {OPENAI}", password=PASSWORD)
tid = mlflow.get_last_active_trace_id()
assert mlflow.flush(30)
if len(sys.argv) > 6:
    mlflow.set_trace_tag(tid, "late", f"found {AWS}")
print(json.dumps({"id": tid, "stats": mlflow.stats()}))
'''


def _run(tmp: Path, env: dict[str, str], extra: list[str]) -> dict[str, Any]:
    r = run_script(APP, env, cwd=str(tmp), argv=[*SECRETS, *extra])
    assert r.returncode == 0, r.stderr
    out: dict[str, Any] = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["stats"]["redactions"] >= 9, out["stats"]
    assert out["stats"]["traces_dropped"] == 0
    return out


def test_secrets_never_reach_the_mlflow_server(mlflow_server: str, mlflow_reader: Any, tmp_path: Path) -> None:
    out = _run(tmp_path, {}, [mlflow_server, f"redact-{uuid.uuid4().hex[:8]}"])
    trace = mlflow_reader.get_trace(out["id"])
    text = trace.to_json()
    for secret in SECRETS:
        assert secret not in text, secret
    spans = {s.name: s for s in trace.data.spans}
    assert spans["agent"].inputs == {"question": "hello, my key is [REDACTED:openai_key]", "password": "[REDACTED:secret_key]"}
    assert spans["call_llm"].inputs["api_key"] == "[REDACTED:secret_key]"
    assert spans["call_llm"].get_attribute("http.headers") == {"Authorization": "[REDACTED:secret_key]", "accept": "json"}
    assert spans["call_llm"].outputs == {"content": "I saw [REDACTED:openai_key]", "usage": {"total_tokens": 5}}
    assert spans["failing"].status.description == "PermissionError: rejected [REDACTED:github_token]"
    info = trace.info
    assert info.tags["deploy_token"] == "[REDACTED:secret_key]"
    assert info.tags["env"] == "uses [REDACTED:openai_key]"
    assert info.trace_metadata["note"] == "aws [REDACTED:aws_access_key]"
    assert info.tags["late"] == "found [REDACTED:aws_access_key]", "a tag set after export too"
    assert "[REDACTED:secret_key]" in info.trace_metadata["mlflow.traceInputs"]
    assert info.request_preview is not None and "[REDACTED:" in info.request_preview


def test_secrets_never_reach_the_local_store_files(tmp_path: Path) -> None:
    store = tmp_path / "store"
    _run(tmp_path, {"FERROTRACE_LOCAL_DIR": str(store)}, [])
    files = [p for p in store.rglob("*") if p.is_file()]
    assert files
    raw = b"".join(p.read_bytes() for p in files)
    for secret in SECRETS:
        assert secret.encode() not in raw, secret
    assert b"[REDACTED:secret_key]" in raw and b"[REDACTED:openai_key]" in raw


def test_pii_and_user_rules_from_the_environment(tmp_path: Path) -> None:
    code = r'''
import ferrotrace as mlflow
@mlflow.trace
def f(msg):
    return msg
f("mail bob@example.com, card 4111 1111 1111 1111, ticket EMP-123456")
assert mlflow.flush(30)
'''
    store = tmp_path / "store"
    env = {
        "FERROTRACE_LOCAL_DIR": str(store),
        "FERROTRACE_REDACT": "secrets,pii",
        "FERROTRACE_REDACT_PATTERNS": r"employee=EMP-\d{6};;broken=(x",
    }
    r = run_script(code, env, cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert "FERROTRACE_REDACT_PATTERNS" in r.stderr, "a bad env rule is a warning naming the variable"
    raw = b"".join(p.read_bytes() for p in store.rglob("*") if p.is_file())
    for value in [b"bob@example.com", b"4111 1111 1111 1111", b"EMP-123456"]:
        assert value not in raw
    for rule in [b"email", b"card_number", b"employee"]:
        assert b"[REDACTED:" + rule + b"]" in raw


def test_set_redaction_from_code() -> None:
    @ferrotrace.trace
    def f(msg: str) -> str:
        return msg

    try:
        with pytest.raises(ferrotrace.ConfigError, match="redact_patterns"):
            tracing.set_redaction(patterns={"bad": "(unclosed"})
        with pytest.raises(ferrotrace.ConfigError, match="redact"):
            tracing.set_redaction("everything")
        tracing.set_redaction("secrets,pii", patterns={"order": r"ORD-\d+"})
        f("bob@example.com ORD-991 " + OPENAI)
        out = attr(only_trace()["data"]["spans"][0], "mlflow.spanOutputs")
        assert out == "[REDACTED:email] [REDACTED:order] [REDACTED:openai_key]"
        _native.clear_memory()
        tracing.set_redaction("off", patterns={})
        f(OPENAI)
        assert attr(only_trace()["data"]["spans"][0], "mlflow.spanOutputs") == OPENAI
    finally:
        tracing.set_redaction("secrets", patterns={})


def test_a_processor_redacts_on_the_app_thread_and_built_ins_still_apply() -> None:
    """The layers combine: user processors first (application thread), then the built-in and
    user rules on the worker; a processor's own `[REDACTED]` is left as it is."""

    def hide_customer(span: LiveSpan) -> None:
        if span.inputs and "customer" in span.inputs:
            span.set_inputs({**span.inputs, "customer": "[REDACTED]"})

    @ferrotrace.trace
    def handle(customer: str, api_key: str) -> str:
        return "done"

    with tracing.configure(span_processors=[hide_customer]):
        handle("ACME Corp", OPENAI)
    inputs = attr(only_trace()["data"]["spans"][0], "mlflow.spanInputs")
    assert inputs == {"customer": "[REDACTED]", "api_key": "[REDACTED:secret_key]"}


def test_defaults_keep_mlflow_session_data_and_catch_secrets_in_names_keys_and_deep_json() -> None:
    """MLflow's session-tracking example stores a conversation id under `session_id`: kept, as
    the client request id and pagination tokens are; secrets in span and event names, in dict
    keys and in JSON nested deep inside strings still go."""

    @ferrotrace.trace
    def chat(message: str, session_id: str, user_id: str) -> dict[str, Any]:
        ferrotrace.update_current_trace(
            client_request_id="req-7f3a9c2e",
            metadata={"mlflow.trace.session": session_id, "mlflow.trace.user": user_id},
        )
        with ferrotrace.start_span(name=f"call {OPENAI}") as s:
            s.add_event(SpanEvent(name=f"retry with {GITHUB}"))
            s.set_attribute("cookie", "sid=abc")
        payload = json.dumps({"password": PASSWORD})
        for _ in range(5):
            payload = json.dumps({"password": PASSWORD, "inner": payload})
        return {"answer": "hi", "keys": {AWS: "prod"}, "payload": payload, "next_page_token": "p2"}

    chat("hello", "conv-20261207-42", "u-7")
    t = only_trace()
    assert not any(secret in json.dumps(t) for secret in SECRETS)
    spans = {s["name"]: s for s in t["data"]["spans"]}
    root = spans["chat"]
    assert attr(root, "mlflow.spanInputs") == {"message": "hello", "session_id": "conv-20261207-42", "user_id": "u-7"}
    out = attr(root, "mlflow.spanOutputs")
    assert out["keys"] == {"[REDACTED:aws_access_key]": "prod"}
    assert out["next_page_token"] == "p2"
    level = json.loads(out["payload"])
    for i in range(6):
        assert level["password"] == "[REDACTED:secret_key]", i
        if i < 5:
            level = json.loads(level["inner"])
    child = spans["call [REDACTED:openai_key]"]
    assert child["events"][0]["name"] == "retry with [REDACTED:github_token]"
    assert attr(child, "cookie") == "[REDACTED:secret_key]"
    assert t["info"]["trace_metadata"]["mlflow.trace.session"] == "conv-20261207-42"
    assert t["info"]["client_request_id"] == "req-7f3a9c2e"
