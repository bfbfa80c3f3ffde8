"""Export to a real Arize Phoenix server with `FERROTRACE_OTLP_SEMCONV=openinference`, then read
the spans back through Phoenix's REST API: kinds, inputs, outputs, token counts, the session,
and nested values intact."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest

PROGRAM = r'''
import ferrotrace as mlflow
from ferrotrace.entities import SpanType

@mlflow.trace(span_type=SpanType.TOOL)
def lookup(city):
    return {"city": city, "temp_c": 21}

@mlflow.trace(span_type=SpanType.CHAT_MODEL)
def chat(messages):
    span = mlflow.get_current_active_span()
    span.set_attribute("mlflow.llm.model", "gpt-4o-mini")
    span.set_attribute("mlflow.chat.tokenUsage", {"input_tokens": 12, "output_tokens": 7, "total_tokens": 19})
    return "Sunny, 21\u00b0C"

# A chat call in OpenAI's format, as the OpenAI autolog records it.
@mlflow.trace(span_type=SpanType.CHAT_MODEL)
def completion(model, messages, tools, temperature):
    mlflow.get_current_active_span().set_attribute("mlflow.message.format", "openai")
    return {"id": "chatcmpl-1", "model": model, "choices": [{"index": 0, "finish_reason": "tool_calls",
            "message": {"role": "assistant", "content": None, "tool_calls": [{"id": "call_2", "type": "function",
            "function": {"name": "lookup", "arguments": "{\"city\": \"Lyon\"}"}}]}}]}

@mlflow.trace(span_type=SpanType.AGENT)
def agent(question):
    mlflow.update_current_trace(metadata={"mlflow.trace.session": "chat-42", "mlflow.trace.user": "ada"})
    lookup("Paris")
    completion("gpt-4.1-nano", [
        {"role": "system", "content": "You answer about weather."},
        {"role": "user", "content": "And Lyon?"},
        {"role": "assistant", "content": None, "tool_calls": [{"id": "call_1", "type": "function",
            "function": {"name": "lookup", "arguments": "{\"city\": \"Paris\"}"}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "Sunny"},
    ], [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}], 0.3)
    with mlflow.start_span("odd values") as span:
        span.set_inputs({"a.b": 1, "a": {"b": 2}, "empty": {}, "none": None, "nan": float("nan"), "big": 2**70})
    return chat([{"role": "user", "content": question}])

agent("Weather in Paris?")
'''


def get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read())


def spans_of(uri: str, project: str, want: int, timeout: float = 60) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    spans: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        try:
            spans = get(f"{uri}/v1/projects/{project}/spans?limit=100")["data"]
        except OSError:
            spans = []  # the project appears with its first span
        if len(spans) >= want:
            return spans
        time.sleep(0.5)
    raise AssertionError(f"{len(spans)} of {want} spans in Phoenix after {timeout} s")


# Phoenix's first start (imports, database migrations) took 116 s on a loaded 2-core machine.
@pytest.mark.timeout(600)
def test_phoenix_shows_kinds_inputs_outputs_tokens_and_sessions(phoenix: Any, tmp_path: Path) -> None:
    project = f"ferrotrace-{uuid.uuid4().hex[:8]}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FERROTRACE_", "MLFLOW_", "OTEL_"))}
    env.update(
        OTEL_EXPORTER_OTLP_ENDPOINT=phoenix.uri,
        OTEL_RESOURCE_ATTRIBUTES=f"openinference.project.name={project}",
        FERROTRACE_OTLP_SEMCONV="openinference",
        MLFLOW_DISABLE_TELEMETRY="true",
        FERROTRACE_SPILL_DIR=str(tmp_path / "spill"),
    )
    r = subprocess.run([sys.executable, "-c", PROGRAM], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    spans = {s["name"]: s for s in spans_of(phoenix.uri, project, 5)}
    assert set(spans) == {"agent", "lookup", "chat", "completion", "odd values"}
    kinds = {n: s["span_kind"] for n, s in spans.items()}
    assert kinds == {"agent": "AGENT", "lookup": "TOOL", "chat": "LLM", "completion": "LLM", "odd values": "CHAIN"}

    def attr(name: str, key: str) -> Any:
        a = spans[name]["attributes"]
        return a[key]

    assert attr("agent", "input.value") == '{"question": "Weather in Paris?"}'
    assert attr("agent", "input.mime_type") == "application/json"
    assert attr("agent", "output.value") == "Sunny, 21\u00b0C"
    assert attr("agent", "output.mime_type") == "text/plain"
    assert json.loads(attr("lookup", "output.value")) == {"city": "Paris", "temp_c": 21}
    assert attr("chat", "llm.model_name") == "gpt-4o-mini"
    assert (attr("chat", "llm.token_count.prompt"), attr("chat", "llm.token_count.completion")) == (12, 7)
    assert attr("chat", "llm.token_count.total") == 19
    assert attr("agent", "session.id") == "chat-42" and attr("agent", "user.id") == "ada"
    # Nested values a flattening backend would damage arrive as their JSON text, whole.
    assert attr("odd values", "input.value") == (
        '{"a.b": 1, "a": {"b": 2}, "empty": {}, "none": null, "nan": NaN, "big": 1180591620717411303424}'
    )
    assert spans["lookup"]["parent_id"] == spans["agent"]["context"]["span_id"]
    # The chat call's conversation, tools and parameters, as Phoenix stored them (read back
    # flattened to dotted keys, whatever nesting its API answers with).
    llm = flatten(spans["completion"]["attributes"])
    assert llm["llm.model_name"] == "gpt-4.1-nano"
    assert [llm[f"llm.input_messages.{i}.message.role"] for i in range(4)] == ["system", "user", "assistant", "tool"]
    assert llm["llm.input_messages.0.message.content"] == "You answer about weather."
    assert llm["llm.input_messages.2.message.tool_calls.0.tool_call.function.name"] == "lookup"
    assert json.loads(llm["llm.input_messages.2.message.tool_calls.0.tool_call.function.arguments"]) == {"city": "Paris"}
    assert (llm["llm.input_messages.3.message.tool_call_id"], llm["llm.input_messages.3.message.content"]) == ("call_1", "Sunny")
    assert llm["llm.output_messages.0.message.role"] == "assistant"
    assert llm["llm.output_messages.0.message.tool_calls.0.tool_call.id"] == "call_2"
    assert json.loads(llm["llm.tools.0.tool.json_schema"])["function"]["name"] == "lookup"
    assert json.loads(llm["llm.invocation_parameters"]) == {"model": "gpt-4.1-nano", "temperature": 0.3}


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Nested dicts and lists as one dict of dotted keys (`a.0.b`)."""
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return {prefix: value}
    out: dict[str, Any] = {}
    for k, v in items:
        out.update(flatten(v, f"{prefix}.{k}" if prefix else str(k)))
    return out
