"""OTLP export to any collector: a loopback receiver built on `opentelemetry-proto` decodes what
ferrotrace sends (spans, ids, attributes, status, events, resource, headers, gzip); dual export
sends the same traces to a real MLflow server as well; MLflow's own `/v1/traces` reads them."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

import ferrotrace
from conftest import exported, run_script
from ferrotrace import _native
from otlp_receiver import Receiver

APP = r'''
import json, sys
import ferrotrace as mlflow
from ferrotrace.entities import SpanType

@mlflow.trace(span_type=SpanType.TOOL)
def tool(x):
    raise RuntimeError("tool failed")

@mlflow.trace(span_type=SpanType.AGENT)
def agent(question):
    mlflow.update_current_trace(tags={"team": "search"})
    try:
        tool(1)
    except RuntimeError:
        pass
    return "answer"

ids = []
for i in range(int(sys.argv[1]) if len(sys.argv) > 1 else 1):
    agent(f"q{i}")
    ids.append(mlflow.get_last_active_trace_id())
mlflow.flush()
print(json.dumps({"ids": ids, "stats": mlflow.stats()}))
'''


def run_app(tmp_path: Path, env: dict[str, str], n: int = 1) -> dict[str, Any]:
    env = {"FERROTRACE_LOCAL_DIR": str(tmp_path / "store"), **env}
    r = run_script(APP, env, cwd=str(tmp_path), argv=[str(n)])
    assert r.returncode == 0, r.stderr
    out: dict[str, Any] = json.loads(r.stdout.strip().splitlines()[-1])
    out["stderr"] = r.stderr
    return out


def by_name(spans: list[dict[str, Any]], trace_hex: str) -> dict[str, dict[str, Any]]:
    return {s["name"]: s for s in spans if s["trace_id"] == trace_hex}


def test_env_configured_export_decodes_as_otlp_and_replaces_the_local_store(tmp_path: Path) -> None:
    with Receiver() as rx:
        out = run_app(
            tmp_path,
            {
                "OTEL_EXPORTER_OTLP_ENDPOINT": rx.uri,
                "OTEL_EXPORTER_OTLP_HEADERS": "x-api-key=s3cr3t%20key,x-team=search",
                "OTEL_EXPORTER_OTLP_COMPRESSION": "gzip",
                "OTEL_SERVICE_NAME": "checkout",
                "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment=test",
            },
        )
        reqs = list(rx.requests)
    assert out["stats"]["traces_dropped"] == 0, out["stats"]
    assert "s3cr3t" not in out["stderr"]
    assert reqs and all(r["path"] == "/v1/traces" and r["gzip"] for r in reqs)
    assert reqs[0]["headers"]["x-api-key"] == "s3cr3t key"
    assert reqs[0]["headers"]["x-team"] == "search"
    assert reqs[0]["headers"]["content-type"] == "application/x-protobuf"
    res = reqs[0]["resource"]
    assert res["service.name"] == "checkout"
    assert res["deployment.environment"] == "test"
    assert (res["telemetry.sdk.name"], res["telemetry.sdk.language"]) == ("ferrotrace", "python")

    (tid,) = out["ids"]
    spans = by_name([s for r in reqs for s in r["spans"]], tid[3:])
    assert set(spans) == {"agent", "tool"}
    agent, tool = spans["agent"], spans["tool"]
    assert agent["parent_id"] is None and tool["parent_id"] == agent["span_id"]
    assert len(agent["span_id"]) == 16 and agent["span_id"] != tool["span_id"]
    a = agent["attributes"]
    # What MLflow's OTLP exporter sends a collector: each value as its JSON text.
    assert a["mlflow.spanType"] == '"AGENT"'
    assert a["mlflow.spanInputs"] == '{"question": "q0"}'
    assert a["mlflow.spanOutputs"] == '"answer"'
    assert a["mlflow.traceRequestId"] == json.dumps(tid)
    assert a["mlflow.traceTag.team"] == "search"
    assert (agent["kind"], agent["flags"], agent["scope"]) == (1, 0x100, "mlflow.tracing.provider")
    assert agent["status"]["code"] == 1
    assert tool["status"] == {"code": 2, "message": "RuntimeError: tool failed"}
    (event,) = tool["events"]
    assert event["name"] == "exception"
    assert event["attributes"]["exception.type"] == "RuntimeError"
    assert event["attributes"]["exception.message"] == "tool failed"
    # OTLP replaced the default destination: nothing went to the local store.
    assert not list((tmp_path / "store").glob("**/*.seg")) and not (tmp_path / "store").exists()


def test_unsupported_protocol_and_bad_endpoint_warn_naming_the_variable(tmp_path: Path) -> None:
    out = run_app(
        tmp_path,
        {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "localhost:4318", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"},
    )
    err = out["stderr"]
    assert "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT" in err
    assert "OTEL_EXPORTER_OTLP_PROTOCOL" in err and "not supported" in err
    # No usable endpoint: traces stay in the local store.
    texts, _ = _native.store_read(str(tmp_path / "store"))
    assert len(texts) == 1


def test_a_header_value_with_cr_or_lf_is_refused_once_at_configuration(tmp_path: Path) -> None:
    # From the environment: one warning naming the variable and the header (never its value);
    # that header is left out and every send succeeds.
    with Receiver() as rx:
        out = run_app(
            tmp_path,
            {
                "OTEL_EXPORTER_OTLP_ENDPOINT": rx.uri,
                "OTEL_EXPORTER_OTLP_TRACES_HEADERS": "x-ok=fine,x-bad=s3cr3t%0D%0AX-Injected:%201",
            },
            n=3,
        )
        lines = [l for l in out["stderr"].splitlines() if "OTEL_EXPORTER_OTLP_TRACES_HEADERS" in l]
        assert len(lines) == 1 and "x-bad" in lines[0], out["stderr"]
        assert "s3cr3t" not in out["stderr"]
        st = out["stats"]
        assert (st["export_errors"], st["traces_dropped"], st["traces_exported"]) == (0, 0, 3), st
        assert rx.requests and all(q["headers"].get("x-ok") == "fine" for q in rx.requests)
        assert all("x-bad" not in q["headers"] for q in rx.requests)
        assert {s["trace_id"] for s in rx.spans()} == {i[3:] for i in out["ids"]}
    # From code: an error naming the setting and the header; nothing changes.
    for bad in ["s3cr3t\r\nX-Injected: 1", "s3cr3t\n", "s3cr3t\r"]:
        with pytest.raises(_native.ConfigError, match="otlp_headers") as e:
            ferrotrace.tracing.configure_otlp("http://127.0.0.1:9", headers={"x-ok": "v", "x-bad": bad})
        assert "x-bad" in str(e.value) and "s3cr3t" not in str(e.value)
    assert _native.config()["otlp_endpoint"] is None


def test_configure_otlp_in_code_dual_exports_and_validates() -> None:
    with Receiver() as rx:
        ferrotrace.tracing.configure_otlp(rx.uri, headers={"authorization": "Bearer t0k"}, dual_export=True)
        try:
            assert _native.config()["otlp_endpoint"] == rx.uri + "/v1/traces"
            with ferrotrace.start_span("in_code") as s:
                s.set_inputs({"x": 1})
            assert ferrotrace.flush(10)
            (trace,) = exported()
            tid = trace["info"]["trace_id"]
            spans = by_name(rx.spans(), tid[3:])
            assert spans["in_code"]["attributes"]["mlflow.spanInputs"] == '{"x": 1}'
            assert rx.requests[0]["headers"]["authorization"] == "Bearer t0k"
            assert not rx.requests[0]["gzip"]
        finally:
            ferrotrace.tracing.configure_otlp("")
    assert _native.config()["otlp_endpoint"] is None
    with pytest.raises(_native.ConfigError, match="otlp_endpoint"):
        ferrotrace.tracing.configure_otlp("collector:4317")
    with pytest.raises(_native.ConfigError, match="otlp_compression"):
        ferrotrace.tracing.configure_otlp("http://127.0.0.1:9", compression="br")
    assert _native.config()["otlp_endpoint"] is None


def test_configure_otlp_semconv_picks_the_attributes_and_validates() -> None:
    with Receiver() as rx:
        ferrotrace.tracing.configure_otlp(rx.uri, dual_export=True, semconv="openinference")
        try:
            assert _native.config()["otlp_semconv"] == "openinference"
            with ferrotrace.start_span("llm call", span_type="CHAT_MODEL") as s:
                s.set_inputs({"messages": [{"role": "user", "content": "hi"}], "temperature": 0.5})
                s.set_outputs("hello")
            assert ferrotrace.flush(10)
            (trace,) = exported()
            attrs = by_name(rx.spans(), trace["info"]["trace_id"][3:])["llm call"]["attributes"]
            assert attrs["openinference.span.kind"] == "LLM"
            assert attrs["llm.input_messages.0.message.content"] == "hi"
            assert attrs["llm.output_messages.0.message.content"] == "hello"
            assert json.loads(attrs["llm.invocation_parameters"]) == {"temperature": 0.5}
        finally:
            ferrotrace.tracing.configure_otlp("", semconv="mlflow")
    assert _native.config()["otlp_semconv"] == "mlflow"
    # An unknown value: an error naming the setting, before anything is sent; nothing changes.
    with pytest.raises(_native.ConfigError, match="otlp_semconv"):
        ferrotrace.tracing.configure_otlp("http://127.0.0.1:9", semconv="phoenix")  # type: ignore[arg-type]
    assert _native.config()["otlp_endpoint"] is None and _native.config()["otlp_semconv"] == "mlflow"


def test_dual_export_reaches_the_mlflow_server_and_the_collector(
    tmp_path: Path, mlflow_server: str, mlflow_reader: Any
) -> None:
    with Receiver() as rx:
        out = run_app(
            tmp_path,
            {
                "MLFLOW_TRACKING_URI": mlflow_server,
                "MLFLOW_EXPERIMENT_NAME": f"otlp-dual-{uuid.uuid4().hex[:8]}",
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": rx.uri + "/custom/traces",
                "MLFLOW_TRACE_ENABLE_OTLP_DUAL_EXPORT": "true",
            },
            n=3,
        )
        reqs = list(rx.requests)
    assert out["stats"]["traces_dropped"] == 0, out["stats"]
    assert {r["path"] for r in reqs} == {"/custom/traces"}
    spans = [s for r in reqs for s in r["spans"]]
    assert len(out["ids"]) == 3
    for tid in out["ids"]:
        got = by_name(spans, tid[3:])
        assert set(got) == {"agent", "tool"}
        # Dual export: MLflow gets the tags through its own API, not as span attributes.
        assert "mlflow.traceTag.team" not in got["agent"]["attributes"]
        trace = mlflow_reader.get_trace(tid)
        assert trace.info.state == "OK"
        assert trace.info.tags["team"] == "search"
        names = {s.name: s for s in trace.data.spans}
        assert set(names) == {"agent", "tool"}
        assert names["tool"].parent_id == names["agent"].span_id == got["agent"]["span_id"]


def test_otlp_only_to_mlflows_own_endpoint_reads_back_as_an_mlflow_trace(
    tmp_path: Path, mlflow_server: str, mlflow_reader: Any
) -> None:
    exp_id = mlflow_reader.create_experiment(f"otlp-only-{uuid.uuid4().hex[:8]}")
    out = run_app(
        tmp_path,
        {
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": mlflow_server + "/v1/traces",
            "OTEL_EXPORTER_OTLP_HEADERS": f"x-mlflow-experiment-id={exp_id}",
            "OTEL_EXPORTER_OTLP_COMPRESSION": "gzip",
        },
    )
    assert out["stats"]["traces_dropped"] == 0, out["stats"]
    (tid,) = out["ids"]
    trace = mlflow_reader.get_trace(tid)
    assert trace.info.experiment_id == exp_id
    assert trace.info.tags["team"] == "search"
    spans = {s.name: s for s in trace.data.spans}
    assert spans["agent"].span_type == "AGENT"
    assert spans["agent"].inputs == {"question": "q0"}
    assert spans["tool"].status.status_code == "ERROR"
