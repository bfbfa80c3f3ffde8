"""Threads: worker threads add child spans under a root started by the main thread, once with the
client API (explicit trace and parent ids, MLflow 2's request_id spelling included) and once
with the fluent API carried into the pool by contextvars.

Mirrors: mlflow/mlflow examples/tracing/multithreading.py, and the "Multi-threading" section of
MLflow's tracing docs (contextvars.copy_context with a ThreadPoolExecutor)."""

import contextvars
import os
from concurrent.futures import ThreadPoolExecutor

import mlflow

mlflow.set_experiment(os.environ.get("COMPAT_EXPERIMENT", "compat-threads"))
client = mlflow.MlflowClient()


def task(x: int, request_id: str, parent_span_id: str) -> int:
    child = client.start_span(name="child_span", request_id=request_id, parent_id=parent_span_id, inputs={"x": x})
    y = x**2
    client.end_span(request_id=request_id, span_id=child.span_id, outputs=y)
    return y


root = client.start_trace(name="my_trace_multithreading")
with ThreadPoolExecutor(max_workers=2) as pool:
    results = list(pool.map(lambda x: task(x, root.request_id, root.span_id), [1, 2, 3, 4]))
client.end_trace(request_id=root.request_id, outputs=sum(results))
mlflow.flush_trace_async_logging()  # MLflow logs traces in the background
trace = mlflow.get_trace(mlflow.get_last_active_trace_id())
print("client spans:", len(trace.data.spans), sorted(s.outputs for s in trace.data.spans if s.parent_id))


@mlflow.trace
def square(x: int) -> int:
    return x * x


@mlflow.trace
def fan_out(xs: list) -> list:
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(contextvars.copy_context().run, square, x) for x in xs]
        return [f.result() for f in futures]


print("fluent:", fan_out([1, 2, 3]))
mlflow.flush_trace_async_logging()
trace = mlflow.get_trace(mlflow.get_last_active_trace_id())
print("fluent spans:", sorted(s.name for s in trace.data.spans), all(s.parent_id for s in trace.data.spans[1:]))
