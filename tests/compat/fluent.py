"""Fluent API: a decorated call tree with a span type and attributes, a block span, a traced
generator and an exception, then the traces read back.

Mirrors: mlflow/mlflow examples/tracing/fluent.py, and the "Manual tracing" docs page
(decorator, context manager, span types, streaming outputs, exceptions)."""

import json
import os

import mlflow
from mlflow.entities import SpanType

mlflow.set_experiment(os.environ.get("COMPAT_EXPERIMENT", "compat-fluent"))


@mlflow.trace
def add_one(x: int) -> int:
    return x + 1


@mlflow.trace(span_type="math", attributes={"operation": "addition"})
def plus_two_then_square(x: int) -> int:
    x = add_one(x) + 2
    with mlflow.start_span(name="square", attributes={"operation": "exponentiation"}) as span:
        span.set_inputs({"x": x})
        x = x**2
        span.set_outputs({"x": x})
    return x


@mlflow.trace(span_type=SpanType.LLM, output_reducer=lambda chunks: " ".join(chunks))
def stream_words(sentence: str):
    for word in sentence.split():
        yield word


@mlflow.trace(name="checked_division", span_type=SpanType.TOOL)
def divide(a: float, b: float) -> float:
    return a / b


assert plus_two_then_square(1) == 16
first_id = mlflow.get_last_active_trace_id()
print("words:", list(stream_words("tracing keeps every chunk")))
try:
    divide(1, 0)
except ZeroDivisionError as e:
    print("caught:", type(e).__name__)
print("last trace is new:", mlflow.get_last_active_trace_id() != first_id)
mlflow.flush_trace_async_logging()  # MLflow logs traces in the background

trace = mlflow.get_trace(first_id)
print("state:", trace.info.state)
print("spans:", [(s.name, s.span_type, s.parent_id is not None) for s in trace.data.spans])
root = trace.data.spans[0]
print("root io:", root.inputs, root.outputs, root.attributes.get("operation"))
leaf = trace.search_spans(name="square")[0]
print("leaf io:", leaf.inputs, leaf.outputs)
print("request:", trace.data.request, "response:", trace.data.response)

traces = mlflow.search_traces(filter_string="trace.status = 'ERROR'", return_type="list")
print("errors:", [t.data.spans[0].name for t in traces])
err = traces[0].data.spans[0]
print("error status:", err.status.status_code, [e.name for e in err.events])
print("dict keys:", sorted(trace.to_dict()), sorted(trace.to_dict()["info"])[:4])
print("json round trip:", json.loads(trace.to_json())["info"]["trace_id"] == trace.info.trace_id)
