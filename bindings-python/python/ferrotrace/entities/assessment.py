"""``ferrotrace.entities.assessment`` (``mlflow.entities.assessment``)."""

from __future__ import annotations

from ferrotrace._assessment_entities import (
    DEFAULT_FEEDBACK_NAME,
    Assessment,
    AssessmentError,
    Expectation,
    Feedback,
    FeedbackValueType,
)

__all__ = ["DEFAULT_FEEDBACK_NAME", "Assessment", "AssessmentError", "Expectation", "Feedback", "FeedbackValueType"]
