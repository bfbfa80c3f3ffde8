"""A deterministic OpenAI-compatible chat server on 127.0.0.1 for the LangChain / LangGraph tests.

`POST /v1/chat/completions` answers from the request alone, so two runs of one app (under MLflow's
autolog and under ferrotrace's) see byte-identical responses:

- tools offered and no tool result yet in the conversation: one call of the first tool, with
  arguments made from its JSON schema (integers 6, 7, 8, ...; strings the last user text);
- the last message is a tool result: ``"The answer is <result>."``;
- otherwise ``"Echo: <last user text>"``;
- a last user text containing ``FAIL_400`` / ``FAIL_500``: that HTTP error, OpenAI's error body;
- ``"stream": true``: the answer as server-sent chunks, one per word (tool calls in one chunk),
  then a usage chunk when ``stream_options.include_usage`` is set.

Ids and timestamps come from a hash of the request. In a test: ``with FakeLLM() as llm:
ChatOpenAI(base_url=llm.base_url, api_key="k", ...)``; ``llm.requests`` holds the bodies received.
"""

from __future__ import annotations

import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Optional

CREATED = 1_700_000_000


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def _last_user_text(messages: list[dict[str, Any]]) -> str:
    for m in reversed(messages):
        if m.get("role") == "user":
            return _text(m.get("content"))
    return ""


def _tool_arguments(tool: dict[str, Any], user_text: str) -> dict[str, Any]:
    props = ((tool.get("function") or {}).get("parameters") or {}).get("properties") or {}
    args: dict[str, Any] = {}
    n = 6
    for name, schema in props.items():
        kind = schema.get("type") if isinstance(schema, dict) else None
        if kind in ("integer", "number"):
            args[name] = n
            n += 1
        elif kind == "boolean":
            args[name] = True
        else:
            args[name] = user_text
    return args


def _words(text: str) -> int:
    return len(text.split())


def answer(body: dict[str, Any]) -> dict[str, Any]:
    """The chat completion (non-streamed form) for a request body."""
    messages = body.get("messages") or []
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
    user_text = _last_user_text(messages)
    tools = body.get("tools") or []
    message: dict[str, Any] = {"role": "assistant", "content": None, "refusal": None}
    last_role = messages[-1].get("role") if messages else None
    if tools and last_role != "tool" and not any(m.get("role") == "tool" for m in messages):
        tool = tools[0]
        name = (tool.get("function") or {}).get("name", "tool")
        call = {
            "id": f"call_{digest[:12]}",
            "type": "function",
            "function": {"name": name, "arguments": json.dumps(_tool_arguments(tool, user_text))},
        }
        message["tool_calls"] = [call]
        finish = "tool_calls"
        completion_words = 3
    else:
        if last_role == "tool":
            text = f"The answer is {_text(messages[-1].get('content'))}."
        else:
            text = f"Echo: {user_text}"
        message["content"] = text
        finish = "stop"
        completion_words = _words(text)
    prompt_words = sum(_words(_text(m.get("content"))) for m in messages)
    return {
        "id": f"chatcmpl-{digest[:16]}",
        "object": "chat.completion",
        "created": CREATED,
        "model": body.get("model", "fake-model"),
        "system_fingerprint": "fp_fake",
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
        "usage": {
            "prompt_tokens": prompt_words,
            "completion_tokens": completion_words,
            "total_tokens": prompt_words + completion_words,
        },
    }


def stream_chunks(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The same answer as ``chat.completion.chunk`` objects."""
    full = answer(body)
    choice = full["choices"][0]
    msg = choice["message"]
    base = {k: full[k] for k in ("id", "created", "model", "system_fingerprint")}
    base["object"] = "chat.completion.chunk"

    def chunk(delta: dict[str, Any], finish: Optional[str] = None) -> dict[str, Any]:
        return {**base, "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}

    out = [chunk({"role": "assistant", "content": ""})]
    if msg.get("tool_calls"):
        calls = [{"index": i, **c} for i, c in enumerate(msg["tool_calls"])]
        out.append(chunk({"tool_calls": calls}))
    else:
        words = msg["content"].split(" ")
        for i, w in enumerate(words):
            out.append(chunk({"content": w if i == 0 else " " + w}))
    out.append(chunk({}, choice["finish_reason"]))
    if (body.get("stream_options") or {}).get("include_usage"):
        out.append({**base, "choices": [], "usage": full["usage"]})
    return out


def _error(status: int, message: str) -> dict[str, Any]:
    kind = "invalid_request_error" if status < 500 else "server_error"
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass

    def _send(self, status: int, payload: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            self._send(400, json.dumps(_error(400, "invalid JSON")).encode(), "application/json")
            return
        with self.server.lock:
            self.server.requests.append(body)
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._send(404, json.dumps(_error(404, f"no route {self.path}")).encode(), "application/json")
            return
        user_text = _last_user_text(body.get("messages") or [])
        for status in (400, 500):
            if f"FAIL_{status}" in user_text:
                self._send(status, json.dumps(_error(status, f"fake failure {status}")).encode(), "application/json")
                return
        if body.get("stream"):
            lines = [f"data: {json.dumps(c)}\n\n" for c in stream_chunks(body)] + ["data: [DONE]\n\n"]
            self._send(200, "".join(lines).encode(), "text/event-stream")
        else:
            self._send(200, json.dumps(answer(body)).encode(), "application/json")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    requests: list[dict[str, Any]]
    lock: threading.Lock


class FakeLLM:
    """The server in a background thread of this process, on a free port of 127.0.0.1."""

    def __init__(self) -> None:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.requests = []
        self._server.lock = threading.Lock()
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-llm-langchain", daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    @property
    def requests(self) -> list[dict[str, Any]]:
        with self._server.lock:
            return list(self._server.requests)

    def __enter__(self) -> FakeLLM:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
