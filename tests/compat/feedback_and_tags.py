"""Feedback, expectations and tags: a traced request tagged while it runs, tags set after it
ended, end-user and judge feedback, a ground-truth expectation, a corrected feedback, then the
trace searched by tag and its assessments read back.

Mirrors: the "Collect user feedback", "Log assessments" and "Attach custom tags / metadata" pages
of MLflow's tracing docs (log_feedback, log_expectation, override_feedback, update_current_trace
tags, set_trace_tag, search by tag)."""

import os

import mlflow
from mlflow.entities import AssessmentSource, AssessmentSourceType, Feedback

mlflow.set_experiment(os.environ.get("COMPAT_EXPERIMENT", "compat-feedback"))


@mlflow.trace
def answer(question: str) -> str:
    mlflow.update_current_trace(tags={"environment": "production", "feature": "chat"})
    return "MLflow is an open source platform for the ML lifecycle."


answer("What is MLflow?")
trace_id = mlflow.get_last_active_trace_id()
mlflow.flush_trace_async_logging()  # MLflow logs traces in the background
mlflow.set_trace_tag(trace_id, "reviewed", "yes")

user = AssessmentSource(source_type=AssessmentSourceType.HUMAN, source_id="user_123")
thumbs = mlflow.log_feedback(trace_id=trace_id, name="user_satisfaction", value=True, source=user, rationale="helpful")
judge = AssessmentSource(source_type="LLM_JUDGE", source_id="judge-v1")
score = mlflow.log_feedback(trace_id=trace_id, name="relevance", value=0.6, source=judge, metadata={"model": "judge"})
mlflow.log_expectation(trace_id=trace_id, name="expected_facts", value=["open source", "ML lifecycle"], source=user)
fixed = mlflow.override_feedback(trace_id=trace_id, assessment_id=score.assessment_id, value=0.9, rationale="re-graded", source=user)
print("override points back:", fixed.overrides == score.assessment_id)

read = mlflow.get_assessment(trace_id, thumbs.assessment_id)
print("read back:", read.name, read.value, read.rationale, read.source.source_type, read.source.source_id)
mlflow.update_assessment(trace_id=trace_id, assessment_id=thumbs.assessment_id, assessment=Feedback(name="user_satisfaction", value=False, rationale="changed my mind"))
print("updated:", mlflow.get_assessment(trace_id, thumbs.assessment_id).value)

tagged = mlflow.search_traces(filter_string="tags.environment = 'production'", return_type="list")
print("by tag:", len(tagged), tagged[0].info.tags["feature"], tagged[0].info.tags["reviewed"])

trace = mlflow.get_trace(trace_id)
names = sorted(a.name for a in trace.search_assessments())
print("valid assessments:", names)
print("all relevance:", sorted(a.value for a in trace.search_assessments("relevance", all=True)))
print("feedback only:", sorted(a.name for a in trace.search_assessments(type="feedback")))
print("expectation:", trace.search_assessments(type="expectation")[0].value)

mlflow.delete_trace_tag(trace_id, "reviewed")
print("tag deleted:", "reviewed" not in mlflow.get_trace(trace_id).info.tags)
