"""Collecting feedback on traces: an HTTP service whose answers carry their trace id, an endpoint
that records the user's rating, and an LLM-as-judge step that scores every answer.

    MLFLOW_TRACKING_URI=http://127.0.0.1:5000 .venv/bin/python examples/feedback/feedback_service.py --demo

`--demo` starts the service on a free port of 127.0.0.1, plays one client (asks a question,
reads the `x-trace-id` header, sends a thumbs up with a comment), prints the trace id and the
assessments stored on the trace, and stops. Without `--demo` it serves until interrupted:

    POST /chat      {"question": "..."}                 -> {"answer", "trace_id"} + x-trace-id header
    POST /feedback  {"trace_id", "thumbs_up", "comment", "user"}  -> {"assessment_id"}
"""

from __future__ import annotations

import json
import sys
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import ferrotrace as mlflow
from ferrotrace.entities import AssessmentSource, AssessmentSourceType, SpanType

KNOWLEDGE = {"tracing": "Tracing records each step of an LLM app as a span, so you can see what happened."}


@mlflow.trace(span_type=SpanType.LLM)
def generate(question: str) -> str:
    # A stand-in for the app's model.
    topic = next((k for k in KNOWLEDGE if k in question.lower()), None)
    return KNOWLEDGE[topic] if topic else "I do not know."


@mlflow.trace(name="chat", span_type=SpanType.AGENT)
def chat(question: str) -> str:
    return generate(question)


class JudgeModel:
    """A fake, local judge model: scores how much of the question the answer addresses. A real
    app calls an LLM here with a grading prompt."""

    name = "keyword-judge-v1"

    def score(self, question: str, answer: str) -> tuple[float, str]:
        words = {w.strip("?.,!").lower() for w in question.split() if len(w) > 3}
        hits = sorted(w for w in words if w in answer.lower())
        score = round(len(hits) / len(words), 2) if words else 0.0
        return score, f"The answer mentions {hits or 'none'} of the question's key words {sorted(words)}."


def judge(trace_id: str, question: str, answer: str) -> None:
    score, rationale = JudgeModel().score(question, answer)
    mlflow.log_feedback(trace_id=trace_id, name="relevance", value=score, rationale=rationale,
                        source=AssessmentSource(AssessmentSourceType.LLM_JUDGE, JudgeModel.name))


class Handler(BaseHTTPRequestHandler):
    def _reply(self, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        body = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        request = json.loads(self.rfile.read(int(self.headers.get("content-length", "0"))) or b"{}")
        if self.path == "/chat":
            answer = chat(request["question"])
            trace_id = mlflow.get_last_active_trace_id(thread_local=True)
            judge(trace_id, request["question"], answer)
            self._reply({"answer": answer, "trace_id": trace_id}, {"x-trace-id": trace_id})
        elif self.path == "/feedback":
            feedback = mlflow.log_feedback(
                trace_id=request["trace_id"], name="user_thumbs_up", value=bool(request["thumbs_up"]),
                rationale=request.get("comment"),
                source=AssessmentSource(AssessmentSourceType.HUMAN, request.get("user", "anonymous")),
            )
            self._reply({"assessment_id": feedback.assessment_id})
        else:
            self.send_error(404)

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass


def post(url: str, payload: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    request = urllib.request.Request(url, data=json.dumps(payload).encode(),
                                     headers={"content-type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response), response.headers


def demo(server: ThreadingHTTPServer) -> None:
    base = f"http://127.0.0.1:{server.server_address[1]}"
    reply, headers = post(f"{base}/chat", {"question": "What is tracing?"})
    trace_id = headers["x-trace-id"]
    print(reply["answer"])
    post(f"{base}/feedback", {"trace_id": trace_id, "thumbs_up": True, "comment": "clear and short", "user": "alice"})
    print(trace_id)
    for a in sorted(mlflow.get_trace(trace_id).info.assessments, key=lambda a: a.name):
        print(f"{a.name}: {a.value!r} from {a.source.source_type}/{a.source.source_id}")


def main() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if "--demo" in sys.argv:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            demo(server)
        finally:
            server.shutdown()
        return
    print(f"listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
