"""``ferrotrace.tracking.client``: where MLflow defines ``MlflowClient``."""

from __future__ import annotations

from ferrotrace.client import MlflowClient

__all__ = ["MlflowClient"]
