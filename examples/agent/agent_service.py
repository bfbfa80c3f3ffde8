"""A traced, tool-using agent service: retrieval, an LLM call through the real `openai` client
(traced by `ferrotrace.openai.autolog()`), a tool, user and session tracking, a secret that
redaction keeps out of the trace, and sampling.

One command, which starts a local fake OpenAI-compatible server (no network, no API key), asks
one question through the service and prints the answer and the trace id:

    .venv/bin/python examples/agent/agent_service.py --demo

As a service (examples/deploy runs it this way): `OPENAI_BASE_URL=... python
examples/agent/agent_service.py --host 0.0.0.0 --port 8000`, then
`POST /chat {"question": ..., "user": ..., "session": ...}` answers `{"answer", "trace_id"}`.
With no MLFLOW_TRACKING_URI the traces go to ./ferrotrace-traces; `ferrotrace ui` shows them.

Sampling: MLFLOW_TRACE_SAMPLING_RATIO=0.1 keeps one trace in ten, decided from the trace id;
FERROTRACE_SAMPLING_KEEP_ERRORS=true keeps every failed one anyway.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import openai

import ferrotrace as mlflow
from ferrotrace.entities import SpanType

mlflow.openai.autolog()

DOCS = [
    {"id": "doc-1", "text": "ferrotrace records each step of an agent as a span, natively."},
    {"id": "doc-2", "text": "Traces go to an MLflow server, an OTLP collector or a local store."},
]
TOOLS = [{
    "type": "function",
    "function": {
        "name": "count_words",
        "description": "Count the words of a text",
        "parameters": {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]},
    },
}]


@mlflow.trace(span_type=SpanType.RETRIEVER)
def retrieve(query: str) -> list[dict[str, str]]:
    words = set(query.lower().split())
    return [d for d in DOCS if words & set(d["text"].lower().split())] or DOCS[:1]


@mlflow.trace(span_type=SpanType.TOOL)
def count_words(text: str) -> int:
    return len(text.split())


@mlflow.trace(name="agent", span_type=SpanType.AGENT)
def answer(client: openai.OpenAI, question: str, user: str, session: str, api_key: str) -> str:
    # User and session, as MLflow's docs record them: searchable on the server.
    mlflow.update_current_trace(metadata={"mlflow.trace.user": user, "mlflow.trace.session": session})
    context = "\n".join(d["text"] for d in retrieve(question))
    messages: list[Any] = [
        {"role": "system", "content": f"Answer from this context:\n{context}"},
        {"role": "user", "content": question},
    ]
    for _ in range(3):  # model -> tool -> model, bounded
        reply = client.chat.completions.create(model="gpt-4o-mini", messages=messages, tools=TOOLS)
        message = reply.choices[0].message
        if not message.tool_calls:
            return message.content or ""
        messages.append(message.model_dump(exclude_none=True))
        for call in message.tool_calls:
            result = count_words(**json.loads(call.function.arguments))
            messages.append({"role": "tool", "tool_call_id": call.id, "content": str(result)})
    return "no answer"


def handler(client: openai.OpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            if self.path != "/chat":
                self.send_error(404)
                return
            req = json.loads(self.rfile.read(int(self.headers.get("content-length", "0"))) or b"{}")
            # `api_key` is an argument of the traced call: the default redaction replaces it.
            text = answer(client, req["question"], req.get("user", "anonymous"), req.get("session", "default"),
                          api_key=os.environ.get("DOWNSTREAM_API_KEY", "sk-demo-0123456789abcdef0123456789abcdef"))
            body = json.dumps({"answer": text, "trace_id": mlflow.get_last_active_trace_id(thread_local=True)}).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # quiet
            pass

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--demo", action="store_true", help="start a fake LLM, ask one question, stop")
    args = parser.parse_args()
    fake = None
    if args.demo:
        sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "support"))
        import fake_llm

        fake = fake_llm.start()
        os.environ["OPENAI_BASE_URL"] = fake.base_url
    client = openai.OpenAI(api_key=os.environ.get("OPENAI_API_KEY", "not-needed-by-the-fake"))
    server = ThreadingHTTPServer((args.host, 0 if args.demo else args.port), handler(client))
    if not args.demo:
        print(f"agent service on http://{args.host}:{server.server_address[1]}", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        return
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        request = urllib.request.Request(
            f"http://127.0.0.1:{server.server_address[1]}/chat",
            data=json.dumps({"question": "How does ferrotrace record an agent?", "user": "alice",
                             "session": "conversation-7"}).encode(),
            headers={"content-type": "application/json"}, method="POST")
        with urllib.request.urlopen(request, timeout=30) as response:
            reply = json.load(response)
        print(reply["answer"])
        print(reply["trace_id"])
    finally:
        server.shutdown()
        if fake is not None:
            fake.stop()


if __name__ == "__main__":
    main()
