"""The rest of ``mlflow.tracing``'s public functions. The notebook display switches are kept
(ferrotrace renders no notebook widget, so they only record the choice); the Databricks / Unity
Catalog ones raise a clear error, as does the OpenTelemetry bridge ferrotrace has no tracer
provider for."""

from __future__ import annotations

from typing import Any

from ferrotrace.exceptions import MlflowException

_DISPLAY = {"enabled": True}


def enable_notebook_display() -> None:
    """Accepted for compatibility: ferrotrace shows no notebook widget."""
    _DISPLAY["enabled"] = True


def disable_notebook_display() -> None:
    """Accepted for compatibility: ferrotrace shows no notebook widget."""
    _DISPLAY["enabled"] = False


def _databricks_only(name: str) -> MlflowException:
    return MlflowException(
        f"{name}() needs Databricks (Unity Catalog trace locations), which ferrotrace does not support; "
        "traces go to the MLflow server set with set_tracking_uri() or to the local store.",
        error_code="NOT_IMPLEMENTED",
    )


def set_databricks_monitoring_sql_warehouse_id(*args: Any, **kwargs: Any) -> None:
    raise _databricks_only("set_databricks_monitoring_sql_warehouse_id")


def set_experiment_trace_location(*args: Any, **kwargs: Any) -> Any:
    raise _databricks_only("set_experiment_trace_location")


def unset_experiment_trace_location(*args: Any, **kwargs: Any) -> None:
    raise _databricks_only("unset_experiment_trace_location")


def get_bridged_tracer_provider() -> Any:
    raise MlflowException(
        "get_bridged_tracer_provider() bridges OpenTelemetry's Python SDK into MLflow's tracer; "
        "ferrotrace records spans natively and has no OpenTelemetry tracer provider. Export to a "
        "collector with ferrotrace.tracing.configure_otlp() instead.",
        error_code="NOT_IMPLEMENTED",
    )
