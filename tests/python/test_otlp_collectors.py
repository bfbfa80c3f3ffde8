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

@mlflow.trace(span_type=SpanType.AGENT)
def agent(question):
    answer = chat([{"role": "user", "content": question}])
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
    assert set(ref) == {"agent", "chat", "lookup", "odd values"}, set(ref)
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
    assert "chat gpt-4o-mini" in ref and "execute_tool lookup" in ref
    # MLflow's message conversion (gen_ai.input/output.messages) is not done by ferrotrace.
    skip = {"gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.system_instructions",
            "gen_ai.request.temperature", "gen_ai.response.id", "gen_ai.response.model"}
    for name, want in ref.items():
        g = got[name]
        assert (g.kind, g.flags) == (want.kind, want.flags), name
        want_attrs = [(kv.key, kv.value) for kv in want.attributes if kv.key not in skip]
        got_attrs = [(kv.key, kv.value) for kv in g.attributes if kv.key not in skip]
        assert got_attrs == want_attrs, f"{name}: {got_attrs} != {want_attrs}"


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
    assert kinds == {"agent": "AGENT", "chat": "LLM", "lookup": "TOOL", "odd values": "CHAIN"}
