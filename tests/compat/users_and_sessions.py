"""Users and sessions: a chat app that records the user and the conversation on every trace,
then finds one user's traces and one conversation's turns, and lists sessions.

Mirrors: the "Track users & sessions" page of MLflow's tracing docs (update_current_trace with
the mlflow.trace.user / mlflow.trace.session metadata, search_traces on them, search_sessions)."""

import os

import mlflow

mlflow.set_experiment(os.environ.get("COMPAT_EXPERIMENT", "compat-sessions"))


@mlflow.trace
def chat(message: str, user_id: str, session_id: str) -> str:
    mlflow.update_current_trace(metadata={"mlflow.trace.user": user_id, "mlflow.trace.session": session_id})
    return f"echo: {message}"


for user, session, text in [
    ("alice", "conv-1", "hi"),
    ("alice", "conv-1", "how are you?"),
    ("bob", "conv-2", "hello"),
    ("alice", "conv-3", "new topic"),
]:
    chat(text, user, session)
mlflow.flush_trace_async_logging()  # MLflow logs traces in the background

alice = mlflow.search_traces(filter_string="metadata.`mlflow.trace.user` = 'alice'", return_type="list")
print("alice traces:", len(alice))
conv = mlflow.search_traces(
    filter_string="metadata.`mlflow.trace.session` = 'conv-1'", order_by=["timestamp ASC"], return_type="list"
)
print("conv-1 turns:", [t.data.spans[0].inputs["message"] for t in conv])
print("metadata:", conv[0].info.trace_metadata["mlflow.trace.user"], conv[0].info.request_metadata["mlflow.trace.session"])
sessions = mlflow.search_sessions()
print("sessions:", sorted((s.id, len(s)) for s in sessions))
