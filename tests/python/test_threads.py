"""Checklist item 38: contextvars do not cross threads by themselves. With
``contextvars.copy_context().run`` per task (as in MLflow) or ``ferrotrace.with_active_span``,
spans in worker threads are children of the submitting span; without either, each starts a new
trace."""

from __future__ import annotations

import contextvars
import threading
from concurrent.futures import ThreadPoolExecutor

import ferrotrace
from conftest import exported


@ferrotrace.trace
def work(i: int) -> int:
    return i * 2


def _parents(traces: list[dict]) -> dict[str, list[str | None]]:
    out: dict[str, list[str | None]] = {}
    for t in traces:
        names = {s["span_id"]: s["name"] for s in t["data"]["spans"]}
        for s in t["data"]["spans"]:
            out.setdefault(s["name"], []).append(names.get(s["parent_span_id"]))
    return out


def test_copy_context_run_per_task_parents_pool_spans_under_the_caller() -> None:
    with ferrotrace.start_span("fan_out"):
        with ThreadPoolExecutor(max_workers=3) as pool:
            futures = [pool.submit(contextvars.copy_context().run, work, i) for i in range(5)]
            assert [f.result() for f in futures] == [0, 2, 4, 6, 8]
    traces = exported()
    assert len(traces) == 1
    assert _parents(traces) == {"fan_out": [None], "work": ["fan_out"] * 5}


def test_with_active_span_carries_the_span_into_a_thread() -> None:
    results: list[int] = []
    with ferrotrace.start_span("parent"):
        t = threading.Thread(target=ferrotrace.with_active_span(lambda: results.append(work(21))))
        t.start()
        t.join()
    assert results == [42]
    assert _parents(exported()) == {"parent": [None], "work": ["parent"]}


def test_without_propagation_each_worker_span_starts_its_own_trace() -> None:
    with ferrotrace.start_span("fan_out"):
        with ThreadPoolExecutor(max_workers=2) as pool:
            assert list(pool.map(work, range(3))) == [0, 2, 4]
    traces = exported()
    assert len(traces) == 4
    assert sorted(_parents(traces)["work"], key=str) == [None, None, None]
