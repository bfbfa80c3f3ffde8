"""Traces made elsewhere: a whole trace logged from a request/response pair, and a finished trace
returned by a "remote" service (as its to_dict()) merged into the caller's trace.

Mirrors: the MLflow tracing docs' snippets for mlflow.log_trace and mlflow.add_trace ("combine a
trace from a remote service")."""

import os

import mlflow
from mlflow.entities import Trace

mlflow.set_experiment(os.environ.get("COMPAT_EXPERIMENT", "compat-remote"))

logged = mlflow.log_trace(
    name="qa",
    request="Does mlflow support tracing?",
    response="Yes",
    intermediate_outputs={"retrieved_documents": ["mlflow documentation"]},
    tags={"origin": "import"},
)
mlflow.flush_trace_async_logging()  # MLflow logs traces in the background
trace = mlflow.get_trace(logged)
print("logged:", trace.data.spans[0].name, trace.data.spans[0].inputs, trace.data.spans[0].outputs, trace.info.tags["origin"])


@mlflow.trace(span_type="RETRIEVER")
def remote_lookup(query: str) -> list:
    return [f"doc about {query}"]


# The "remote service": runs its own trace and hands back the finished trace as a dict.
remote_lookup("tracing")
mlflow.flush_trace_async_logging()
remote = mlflow.get_trace(mlflow.get_last_active_trace_id()).to_dict()
copied = Trace.from_json(Trace.from_dict(remote).to_json())
print("round trip:", copied.info.trace_id == remote["info"]["trace_id"], len(copied.data.spans))


@mlflow.trace(name="predict")
def predict(query: str) -> str:
    mlflow.add_trace(remote)
    return "answer"


predict("tracing")
mlflow.flush_trace_async_logging()
merged = mlflow.get_trace(mlflow.get_last_active_trace_id())
print("merged:", sorted((s.name, s.span_type) for s in merged.data.spans))
print("merged io:", merged.search_spans(name="remote_lookup")[0].inputs, merged.search_spans(name="remote_lookup")[0].outputs)
