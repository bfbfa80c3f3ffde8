"""Errors a tracing program handles: the exceptions MLflow raises, caught by their MLflow names
and codes.

Mirrors: snippets of MLflow's tracing and client docs that catch mlflow.exceptions.MlflowException
(a missing trace, a duplicate experiment, a bad argument)."""

import os
import uuid

import mlflow
from mlflow.exceptions import MlflowException, RestException

mlflow.set_experiment(os.environ.get("COMPAT_EXPERIMENT", "compat-errors"))
client = mlflow.MlflowClient()

print("missing fluent:", mlflow.get_trace("tr-" + "0" * 32, silent=True))
try:
    client.get_trace("tr-" + "0" * 32)
except MlflowException as e:
    print("missing client:", type(e).__name__, isinstance(e, MlflowException))

name = f"dup-{uuid.uuid4().hex[:8]}"
client.create_experiment(name)
try:
    client.create_experiment(name)
except MlflowException as e:
    print("duplicate:", e.error_code, e.get_http_status_code(), isinstance(e, RestException))

e = MlflowException.invalid_parameter_value("bad value")
print("built:", e.error_code, e.get_http_status_code(), e.message)
try:
    mlflow.set_experiment()
except MlflowException as e:
    print("set_experiment without args:", type(e).__name__)
try:
    with mlflow.start_span("s") as span:
        span.set_status("MAYBE")
except MlflowException as e:
    print("bad status:", e.error_code)
