"""MlflowClient: a trace built span by span with explicit parents, tags set and deleted after
the trace ended, then read back with get_trace and search_traces.

Mirrors: mlflow/mlflow examples/tracing/client.py, and the "Low-level client APIs" section of the
manual tracing docs (start_trace / start_span / end_span / end_trace)."""

import os

import mlflow
from mlflow import MlflowClient

exp = mlflow.set_experiment(os.environ.get("COMPAT_EXPERIMENT", "compat-client"))
client = MlflowClient()


def run(x: int, y: int) -> int:
    root = client.start_trace(name="my_trace", inputs={"x": x, "y": y}, tags={"fruit": "apple", "vegetable": "carrot"})
    trace_id = root.trace_id
    z = x + y
    child = client.start_span(
        name="child_span",
        trace_id=trace_id,
        parent_id=root.span_id,
        inputs={"z": z},
        attributes={"model": "my_model", "temperature": 0.5},
    )
    z = z**2
    client.end_span(trace_id=trace_id, span_id=child.span_id, outputs=z, status="OK")
    grandchild = client.start_span("grandchild", trace_id=trace_id, parent_id=child.span_id, span_type="TOOL")
    client.end_span(trace_id=trace_id, span_id=grandchild.span_id, attributes={"late": True})
    z = z + 1
    client.end_trace(trace_id=trace_id, outputs=z)
    return z


assert run(1, 2) == 10
trace_id = mlflow.get_last_active_trace_id()
mlflow.flush_trace_async_logging()  # MLflow logs traces in the background

found = client.search_traces(experiment_ids=[exp.experiment_id])
trace = found[0]
print("found:", len(found), trace.info.tags["fruit"], trace.info.tags["vegetable"])

client.set_trace_tag(trace.info.trace_id, "fruit", "orange")
client.delete_trace_tag(trace.info.trace_id, "vegetable")
trace = client.get_trace(trace.info.trace_id)
print("tags now:", trace.info.tags["fruit"], "vegetable" in trace.info.tags)
print("spans:", [(s.name, s.span_type) for s in trace.data.spans])
print("child attrs:", trace.search_spans(name="child_span")[0].attributes["model"])
print("outputs:", trace.data.spans[0].outputs, "state:", trace.info.state)

try:
    client.start_span("orphan", trace_id=trace_id, parent_id="0" * 16)
except mlflow.exceptions.MlflowException as e:
    print("orphan:", e.error_code)
try:
    client.end_trace(trace_id)
except mlflow.exceptions.MlflowException as e:
    print("ended twice:", e.error_code)

exp2 = client.get_experiment_by_name(exp.name)
print("experiment:", exp2.name == exp.name, client.get_experiment(exp.experiment_id).name == exp.name)
print("missing experiment:", client.get_experiment_by_name("no-such-experiment-compat"))
