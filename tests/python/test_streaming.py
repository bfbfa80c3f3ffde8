"""@trace on generators and async generators: chunk events, outputs, active span only inside the
body, errors, and early stops that still end the span (MLflow leaves those open)."""

from __future__ import annotations

import gc
from typing import Any, AsyncIterator, Iterator

import pytest

import ferrotrace
from conftest import attr, exported, only_trace, spans_by_name


@ferrotrace.trace(span_type="LLM")
def stream(n: int) -> Iterator[int]:
    for i in range(n):
        yield i * 10


def test_generator_records_chunks_and_outputs_the_list() -> None:
    assert list(stream(3)) == [0, 10, 20]
    span = only_trace()["data"]["spans"][0]
    assert span["name"] == "stream" and attr(span, "mlflow.spanType") == "LLM"
    assert attr(span, "mlflow.spanInputs") == {"n": 3}
    assert attr(span, "mlflow.spanOutputs") == [0, 10, 20]
    assert [e["name"] for e in span["events"]] == ["mlflow.chunk.item.0", "mlflow.chunk.item.1", "mlflow.chunk.item.2"]
    # As MLflow: each item's JSON text, stored as a string.
    assert [e["attributes"]["mlflow.chunk.value"] for e in span["events"]] == ["0", "10", "20"]
    assert "mlflow.spanFunctionName" not in span["attributes"]


def test_output_reducer_and_its_validation() -> None:
    @ferrotrace.trace(output_reducer=lambda items: "".join(items))
    def words() -> Iterator[str]:
        yield "a"
        yield "b"

    @ferrotrace.trace(output_reducer=lambda items: 1 / 0)
    def broken() -> Iterator[str]:
        yield "x"

    assert list(words()) == ["a", "b"]
    assert list(broken()) == ["x"]
    outs = [attr(t["data"]["spans"][0], "mlflow.spanOutputs") for t in exported()]
    assert outs == ["ab", ["x"]]
    with pytest.raises(ferrotrace.MlflowException, match="output_reducer"):
        ferrotrace.trace(output_reducer=lambda x: x)(lambda: 1)


def test_span_is_active_only_while_the_body_runs() -> None:
    seen: dict[str, Any] = {}

    @ferrotrace.trace
    def child() -> int:
        return 1

    @ferrotrace.trace
    def gen() -> Iterator[int]:
        seen["in_body"] = ferrotrace.get_current_active_span()
        yield child()

    with ferrotrace.start_span("consumer") as outer:
        for _ in gen():
            seen["in_consumer"] = ferrotrace.get_current_active_span()
    assert seen["in_consumer"] is outer
    assert seen["in_body"].name == "gen"
    s = spans_by_name(only_trace())
    assert s["gen"]["parent_span_id"] == s["consumer"]["span_id"]
    assert s["child"]["parent_span_id"] == s["gen"]["span_id"]


def test_breaking_out_early_still_ends_the_span() -> None:
    not_ended_before = ferrotrace.stats()["dropped_spans"].get("span_not_ended", 0)
    for item in stream(100):
        if item == 20:
            break
    gc.collect()
    t = only_trace()
    span = t["data"]["spans"][0]
    assert attr(span, "mlflow.spanOutputs") == [0, 10, 20]
    assert span["status"]["code"] == "STATUS_CODE_OK"
    assert ferrotrace.stats()["dropped_spans"].get("span_not_ended", 0) == not_ended_before


def test_close_and_garbage_collection_end_the_span() -> None:
    g = stream(5)
    next(g)
    g.close()
    g2 = stream(5)
    next(g2)
    del g2
    gc.collect()
    outs = [attr(t["data"]["spans"][0], "mlflow.spanOutputs") for t in exported()]
    assert outs == [[0], [0]]


def test_an_error_inside_the_generator_is_recorded_and_raised() -> None:
    @ferrotrace.trace
    def bad() -> Iterator[int]:
        yield 1
        raise RuntimeError("stream broke")

    with pytest.raises(RuntimeError, match="stream broke"):
        list(bad())
    t = only_trace()
    span = t["data"]["spans"][0]
    assert span["status"]["message"] == "RuntimeError: stream broke"
    assert t["info"]["state"] == "ERROR"


def test_send_and_return_value_pass_through() -> None:
    @ferrotrace.trace
    def echo() -> Iterator[Any]:
        got = yield "first"
        yield f"got {got}"
        return "done"

    g = echo()
    assert next(g) == "first"
    assert g.send("x") == "got x"
    with pytest.raises(StopIteration) as stop:
        next(g)
    assert stop.value.value == "done"
    assert attr(only_trace()["data"]["spans"][0], "mlflow.spanOutputs") == ["first", "got x"]


async def test_async_generator_records_chunks_and_aclose_ends_the_span() -> None:
    @ferrotrace.trace(span_type="CHAT_MODEL")
    async def astream(n: int) -> AsyncIterator[str]:
        for i in range(n):
            yield f"tok{i}"

    assert [x async for x in astream(2)] == ["tok0", "tok1"]
    g = astream(10)
    assert await g.__anext__() == "tok0"
    await g.aclose()
    traces = exported()
    assert [attr(t["data"]["spans"][0], "mlflow.spanOutputs") for t in traces] == [["tok0", "tok1"], ["tok0"]]
    assert [e["name"] for e in traces[0]["data"]["spans"][0]["events"]] == ["mlflow.chunk.item.0", "mlflow.chunk.item.1"]


async def test_async_generator_error_is_recorded() -> None:
    @ferrotrace.trace
    async def abad() -> AsyncIterator[int]:
        yield 1
        raise ValueError("async broke")

    with pytest.raises(ValueError):
        async for _ in abad():
            pass
    assert only_trace()["info"]["state"] == "ERROR"
