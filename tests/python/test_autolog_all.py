"""ferrotrace.autolog() (every installed integration), the light import, and the example agent."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import anthropic
import openai

import ferrotrace
from conftest import run_script

ROOT = Path(__file__).resolve().parents[2]


def test_autolog_turns_on_every_installed_integration_and_disable_undoes_it() -> None:
    chat_create = openai.resources.chat.completions.Completions.create
    messages_create = anthropic.resources.messages.Messages.create
    ferrotrace.autolog()
    try:
        assert openai.resources.chat.completions.Completions.create is not chat_create
        assert anthropic.resources.messages.Messages.create is not messages_create
    finally:
        ferrotrace.autolog(disable=True)
    assert openai.resources.chat.completions.Completions.create is chat_create
    assert anthropic.resources.messages.Messages.create is messages_create


def test_autolog_exclude_flavors() -> None:
    messages_create = anthropic.resources.messages.Messages.create
    ferrotrace.autolog(exclude_flavors=["anthropic"])
    try:
        assert anthropic.resources.messages.Messages.create is messages_create
    finally:
        ferrotrace.autolog(disable=True)


def test_import_ferrotrace_loads_no_client_library(tmp_path: Any) -> None:
    code = r"""
import sys
import ferrotrace
ferrotrace.openai  # the integration module itself imports nothing until autolog()
print(sorted(m for m in ("openai", "anthropic", "langchain_core", "httpx", "pydantic") if m in sys.modules))
"""
    r = run_script(code, {}, cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == "[]"


def test_autolog_without_the_libraries_is_a_quiet_no_op(tmp_path: Any) -> None:
    # A fake `openai` / `anthropic` that cannot be found: find_spec says not installed.
    code = r"""
import sys, importlib.abc
class Hide(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("openai", "anthropic", "langchain_core"):
            raise ModuleNotFoundError(name)
        return None
sys.meta_path.insert(0, Hide())
import ferrotrace
ferrotrace.autolog()
ferrotrace.autolog(disable=True)
print("ok")
"""
    r = run_script(code, {}, cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == "ok"
    assert "Traceback" not in r.stderr


def test_example_agent_runs_and_traces_the_tool_loop(tmp_path: Any) -> None:
    import subprocess

    env = {k: v for k, v in os.environ.items() if not k.startswith(("FERROTRACE_", "MLFLOW_"))}
    env.update(MLFLOW_DISABLE_TELEMETRY="true", DO_NOT_TRACK="true")
    example = ROOT / "examples" / "python" / "openai_agent.py"
    r = subprocess.run([sys.executable, str(example)], env=env, cwd=str(tmp_path), capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-3000:]
    answer, trace_id = r.stdout.strip().splitlines()[-2:]
    assert answer == "The tool said 4."
    from ferrotrace import _native

    records, _ = _native.store_read(str(tmp_path / "ferrotrace-traces"))
    trace = next(t for t in map(json.loads, records) if t["info"]["trace_id"] == trace_id)
    names = sorted(s["name"] for s in trace["data"]["spans"])
    assert names == ["Completions", "Completions", "agent", "multiply"]
    usage = json.loads(trace["info"]["trace_metadata"]["mlflow.trace.tokenUsage"])
    assert usage["total_tokens"] > 0



def test_core_mapping_is_exposed_for_other_bindings() -> None:
    import pytest

    from ferrotrace import _native

    inputs = {"model": "claude-x", "max_tokens": 5, "messages": [], "tools": [{"name": "t", "input_schema": {"type": "object", "properties": {}}}]}
    outputs = {"usage": {"input_tokens": 3, "output_tokens": 2}}
    got = json.loads(_native.llm_attributes("anthropic.messages", json.dumps(inputs), json.dumps(outputs)))
    assert got["span_type"] == "CHAT_MODEL"
    assert got["start"]["mlflow.message.format"] == "anthropic"
    assert got["start"]["mlflow.chat.tools"][0]["function"]["name"] == "t"
    assert got["end"] == {
        "mlflow.llm.model": "claude-x",
        "mlflow.llm.provider": "anthropic",
        "mlflow.chat.tokenUsage": {"input_tokens": 3, "output_tokens": 2, "total_tokens": 5},
    }
    # Not JSON at all, or an unknown call: no crash.
    assert json.loads(_native.llm_attributes("openai.chat", "{not json", "[1,"))["end"] == {}
    with pytest.raises(ValueError, match="unknown provider call"):
        _native.llm_attributes("nope", "{}")
