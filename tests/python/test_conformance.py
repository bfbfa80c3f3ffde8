"""Cross-language conformance: each scenario written in Python (tests/conformance/scenario*.py)
and in JavaScript (the .mjs of the same name) produces the same trace. Normalised (ids, times,
JSON text formatting, language-specific exception names), both must equal the scenario's
expected file (scenario.py -> expected.json, scenario_tools.py -> expected_tools.json, ...).
Scenarios: the first agent (scenario.py), tools (a failing tool, a retry, an ERROR trace),
fanout (async concurrency), stream (a streamed answer and an abandoned stream), tokens (token
usage, previews and client request id set by the app, unicode and JSON scalars). And
llm_calls.py / llm_calls.mjs: the same OpenAI and Anthropic calls through the wrapped clients
(Python autolog, Node tracedOpenAI / tracedAnthropic) against one fake provider server, compared
with each other.

Language-specific by design, as in MLflow's two SDKs: Python spans carry
`mlflow.spanFunctionName`, JavaScript spans do not; exception types are the language's own.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ferrotrace import _native

ROOT = Path(__file__).resolve().parents[2]
CONF = ROOT / "tests" / "conformance"
LANGUAGE_SPECIFIC_ATTRS = {"mlflow.spanFunctionName", "mlflow.traceRequestId"}
COMPARED_METADATA = ("mlflow.trace.session", "mlflow.trace.user", "mlflow.trace.tokenUsage", "mlflow.traceInputs",
                     "mlflow.traceOutputs", "mlflow.trace_schema.version")


def _value(text: Any) -> Any:
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return text


def normalise(trace: dict[str, Any]) -> dict[str, Any]:
    spans = sorted(trace["data"]["spans"], key=lambda s: (s["start_time_unix_nano"], s["name"]))
    names = {s["span_id"]: s["name"] for s in spans}
    return {
        "state": trace["info"]["state"],
        "tags": {k: v for k, v in trace["info"]["tags"].items()},
        "metadata": {k: _value(trace["info"]["trace_metadata"].get(k)) for k in COMPARED_METADATA},
        "client_request_id": trace["info"].get("client_request_id"),
        "request_preview": _value(trace["info"].get("request_preview")),
        "response_preview": _value(trace["info"].get("response_preview")),
        "spans": [
            {
                "name": s["name"],
                "parent": names.get(s["parent_span_id"]),
                "attributes": {k: _value(v) for k, v in sorted(s["attributes"].items()) if k not in LANGUAGE_SPECIFIC_ATTRS},
                "status": s["status"]["code"],
                "events": [e["name"] for e in s["events"]],
            }
            for s in spans
        ],
    }


def run(cmd: list[str], store: Path) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FERROTRACE_", "MLFLOW_"))}
    env["FERROTRACE_LOCAL_DIR"] = str(store)
    r = subprocess.run(cmd, env=env, cwd=str(ROOT), capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    texts, warnings = _native.store_read(str(store))
    assert warnings == [] and len(texts) == 1
    return normalise(json.loads(texts[0]))


SCENARIOS = sorted(p.stem for p in CONF.glob("scenario*.py"))


def expected(scenario: str) -> dict[str, Any]:
    suffix = scenario.removeprefix("scenario")
    return json.loads((CONF / f"expected{suffix}.json").read_text())


def test_every_scenario_has_both_languages_and_an_expected_trace() -> None:
    assert len(SCENARIOS) >= 5
    for name in SCENARIOS:
        assert (CONF / f"{name}.mjs").exists(), name
        assert expected(name)["spans"], name


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_python_scenario_matches_the_expected_trace(scenario: str, tmp_path: Path) -> None:
    assert run([sys.executable, str(CONF / f"{scenario}.py")], tmp_path / "py") == expected(scenario)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_javascript_scenario_matches_the_expected_trace(scenario: str, tmp_path: Path) -> None:
    if shutil.which("node") is None or not (ROOT / "bindings-node" / "ferrotrace.node").exists():
        pytest.skip("the Node addon is not built (make node)")
    assert run(["node", str(CONF / f"{scenario}.mjs")], tmp_path / "js") == expected(scenario)


def _without_nulls(value: Any) -> Any:
    """A value with the null fields of objects dropped: a Python client's pydantic result lists
    every field it knows (null when the server sent none), a JavaScript client's result is the
    JSON the server sent."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def test_wrapped_llm_clients_trace_the_same_calls_the_same_in_both_languages(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """llm_calls.py (autolog on the real Python clients) and llm_calls.mjs (tracedOpenAI and
    tracedAnthropic on the real npm clients) make the same calls against one fake provider
    server: same spans (names, types, parents, inputs, outputs, every attribute, statuses,
    events) and the same trace token usage."""
    if shutil.which("node") is None or not (ROOT / "bindings-node" / "ferrotrace.node").exists():
        pytest.skip("the Node addon is not built (make node)")
    if not (ROOT / "bindings-node" / "node_modules" / "openai").exists():
        pytest.skip("the npm clients are not installed (make node)")
    import fake_llm

    server = fake_llm.start()
    try:
        monkeypatch.setenv("FAKE_LLM_URL", server.root_url)
        py = run([sys.executable, str(CONF / "llm_calls.py")], tmp_path / "py")
        js = run(["node", str(CONF / "llm_calls.mjs")], tmp_path / "js")
    finally:
        server.stop()
    py, js = _without_nulls(py), _without_nulls(js)
    assert [s["name"] for s in js["spans"]] == [s["name"] for s in py["spans"]]
    assert len(py["spans"]) == 14
    for a, b in zip(js["spans"], py["spans"]):
        assert a == b, a["name"]
    assert js == py
    assert py["metadata"]["mlflow.trace.tokenUsage"]["total_tokens"] > 0
