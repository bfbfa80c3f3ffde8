"""``ferrotrace.entities.assessment_source`` (``mlflow.entities.assessment_source``)."""

from __future__ import annotations

from ferrotrace._assessment_entities import AssessmentSource, AssessmentSourceType

__all__ = ["AssessmentSource", "AssessmentSourceType"]
