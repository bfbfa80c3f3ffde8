"""``ferrotrace.tracking.fluent``: MLflow's fluent experiment functions."""

from __future__ import annotations

from ferrotrace._tracking import get_tracking_uri, set_experiment, set_tracking_uri

__all__ = ["get_tracking_uri", "set_experiment", "set_tracking_uri"]
