"""Where a trace is stored (``mlflow.entities.trace_location``): an MLflow experiment here;
MLflow's Databricks locations (inference tables, Unity Catalog) are not supported."""

from __future__ import annotations

from enum import Enum
from typing import Any, Optional

from ferrotrace.tracing import MlflowExperimentLocation as _DestinationLocation

__all__ = ["MlflowExperimentLocation", "TraceLocation", "TraceLocationType"]


class TraceLocationType(str, Enum):
    TRACE_LOCATION_TYPE_UNSPECIFIED = "TRACE_LOCATION_TYPE_UNSPECIFIED"
    MLFLOW_EXPERIMENT = "MLFLOW_EXPERIMENT"
    INFERENCE_TABLE = "INFERENCE_TABLE"
    UC_SCHEMA = "UC_SCHEMA"
    UC_TABLE_PREFIX = "UC_TABLE_PREFIX"

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TraceLocationType:
        return cls(d["type"])


class MlflowExperimentLocation(_DestinationLocation):
    """An experiment of the configured MLflow server (also a ``set_destination`` target)."""

    def to_dict(self) -> dict[str, Any]:
        return {"experiment_id": self.experiment_id}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> MlflowExperimentLocation:
        return cls(experiment_id=d["experiment_id"])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _DestinationLocation) and other.experiment_id == self.experiment_id

    def __hash__(self) -> int:
        return hash(self.experiment_id)

    def __repr__(self) -> str:
        return f"MlflowExperimentLocation(experiment_id={self.experiment_id!r})"


class TraceLocation:
    """A trace's location: its type and, for an experiment, which one."""

    def __init__(
        self, type: Any, mlflow_experiment: Optional[MlflowExperimentLocation] = None, inference_table: Any = None, **kwargs: Any
    ) -> None:
        self.type = type if isinstance(type, TraceLocationType) else TraceLocationType(str(type))
        self.mlflow_experiment = mlflow_experiment
        self.inference_table = inference_table
        if mlflow_experiment is not None and self.type != TraceLocationType.MLFLOW_EXPERIMENT:
            from ferrotrace.exceptions import MlflowException

            raise MlflowException.invalid_parameter_value(
                f"Trace location type {self.type} does not match the provided location {mlflow_experiment}."
            )

    @classmethod
    def from_experiment_id(cls, experiment_id: str) -> TraceLocation:
        return cls(TraceLocationType.MLFLOW_EXPERIMENT, MlflowExperimentLocation(experiment_id))

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"type": self.type.value}
        if self.mlflow_experiment is not None:
            d["mlflow_experiment"] = self.mlflow_experiment.to_dict()
        elif self.inference_table is not None:
            d["inference_table"] = self.inference_table
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TraceLocation:
        exp = d.get("mlflow_experiment")
        return cls(
            TraceLocationType(d.get("type", "TRACE_LOCATION_TYPE_UNSPECIFIED")),
            MlflowExperimentLocation.from_dict(exp) if exp else None,
            d.get("inference_table"),
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TraceLocation) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        return f"TraceLocation(type={self.type!r}, mlflow_experiment={self.mlflow_experiment!r})"
