"""``ferrotrace.tracking``: MLflow's ``mlflow.tracking`` names (``MlflowClient`` and the tracking
URI functions)."""

from __future__ import annotations

from ferrotrace._tracking import get_tracking_uri, is_tracking_uri_set, set_tracking_uri
from ferrotrace.client import MlflowClient

__all__ = ["MlflowClient", "get_tracking_uri", "is_tracking_uri_set", "set_tracking_uri"]
