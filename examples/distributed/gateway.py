"""The Python half of a distributed trace: an HTTP gateway that answers a question by calling a
Node service (node_service.mjs), sending the W3C `traceparent` of its active span, so the Node
spans join this trace as children of the call.

Run the whole example with one command (it starts both services, asks one question, stops them):

    .venv/bin/python examples/distributed/run.py

Alone: `SUMMARIZER_URL=http://127.0.0.1:PORT python examples/distributed/gateway.py` prints the
port it listens on; `GET /ask?q=...` answers `{"answer": ..., "trace_id": ...}`.
"""

from __future__ import annotations

import json
import os
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import ferrotrace as mlflow
from ferrotrace import tracing
from ferrotrace.entities import SpanType

SUMMARIZER_URL = os.environ.get("SUMMARIZER_URL", "http://127.0.0.1:3000")


@mlflow.trace(span_type=SpanType.RETRIEVER)
def retrieve(question: str) -> list[str]:
    return [f"A document about {word}." for word in question.split()[:2]]


@mlflow.trace(name="call_summarizer", span_type=SpanType.TOOL)
def call_summarizer(docs: list[str]) -> str:
    # The header carries this span's ids: the Node service's spans become its children.
    headers = {"content-type": "application/json", **tracing.get_tracing_context_headers_for_http_request()}
    request = urllib.request.Request(f"{SUMMARIZER_URL}/summarize", data=json.dumps({"docs": docs}).encode(),
                                     headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        return str(json.load(response)["summary"])


@mlflow.trace(name="gateway", span_type=SpanType.AGENT)
def ask(question: str) -> str:
    return call_summarizer(retrieve(question))


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        url = urllib.parse.urlparse(self.path)
        if url.path != "/ask":
            self.send_error(404)
            return
        question = urllib.parse.parse_qs(url.query).get("q", [""])[0]
        answer = ask(question)
        body = json.dumps({"answer": answer, "trace_id": mlflow.get_last_active_trace_id(thread_local=True)}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass


def main() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", int(os.environ.get("PORT", "0"))), Handler)
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
