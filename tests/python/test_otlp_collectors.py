"""OTLP to collectors other than MLflow's server: the same program, run under MLflow's own SDK
(its OTLP exporter, `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` at a loopback receiver) and under
ferrotrace, sends the same spans, compared as protobuf bytes span by span (ids, timestamps and
the Python stack trace of an exception aside). Nested values that backends flatten (dotted
keys, empty objects, None, NaN, 2**70) arrive intact, as JSON text."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from conftest import run_script
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span
from otlp_receiver import Receiver

# The program both SDKs run; only the import differs. It mirrors a user's agent: typed spans,
# decorator and context-manager spans, token usage, a caught tool error, awkward values.
PROGRAM = r'''
import sys
if sys.argv[1] == "ferrotrace":
    import ferrotrace as mlflow
else:
    import mlflow
from mlflow.entities import SpanType

@mlflow.trace(span_type=SpanType.TOOL)
def lookup(city):
    raise RuntimeError("no weather for " + city)

@mlflow.trace(span_type=SpanType.CHAT_MODEL)
def chat(messages, temperature=0.2):
    span = mlflow.get_current_active_span()
    span.set_attribute("mlflow.llm.model", "gpt-4o-mini")
    span.set_attribute("mlflow.chat.tokenUsage", {"input_tokens": 12, "output_tokens": 7, "total_tokens": 19})
    return {"role": "assistant", "content": "Sunny, 21\u00b0C"}

WEATHER_TOOL = {"type": "function", "function": {"name": "lookup", "description": "Weather by city",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}

# A chat call in OpenAI's format, as the OpenAI autolog records it: messages with a system
# prompt, an image, a tool call and its result; tools, sampling parameters; a tool-call answer.
@mlflow.trace(span_type=SpanType.CHAT_MODEL)
def completion(model, messages, tools, temperature, max_tokens, stop):
    span = mlflow.get_current_active_span()
    span.set_attribute("mlflow.message.format", "openai")
    span.set_attribute("mlflow.llm.model", model)
    span.set_attribute("mlflow.llm.provider", "openai")
    return {"id": "chatcmpl-7", "object": "chat.completion", "model": "gpt-4.1-nano-2025-04-14",
            "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
                "role": "assistant", "content": None, "tool_calls": [{"id": "call_2", "type": "function",
                "function": {"name": "lookup", "arguments": "{\"city\": \"Lyon\"}"}}]}}],
            "usage": {"prompt_tokens": 30, "completion_tokens": 9, "total_tokens": 39}}

# The same in Anthropic's Messages format.
@mlflow.trace(span_type=SpanType.CHAT_MODEL)
def claude(model, system, messages, tools, max_tokens, stop_sequences):
    span = mlflow.get_current_active_span()
    span.set_attribute("mlflow.message.format", "anthropic")
    span.set_attribute("mlflow.llm.model", model)
    return {"id": "msg_01", "type": "message", "role": "assistant", "model": model,
            "content": [{"type": "text", "text": "Lyon: rain."},
                        {"type": "tool_use", "id": "tu_2", "name": "lookup", "input": {"city": "Nice"}}],
            "stop_reason": "tool_use"}

# Gemini's generate_content and Bedrock's Converse, as their autologs record them.
@mlflow.trace(span_type=SpanType.CHAT_MODEL)
def gemini(model, contents, config):
    span = mlflow.get_current_active_span()
    span.set_attribute("mlflow.message.format", "gemini")
    span.set_attribute("mlflow.llm.model", model)
    return {"candidates": [{"content": {"role": "model", "parts": [
        {"function_call": {"name": "lookup", "args": {"city": "Oslo"}}}]}, "finish_reason": "STOP"}]}

@mlflow.trace(span_type=SpanType.CHAT_MODEL)
def converse(modelId, system, messages, inferenceConfig, toolConfig):
    span = mlflow.get_current_active_span()
    span.set_attribute("mlflow.message.format", "bedrock")
    span.set_attribute("mlflow.llm.model", modelId)
    return {"output": {"message": {"role": "assistant", "content": [{"text": "Mild."}]}}, "stopReason": "end_turn"}

@mlflow.trace(span_type=SpanType.AGENT)
def agent(question):
    answer = chat([{"role": "user", "content": question}])
    completion("gpt-4.1-nano", [
        {"role": "system", "content": "You answer about weather."},
        {"role": "user", "content": [{"type": "text", "text": "And Lyon?"},
                                     {"type": "image_url", "image_url": {"url": "https://example.com/lyon.png"}}]},
        {"role": "assistant", "content": None, "tool_calls": [{"id": "call_1", "type": "function",
            "function": {"name": "lookup", "arguments": "{\"city\": \"Paris\"}"}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "Sunny, 21\u00b0C"},
    ], [WEATHER_TOOL], 0.3, 256, ["END"])
    claude("claude-sonnet-4", "You answer about weather.", [
        {"role": "user", "content": "And Lyon?"},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "tu_1", "name": "lookup", "input": {"city": "Lyon"}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "tu_1", "content": "rain"}]},
    ], [{"name": "lookup", "input_schema": {"type": "object"}}], 512, "###")
    gemini("gemini-2.5-flash", [
        {"role": "user", "parts": [{"text": "And Oslo?"}, {"file_data": {"mime_type": "image/png", "file_uri": "gs://b/o.png"}}]},
        {"role": "model", "parts": [{"function_call": {"name": "lookup", "args": {"city": "Oslo"}}}]},
        {"role": "user", "parts": [{"function_response": {"name": "lookup", "response": {"t": -3}}}]},
    ], {"system_instruction": "You answer about weather.", "temperature": 0.1, "max_output_tokens": 64,
        "stop_sequences": ["##"]})
    converse("amazon.nova-lite", [{"text": "You answer about weather."}], [
        {"role": "user", "content": [{"text": "And Bern?"}]},
        {"role": "assistant", "content": [{"toolUse": {"toolUseId": "t1", "name": "lookup", "input": {"city": "Bern"}}}]},
        {"role": "user", "content": [{"toolResult": {"toolUseId": "t1", "content": [{"json": {"t": 5}}, {"text": "mild"}]}}]},
    ], {"maxTokens": 99, "temperature": 0.4, "stopSequences": ["##"]},
        {"tools": [{"toolSpec": {"name": "lookup", "description": "Weather", "inputSchema": {"json": {"type": "object"}}}}]})
    try:
        lookup("Atlantis")
    except RuntimeError:
        pass
    with mlflow.start_span("odd values", span_type=SpanType.PARSER) as span:
        span.set_inputs({"a.b": 1, "a": {"b": 2}, "empty": {}, "none": None, "nan": float("nan"),
                         "big": 2**70, "list": [], "text": "x"})
        span.set_attribute("custom", {"k": [1, 2.5, True]})
        span.set_attribute("plain", "str")
        span.set_outputs(None)
    return answer["content"]

agent("Weather in Paris?")
'''


def run(sdk: str, tmp_path: Path, rx: Receiver, extra: dict[str, str]) -> None:
    env = {
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": rx.uri + "/v1/traces",
        # MLflow's default protocol is gRPC; ferrotrace speaks OTLP/HTTP only.
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/protobuf",
        "FERROTRACE_LOCAL_DIR": str(tmp_path / "store"),
        **extra,
    }
    r = run_script(PROGRAM, env, cwd=str(tmp_path), argv=[sdk])
    assert r.returncode == 0, r.stderr


def capture(sdk: str, tmp_path: Path, extra: dict[str, str]) -> tuple[list[ExportTraceServiceRequest], dict[str, Span]]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    with Receiver() as rx:
        run(sdk, tmp_path, rx, extra)
        messages = list(rx.messages)
    spans: dict[str, Span] = {}
    for m in messages:
        for rs in m.resource_spans:
            for ss in rs.scope_spans:
                for s in ss.spans:
                    spans[s.name] = s
    return messages, spans


def normalized(span: Span, names: dict[bytes, str]) -> bytes:
    """The span's bytes with ids, times and the stack trace replaced by stable values."""
    s = Span()
    s.CopyFrom(span)
    s.trace_id = b"t" * 16
    s.span_id = names[span.span_id].encode()
    s.parent_span_id = names.get(span.parent_span_id, "").encode()
    s.start_time_unix_nano = s.end_time_unix_nano = 1
    for kv in s.attributes:
        if kv.key == "mlflow.traceRequestId":
            kv.value.string_value = '"tr-id"'
    for e in s.events:
        e.time_unix_nano = 1
        for kv in e.attributes:
            if kv.key == "exception.stacktrace":
                kv.value.string_value = "<stack>"
    return s.SerializeToString(deterministic=True)


def by_name(spans: dict[str, Span]) -> dict[str, bytes]:
    names = {s.span_id: n for n, s in spans.items()}
    return {n: normalized(s, names) for n, s in spans.items()}


def resource(messages: list[ExportTraceServiceRequest]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for m in messages:
        for rs in m.resource_spans:
            out.update({kv.key: kv.value.string_value for kv in rs.resource.attributes})
    return out


def test_collector_receives_from_ferrotrace_what_mlflows_exporter_sends(tmp_path: Path) -> None:
    env = {"OTEL_SERVICE_NAME": "weather-agent", "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment=test"}
    ref_msgs, ref = capture("mlflow", tmp_path / "mlflow", env)
    got_msgs, got = capture("ferrotrace", tmp_path / "ferrotrace", env)
    assert set(ref) == {"agent", "chat", "completion", "claude", "gemini", "converse", "lookup", "odd values"}, set(ref)
    assert set(got) == set(ref)
    want_bytes, got_bytes = by_name(ref), by_name(got)
    for name in ref:
        assert got_bytes[name] == want_bytes[name], f"span {name!r} differs:\n--- mlflow\n{ref[name]}\n--- ferrotrace\n{got[name]}"
    # The same instrumentation scope, and the resource but for the SDK that describes itself.
    scopes = {ss.scope.name for m in ref_msgs + got_msgs for rs in m.resource_spans for ss in rs.scope_spans}
    assert scopes == {"mlflow.tracing.provider"}
    # `service.instance.id` is a random UUID per process in both.
    for res in (resource(ref_msgs), resource(got_msgs)):
        assert uuid.UUID(res["service.instance.id"]).version == 4, res
    sdk_keys = {"telemetry.sdk.name", "telemetry.sdk.version", "service.instance.id"}
    want_res = {k: v for k, v in resource(ref_msgs).items() if k not in sdk_keys}
    got_res = {k: v for k, v in resource(got_msgs).items() if k not in sdk_keys}
    assert got_res == want_res == {
        "service.name": "weather-agent",
        "deployment.environment": "test",
        "telemetry.sdk.language": "python",
    }
    # Values a flattening backend would damage travel as JSON text.
    odd = {kv.key: kv.value.string_value for kv in got["odd values"].attributes}
    assert odd["mlflow.spanInputs"] == (
        '{"a.b": 1, "a": {"b": 2}, "empty": {}, "none": null, "nan": NaN, '
        '"big": 1180591620717411303424, "list": [], "text": "x"}'
    )
    assert got["agent"].kind == Span.SPAN_KIND_INTERNAL


def test_without_a_service_name_the_resource_names_the_process(tmp_path: Path) -> None:
    # OpenTelemetry's rule (`unknown_service:<process>`); MLflow's exporter sends none here.
    msgs, _ = capture("ferrotrace", tmp_path, {})
    res = resource(msgs)
    assert res["service.name"].startswith("unknown_service:python"), res
    assert res["telemetry.sdk.name"] == "ferrotrace"


def test_genai_semconv_matches_mlflows_translation(tmp_path: Path) -> None:
    env = {"MLFLOW_ENABLE_OTEL_GENAI_SEMCONV": "true", "OTEL_SERVICE_NAME": "weather-agent"}
    _, ref = capture("mlflow", tmp_path / "mlflow", env)
    _, got = capture("ferrotrace", tmp_path / "ferrotrace", env)
    assert set(got) == set(ref), (set(ref), set(got))
    assert {"chat gpt-4o-mini", "chat gpt-4.1-nano", "chat claude-sonnet-4", "chat gemini-2.5-flash",
            "chat amazon.nova-lite", "execute_tool lookup"} <= set(ref)
    # Every span byte for byte, the chat spans' messages, tools and parameters included.
    want_bytes, got_bytes = by_name(ref), by_name(got)
    for name, want in ref.items():
        assert got_bytes[name] == want_bytes[name], f"span {name!r} differs:\n--- mlflow\n{want}\n--- ferrotrace\n{got[name]}"
    # What MLflow's converters made of the OpenAI and Anthropic chat spans.
    oa = {kv.key: kv.value for kv in got["chat gpt-4.1-nano"].attributes}
    assert json.loads(oa["gen_ai.system_instructions"].string_value) == [{"type": "text", "content": "You answer about weather."}]
    messages = json.loads(oa["gen_ai.input.messages"].string_value)
    assert [m["role"] for m in messages] == ["user", "assistant", "tool"]
    assert messages[1]["parts"][0] == {"type": "tool_call", "id": "call_1", "name": "lookup", "arguments": {"city": "Paris"}}
    assert json.loads(oa["gen_ai.tool.definitions"].string_value)[0]["name"] == "lookup"
    assert list(oa["gen_ai.response.finish_reasons"].array_value.values[0].string_value) == list("tool_calls")
    an = {kv.key: kv.value for kv in got["chat claude-sonnet-4"].attributes}
    assert json.loads(an["gen_ai.input.messages"].string_value)[2]["role"] == "tool"
    assert [v.string_value for v in an["gen_ai.request.stop_sequences"].array_value.values] == ["###"]
    for name in ("chat gemini-2.5-flash", "chat amazon.nova-lite"):
        a = {kv.key: kv.value for kv in got[name].attributes}
        assert [m["role"] for m in json.loads(a["gen_ai.input.messages"].string_value)] == ["user", "assistant", "tool"], name
        assert "gen_ai.output.messages" in a and "gen_ai.request.temperature" in a, name


def test_openinference_mapping_is_opt_in(tmp_path: Path) -> None:
    _, got = capture("ferrotrace", tmp_path, {"FERROTRACE_OTLP_SEMCONV": "openinference"})
    a = {kv.key: kv.value for kv in got["chat gpt-4o-mini" if "chat gpt-4o-mini" in got else "chat"].attributes}
    assert a["openinference.span.kind"].string_value == "LLM"
    assert a["llm.model_name"].string_value == "gpt-4o-mini"
    assert (a["llm.token_count.prompt"].int_value, a["llm.token_count.completion"].int_value) == (12, 7)
    assert a["llm.token_count.total"].int_value == 19
    assert json.loads(a["output.value"].string_value) == {"role": "assistant", "content": "Sunny, 21\u00b0C"}
    assert a["output.mime_type"].string_value == "application/json"
    kinds = {n: {kv.key: kv.value for kv in s.attributes}["openinference.span.kind"].string_value for n, s in got.items()}
    assert kinds == {"agent": "AGENT", "chat": "LLM", "completion": "LLM", "claude": "LLM", "gemini": "LLM",
                     "converse": "LLM", "lookup": "TOOL", "odd values": "CHAIN"}
