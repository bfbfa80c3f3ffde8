"""start_span, LiveSpan methods, and the functions around the active span."""

from __future__ import annotations

import logging
import threading
from typing import Any

import pytest

import ferrotrace
from ferrotrace.entities import NoOpSpan, SpanEvent, SpanStatus, SpanStatusCode
from conftest import attr, exported, only_trace, spans_by_name


def test_start_span_nests_under_the_active_span_and_ends_on_exit() -> None:
    @ferrotrace.trace
    def outer() -> None:
        with ferrotrace.start_span("inner", span_type="PARSER", attributes={"k": "v"}) as span:
            span.set_inputs({"raw": "x"})
            span.set_outputs(["y"])

    outer()
    t = only_trace()
    s = spans_by_name(t)
    assert s["inner"]["parent_span_id"] == s["outer"]["span_id"]
    assert attr(s["inner"], "mlflow.spanType") == "PARSER"
    assert attr(s["inner"], "k") == "v"
    assert attr(s["inner"], "mlflow.spanInputs") == {"raw": "x"}
    assert attr(s["inner"], "mlflow.spanOutputs") == ["y"]
    assert s["inner"]["end_time_unix_nano"] >= s["inner"]["start_time_unix_nano"]


def test_start_span_as_root_and_without_automatic_capture() -> None:
    with ferrotrace.start_span() as span:
        pass
    t = only_trace()
    (s,) = t["data"]["spans"]
    assert s["name"] == "span"
    assert "mlflow.spanInputs" not in s["attributes"] and "mlflow.spanOutputs" not in s["attributes"]
    assert span.end_time_ns is not None  # still readable after the block


def test_exception_in_block_is_recorded_and_propagates() -> None:
    with pytest.raises(ZeroDivisionError):
        with ferrotrace.start_span("calc"):
            _ = 1 / 0
    t = only_trace()
    s = t["data"]["spans"][0]
    assert s["status"]["code"] == "STATUS_CODE_ERROR"
    assert s["status"]["message"].startswith("ZeroDivisionError: ")
    assert s["events"][0]["attributes"]["exception.type"] == "ZeroDivisionError"
    assert t["info"]["state"] == "ERROR"


def test_live_span_setters_and_getters() -> None:
    with ferrotrace.start_span("s") as span:
        span.set_attribute("count", 3)
        span.set_attributes({"a": [1, 2], "b": {"c": None}})
        span.set_attribute(5, "skipped")  # type: ignore[arg-type]
        span.set_span_type("TOOL")
        span.add_event(SpanEvent("checkpoint", attributes={"step": 1}))
        span.set_inputs({"q": 1})
        assert span.inputs == {"q": 1}
        assert span.get_attribute("count") == 3
        assert span.attributes["a"] == [1, 2]
        assert span.span_type == "TOOL"
        assert span.name == "s"
        assert span.events[0].name == "checkpoint" and span.events[0].attributes == {"step": 1}
    s = only_trace()["data"]["spans"][0]
    assert attr(s, "count") == 3 and attr(s, "b") == {"c": None}
    assert "5" not in s["attributes"]
    assert s["events"][0] == {"name": "checkpoint", "time_unix_nano": s["events"][0]["time_unix_nano"], "attributes": {"step": 1}}
    assert attr(s, "mlflow.spanLogLevel") == 20  # TOOL defaults to INFO


@pytest.mark.parametrize(
    "status, code",
    [("OK", "STATUS_CODE_OK"), ("error", "STATUS_CODE_ERROR"), (SpanStatusCode.ERROR, "STATUS_CODE_ERROR"), (SpanStatus("ERROR", "bad"), "STATUS_CODE_ERROR")],
)
def test_set_status_forms(status: Any, code: str) -> None:
    with ferrotrace.start_span("s") as span:
        span.set_status(status)
    s = only_trace()["data"]["spans"][0]
    assert s["status"]["code"] == code


def test_set_status_rejects_unknown_values() -> None:
    with ferrotrace.start_span("s") as span:
        with pytest.raises(ferrotrace.MlflowException):
            span.set_status("MAYBE")


def test_explicit_error_status_survives_end_and_sets_trace_state() -> None:
    with ferrotrace.start_span("s") as span:
        span.set_status(SpanStatus(SpanStatusCode.ERROR, "handled"))
    t = only_trace()
    assert t["data"]["spans"][0]["status"] == {"code": "STATUS_CODE_ERROR", "message": "handled"}
    assert t["info"]["state"] == "ERROR"


def test_record_exception_with_exception_and_string() -> None:
    with ferrotrace.start_span("s") as span:
        span.record_exception(ValueError("v"))
        span.record_exception("plain message")
        with pytest.raises(ferrotrace.MlflowException):
            span.record_exception(42)  # type: ignore[arg-type]
    s = only_trace()["data"]["spans"][0]
    assert [e["attributes"]["exception.type"] for e in s["events"]] == ["ValueError", "Exception"]
    assert s["status"] == {"code": "STATUS_CODE_ERROR", "message": "Exception: plain message"}


def test_current_span_and_trace_ids() -> None:
    assert ferrotrace.get_current_active_span() is None
    assert ferrotrace.get_active_trace_id() is None
    with ferrotrace.start_span("root") as root:
        assert ferrotrace.get_current_active_span() is root
        assert ferrotrace.get_active_trace_id() == root.trace_id
        with ferrotrace.start_span("child") as child:
            assert child.parent_id == root.span_id
            assert ferrotrace.get_current_active_span() is child
        assert ferrotrace.get_current_active_span() is root
    assert ferrotrace.get_current_active_span() is None
    assert ferrotrace.get_last_active_trace_id() == root.trace_id
    assert ferrotrace.get_last_active_trace_id(thread_local=True) == root.trace_id


def test_last_active_trace_id_thread_local_is_per_thread() -> None:
    with ferrotrace.start_span("main"):
        pass
    seen: dict[str, Any] = {}

    def worker() -> None:
        seen["before"] = ferrotrace.get_last_active_trace_id(thread_local=True)
        with ferrotrace.start_span("in_thread") as s:
            pass
        seen["after"] = ferrotrace.get_last_active_trace_id(thread_local=True)
        seen["id"] = s.trace_id

    t = threading.Thread(target=worker)
    t.start()
    t.join()
    assert seen["before"] is None
    assert seen["after"] == seen["id"]
    assert ferrotrace.get_last_active_trace_id() == seen["id"]


def test_threads_do_not_inherit_the_active_span() -> None:
    with ferrotrace.start_span("main"):
        t = threading.Thread(target=lambda: ferrotrace.start_span("worker").__enter__().end())
        t.start()
        t.join()
    assert len(exported()) == 2


def test_update_current_trace_sets_tags_metadata_and_fields() -> None:
    with ferrotrace.start_span("req"):
        ferrotrace.update_current_trace(
            tags={"env": "test", "n": 1},
            metadata={"k": "v"},
            client_request_id="req-1",
            request_preview="in",
            response_preview="out",
            session_id="s1",
            user="u1",
            state="ERROR",
        )
    info = only_trace()["info"]
    assert info["tags"]["env"] == "test" and info["tags"]["n"] == "1"
    assert info["trace_metadata"]["k"] == "v"
    assert info["trace_metadata"]["mlflow.trace.session"] == "s1"
    assert info["trace_metadata"]["mlflow.trace.user"] == "u1"
    assert info["client_request_id"] == "req-1"
    assert info["request_preview"] == "in" and info["response_preview"] == "out"
    assert info["state"] == "ERROR"  # overrides the OK root status


def test_update_current_trace_validates_and_warns(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="ferrotrace"):
        ferrotrace.update_current_trace(tags={"a": "b"})
    assert "without an active span" in caplog.text
    with ferrotrace.start_span("s"):
        with pytest.raises(ferrotrace.MlflowException):
            ferrotrace.update_current_trace(request_preview={"not": "str"})  # type: ignore[arg-type]
        with pytest.raises(ferrotrace.MlflowException):
            ferrotrace.update_current_trace(state="DONE")


def test_disabled_start_span_yields_a_noop_span() -> None:
    from ferrotrace import _native

    _native.set_enabled(False)
    try:
        with ferrotrace.start_span("s") as span:
            assert isinstance(span, NoOpSpan)
            span.set_inputs(1)
            assert span.trace_id == "MLFLOW_NO_OP_SPAN_TRACE_ID"
    finally:
        _native.set_enabled(True)
    assert exported() == []


def test_flush_and_stats() -> None:
    before = ferrotrace.stats()
    with ferrotrace.start_span("s"):
        pass
    assert ferrotrace.flush(timeout=5) is True
    ferrotrace.flush_trace_async_logging()
    after = ferrotrace.stats()
    assert after["traces_exported"] == before["traces_exported"] + 1
    assert after["spans_started"] == before["spans_started"] + 1
    for key in ("dropped_traces", "dropped_spans", "queue_depth", "export_latency_us_last", "traces_dropped"):
        assert key in after


def test_span_to_dict_is_mlflow_shaped() -> None:
    with ferrotrace.start_span("s") as span:
        span.set_inputs({"x": 1})
    d = span.to_dict()
    assert d["name"] == "s" and d["parent_span_id"] is None
    assert d["attributes"]["mlflow.traceRequestId"] == f'"{span.trace_id}"'
    from mlflow.entities import Span

    assert Span.from_dict(d).inputs == {"x": 1}


def test_a_span_never_ended_is_counted_not_lost_silently() -> None:
    import gc

    from ferrotrace import _native

    before = ferrotrace.stats()["dropped_spans"].get("span_not_ended", 0)
    span = _native.start_span("forgotten")
    assert span is not None
    del span
    gc.collect()
    after = ferrotrace.stats()
    assert after["dropped_spans"]["span_not_ended"] == before + 1
    assert exported() == []


def test_log_level_description_and_links_from_decorator_and_span() -> None:
    from ferrotrace.entities import Link, SpanLogLevel

    with ferrotrace.start_span("other") as other:
        pass

    @ferrotrace.trace(log_level="warning", description="does work", links=[Link(other.trace_id, other.span_id, {"why": "retry of"})])
    def f() -> None:
        span = ferrotrace.get_current_active_span()
        assert span is not None
        span.add_link(Link("bad", "ids"))  # skipped with a warning

    f()
    with ferrotrace.start_span("s", log_level=SpanLogLevel.CRITICAL, description="d") as s:
        s.set_log_level("debug")
        s.set_description("d2")
    with pytest.raises(ferrotrace.MlflowException):
        ferrotrace.trace(log_level="LOUD")(lambda: 1)
    traces = exported()
    fspan = traces[1]["data"]["spans"][0]
    assert attr(fspan, "mlflow.spanLogLevel") == 30 and attr(fspan, "mlflow.spanDescription") == "does work"
    assert fspan["links"] == [{"trace_id": other.trace_id, "span_id": other.span_id, "attributes": {"why": "retry of"}}]
    sspan = traces[2]["data"]["spans"][0]
    assert attr(sspan, "mlflow.spanLogLevel") == 10 and attr(sspan, "mlflow.spanDescription") == "d2"


def test_with_active_span_carries_the_parent_into_a_thread_pool() -> None:
    from concurrent.futures import ThreadPoolExecutor

    @ferrotrace.trace
    def job(i: int) -> int:
        return i * i

    with ferrotrace.start_span("fan_out") as root, ThreadPoolExecutor(4) as pool:
        assert list(pool.map(ferrotrace.with_active_span(job), range(6))) == [0, 1, 4, 9, 16, 25]
        # Without it, pool workers start traces of their own (contextvars do not cross threads).
        pool.submit(job, 7).result()
    traces = exported()
    main = [t for t in traces if t["info"]["trace_id"] == root.trace_id][0]
    jobs = [s for s in main["data"]["spans"] if s["name"] == "job"]
    assert len(jobs) == 6
    assert len(traces) == 2
