"""Trace-level token usage and cost equal MLflow's own aggregation functions on random span
trees (a span's value counts only when no ancestor carries one; float sums in MLflow's order)."""

from __future__ import annotations

import json
import random
from typing import Any

import ferrotrace
from conftest import only_trace
from ferrotrace import _native


def _random_tree(rng: random.Random, n: int) -> list[tuple[int, int, Any, Any]]:
    """(index, parent index or -1, cost or None, usage or None) in start order."""
    nodes = []
    for i in range(n):
        parent = -1 if i == 0 else rng.randrange(i)
        cost = None
        usage = None
        if i and rng.random() < 0.5:
            a, b = rng.choice([0.1, 0.2, 0.3, 1e-9, 0.7]), rng.random()
            cost = {"input_cost": a, "output_cost": b, "total_cost": a + b}
        if i and rng.random() < 0.5:
            a, b = rng.randrange(100), rng.randrange(100)
            usage = {"input_tokens": a, "output_tokens": b, "total_tokens": a + b}
        nodes.append((i, parent, cost, usage))
    return nodes


def test_cost_and_usage_equal_mlflows_aggregation_on_random_trees() -> None:
    from mlflow.tracing.utils import (
        SpanAggregationNode,
        aggregate_cost_from_span_nodes,
        aggregate_usage_from_span_nodes,
    )

    rng = random.Random(7)
    for _ in range(30):
        tree = _random_tree(rng, rng.randrange(2, 12))
        spans: list[Any] = []
        for i, parent, cost, usage in tree:
            span = ferrotrace.start_span_no_context(
                f"s{i}", parent_span=None if parent < 0 else spans[parent], start_time_ns=1_000 + i
            )
            if cost is not None:
                span.set_attribute("mlflow.llm.cost", cost)
            if usage is not None:
                span.set_attribute("mlflow.chat.tokenUsage", usage)
            spans.append(span)
        for span in reversed(spans):
            span.end()
        meta = only_trace()["info"]["trace_metadata"]
        _native.clear_memory()
        ids = [f"s{i}" for i in range(len(tree))]

        def nodes(pos: int) -> list[Any]:
            return [SpanAggregationNode(ids[x[0]], None if x[1] < 0 else ids[x[1]], x[pos]) for x in tree]

        want_cost = aggregate_cost_from_span_nodes(nodes(2))
        want_usage = aggregate_usage_from_span_nodes(nodes(3))
        assert meta.get("mlflow.trace.cost") == (None if want_cost is None else json.dumps(want_cost)), tree
        assert meta.get("mlflow.trace.tokenUsage") == (None if want_usage is None else json.dumps(want_usage)), tree
