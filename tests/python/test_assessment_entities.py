"""Assessment entities: MLflow's names, defaults and validation, and the REST JSON they make."""

from __future__ import annotations

import pytest

import ferrotrace
from ferrotrace.entities import AssessmentError, AssessmentSource, AssessmentSourceType, Expectation, Feedback
from ferrotrace._assessment_entities import Assessment


def test_source_types_are_case_insensitive_and_ai_judge_maps_to_llm_judge() -> None:
    assert AssessmentSource("human").source_type == "HUMAN"
    assert AssessmentSource("llm_judge", "gpt").source_id == "gpt"
    with pytest.warns(FutureWarning):
        assert AssessmentSource(AssessmentSourceType.AI_JUDGE).source_type == "LLM_JUDGE"
    with pytest.raises(ferrotrace.MlflowException):
        AssessmentSource("ROBOT")
    assert AssessmentSource("CODE").source_id == "default"


def test_feedback_and_expectation_defaults() -> None:
    fb = Feedback(value=True)
    assert fb.name == "feedback" and fb.source == AssessmentSource("CODE")
    assert Expectation(name="e", value="x").source == AssessmentSource("HUMAN")
    with pytest.raises(ferrotrace.MlflowException):
        Feedback()
    with pytest.raises(ferrotrace.MlflowException):
        Expectation(name="e", value=None)


def test_keyword_only_signatures() -> None:
    with pytest.raises(TypeError):
        ferrotrace.log_feedback("tr-1", name="x", value=1)  # type: ignore[misc]
    with pytest.raises(TypeError):
        ferrotrace.log_expectation("tr-1", "n", 1)  # type: ignore[misc]


def test_rest_json_shape_and_round_trip() -> None:
    fb = Feedback(
        name="relevance",
        value=0.9,
        source=AssessmentSource("LLM_JUDGE", "judge"),
        rationale="ok",
        metadata={"v": 1},
        span_id="00f067aa0ba902b7",
        create_time_ms=1795606740560,
    )
    d = fb.to_dictionary()
    assert d == {
        "assessment_name": "relevance",
        "span_id": "00f067aa0ba902b7",
        "source": {"source_type": "LLM_JUDGE", "source_id": "judge"},
        "create_time": "2026-11-25T11:39:00.560Z",
        "last_update_time": "2026-11-25T11:39:00.560Z",
        "feedback": {"value": 0.9},
        "rationale": "ok",
        "metadata": {"v": "1"},
        "valid": True,
    }
    d["assessment_id"] = "a-1"
    back = Assessment.from_dictionary(d)
    assert isinstance(back, Feedback) and back.assessment_id == "a-1" and back.value == 0.9
    assert back.create_time_ms == 1795606740560


def test_errors_become_assessment_errors() -> None:
    fb = Feedback(error=ValueError("judge crashed"))
    assert isinstance(fb.error, AssessmentError)
    assert fb.error.error_code == "ValueError" and fb.error.error_message == "judge crashed"
    assert fb.to_dictionary()["feedback"]["error"]["error_code"] == "ValueError"
