"""A fake OpenAI- and Anthropic-compatible server on 127.0.0.1, for tests, benchmarks and
examples. Answers are deterministic (fixed ids, timestamps, token counts from word counts), so
two runs of the same app give the same traces.

What it answers is chosen by the request:
- model ``error-400`` / ``error-500``: that HTTP status with the provider's error body;
- ``tools`` given and the last message is not a tool result: one tool call to the first tool,
  with arguments made from its JSON schema; after a tool result, the final answer quotes it;
- ``response_format`` / ``text.format`` with a JSON schema: a JSON object made from the schema;
- ``stream: true``: server-sent events as the provider sends them (OpenAI chat chunks, with a
  usage chunk when ``stream_options.include_usage``; Responses API events; Anthropic events).

In process: ``server = start(); server.base_url; server.stop()``. As a script:
``python fake_llm.py`` prints the base URL and serves until killed.
"""

from __future__ import annotations

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator, Optional

CREATED = 1_700_000_000
ANSWER = "The answer is 42."


def _words(value: Any) -> int:
    """Token count stand-in: words in every string inside ``value``."""
    if isinstance(value, str):
        return len(value.split())
    if isinstance(value, dict):
        return sum(_words(v) for v in value.values())
    if isinstance(value, list):
        return sum(_words(v) for v in value)
    return 0


def _from_schema(schema: Any, defs: Optional[dict[str, Any]] = None) -> Any:
    """A value that satisfies a (simple) JSON schema."""
    if not isinstance(schema, dict):
        return None
    defs = defs if defs is not None else schema.get("$defs", {})
    if "$ref" in schema:
        return _from_schema(defs.get(schema["$ref"].rsplit("/", 1)[-1], {}), defs)
    for key in ("anyOf", "oneOf", "allOf"):
        if schema.get(key):
            return _from_schema(schema[key][0], defs)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return {k: _from_schema(v, defs) for k, v in schema.get("properties", {}).items()}
    if kind == "array":
        return [_from_schema(schema.get("items", {}), defs)]
    return {"string": "x", "integer": 2, "number": 1.5, "boolean": True}.get(kind if isinstance(kind, str) else "", None)


def _tool_schema(tool: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(name, parameters schema) of an OpenAI chat tool, a Responses API tool or an Anthropic tool."""
    fn = tool.get("function", tool)
    return fn.get("name", "tool"), fn.get("parameters") or fn.get("input_schema") or {}


def _sse(data: Any, event: Optional[str] = None) -> bytes:
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {json.dumps(data)}\n\n".encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else split header and body writes meet delayed ACKs (40 ms)

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    # -- plumbing ----------------------------------------------------------------------------
    def _send_json(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.send_header("x-request-id", "req_fake")
        self.end_headers()
        self.wfile.write(data)

    def _send_stream(self, events: Iterator[bytes]) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        try:
            for event in events:
                self.wfile.write(f"{len(event):x}\r\n".encode() + event + b"\r\n")
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):  # a client that closed its stream early
            self.close_connection = True

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("content-length") or 0)
        try:
            req = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            return self._send_json(400, {"error": {"message": "invalid JSON", "type": "invalid_request_error"}})
        path = self.path.split("?", 1)[0].rstrip("/")
        anthropic = path.endswith("/messages")
        model = str(req.get("model", ""))
        if model.startswith("error-"):
            status = int(model.split("-", 1)[1])
            if anthropic:
                kind = "invalid_request_error" if status < 500 else "api_error"
                return self._send_json(status, {"type": "error", "error": {"type": kind, "message": f"fake {status}"}})
            kind = "invalid_request_error" if status < 500 else "server_error"
            return self._send_json(status, {"error": {"message": f"fake {status}", "type": kind, "param": None, "code": None}})
        if path.endswith("/chat/completions"):
            return self._chat(req)
        if path.endswith("/embeddings"):
            return self._embeddings(req)
        if path.endswith("/responses"):
            return self._responses(req)
        if anthropic:
            return self._messages(req)
        self._send_json(404, {"error": {"message": f"no route {path}", "type": "invalid_request_error"}})

    # -- OpenAI chat completions -------------------------------------------------------------
    def _chat(self, req: dict[str, Any]) -> None:
        messages = req.get("messages") or []
        model = req.get("model", "gpt-fake")
        prompt_tokens = _words(messages)
        last = messages[-1] if messages else {}
        tools = req.get("tools") or []
        tool_calls = None
        content: Optional[str] = ANSWER
        if tools and last.get("role") != "tool":
            name, schema = _tool_schema(tools[0])
            args = json.dumps(_from_schema(schema) or {})
            tool_calls = [{"id": "call_1", "type": "function", "function": {"name": name, "arguments": args}}]
            content = None
        elif last.get("role") == "tool":
            content = f"The tool said {last.get('content')}."
        fmt = req.get("response_format") or {}
        if fmt.get("type") == "json_schema":
            content = json.dumps(_from_schema(fmt.get("json_schema", {}).get("schema", {})))
        completion_tokens = _words(content or "") + (3 if tool_calls else 0)
        usage = {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens, "total_tokens": prompt_tokens + completion_tokens}
        finish = "tool_calls" if tool_calls else "stop"
        if not req.get("stream"):
            message: dict[str, Any] = {"role": "assistant", "content": content, "refusal": None}
            if tool_calls:
                message["tool_calls"] = tool_calls
            body = {
                "id": "chatcmpl-fake", "object": "chat.completion", "created": CREATED, "model": model,
                "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
                "usage": usage, "system_fingerprint": "fp_fake",
            }  # fmt: skip
            return self._send_json(200, body)
        include_usage = bool((req.get("stream_options") or {}).get("include_usage"))

        def chunk(delta: dict[str, Any], finish_reason: Optional[str] = None, choices: bool = True) -> bytes:
            body: dict[str, Any] = {
                "id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": CREATED, "model": model,
                "system_fingerprint": "fp_fake",
                "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}] if choices else [],
            }  # fmt: skip
            if include_usage:
                body["usage"] = None
            return _sse(body)

        def events() -> Iterator[bytes]:
            yield chunk({"role": "assistant", "content": "" if content is not None else None})
            if tool_calls:
                call = tool_calls[0]
                yield chunk({"tool_calls": [{"index": 0, "id": call["id"], "type": "function", "function": {"name": call["function"]["name"], "arguments": ""}}]})
                yield chunk({"tool_calls": [{"index": 0, "function": {"arguments": call["function"]["arguments"]}}]})
            else:
                for i, word in enumerate((content or "").split(" ")):
                    yield chunk({"content": word if i == 0 else " " + word})
            yield chunk({}, finish)
            if include_usage:
                last_chunk = json.loads(chunk({}, choices=False)[6:])
                last_chunk["usage"] = usage
                yield _sse(last_chunk)
            yield b"data: [DONE]\n\n"

        self._send_stream(events())

    # -- OpenAI embeddings -------------------------------------------------------------------
    def _embeddings(self, req: dict[str, Any]) -> None:
        inputs = req.get("input")
        items = inputs if isinstance(inputs, list) and inputs and not isinstance(inputs[0], int) else [inputs]
        data = [
            {"object": "embedding", "index": i, "embedding": [round(0.1 * (i + 1) * k, 3) for k in range(1, 5)]}
            for i in range(len(items))
        ]
        tokens = _words(items)
        self._send_json(200, {"object": "list", "data": data, "model": req.get("model", "text-embedding-fake"), "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})

    # -- OpenAI Responses API ----------------------------------------------------------------
    def _responses(self, req: dict[str, Any]) -> None:
        model = req.get("model", "gpt-fake")
        text = ANSWER
        fmt = (req.get("text") or {}).get("format") or {}
        if fmt.get("type") == "json_schema":
            text = json.dumps(_from_schema(fmt.get("schema", {})))
        in_tokens, out_tokens = _words(req.get("input")) + _words(req.get("instructions")), _words(text)
        item = {"id": "msg_fake", "type": "message", "status": "completed", "role": "assistant", "content": [{"type": "output_text", "text": text, "annotations": []}]}
        usage = {
            "input_tokens": in_tokens, "output_tokens": out_tokens, "total_tokens": in_tokens + out_tokens,
            "input_tokens_details": {"cached_tokens": 0}, "output_tokens_details": {"reasoning_tokens": 0},
        }  # fmt: skip

        def response(status: str, output: list[Any], usage: Optional[dict[str, Any]]) -> dict[str, Any]:
            return {
                "id": "resp_fake", "object": "response", "created_at": CREATED, "status": status, "model": model,
                "output": output, "usage": usage, "parallel_tool_calls": True, "tool_choice": "auto", "tools": [],
                "instructions": req.get("instructions"), "temperature": req.get("temperature", 1.0), "top_p": 1.0,
                "text": {"format": {"type": "text"}}, "error": None, "incomplete_details": None, "metadata": {},
            }  # fmt: skip

        if not req.get("stream"):
            return self._send_json(200, response("completed", [item], usage))

        def events() -> Iterator[bytes]:
            seq = iter(range(1000))
            yield _sse({"type": "response.created", "sequence_number": next(seq), "response": response("in_progress", [], None)}, "response.created")
            started = {**item, "status": "in_progress", "content": []}
            yield _sse({"type": "response.output_item.added", "sequence_number": next(seq), "output_index": 0, "item": started}, "response.output_item.added")
            part = {"type": "output_text", "text": "", "annotations": []}
            yield _sse({"type": "response.content_part.added", "sequence_number": next(seq), "item_id": "msg_fake", "output_index": 0, "content_index": 0, "part": part}, "response.content_part.added")
            for i, word in enumerate(text.split(" ")):
                delta = word if i == 0 else " " + word
                yield _sse({"type": "response.output_text.delta", "sequence_number": next(seq), "item_id": "msg_fake", "output_index": 0, "content_index": 0, "delta": delta, "logprobs": []}, "response.output_text.delta")
            yield _sse({"type": "response.output_text.done", "sequence_number": next(seq), "item_id": "msg_fake", "output_index": 0, "content_index": 0, "text": text, "logprobs": []}, "response.output_text.done")
            yield _sse({"type": "response.content_part.done", "sequence_number": next(seq), "item_id": "msg_fake", "output_index": 0, "content_index": 0, "part": {**part, "text": text}}, "response.content_part.done")
            yield _sse({"type": "response.output_item.done", "sequence_number": next(seq), "output_index": 0, "item": item}, "response.output_item.done")
            yield _sse({"type": "response.completed", "sequence_number": next(seq), "response": response("completed", [item], usage)}, "response.completed")

        self._send_stream(events())

    # -- Anthropic messages ------------------------------------------------------------------
    def _messages(self, req: dict[str, Any]) -> None:
        model = req.get("model", "claude-fake")
        messages = req.get("messages") or []
        last = messages[-1] if messages else {}
        last_content = last.get("content")
        after_tool = isinstance(last_content, list) and any(isinstance(b, dict) and b.get("type") == "tool_result" for b in last_content)
        tools = req.get("tools") or []
        if tools and not after_tool:
            name, schema = _tool_schema(tools[0])
            block: dict[str, Any] = {"type": "tool_use", "id": "toolu_fake", "name": name, "input": _from_schema(schema) or {}}
            stop = "tool_use"
        else:
            text = ANSWER
            if after_tool:
                result = next(b for b in last_content if isinstance(b, dict) and b.get("type") == "tool_result")
                text = f"The tool said {result.get('content')}."
            block = {"type": "text", "text": text}
            stop = "end_turn"
        in_tokens = _words(messages) + _words(req.get("system"))
        out_tokens = _words(block)
        usage = {"input_tokens": in_tokens, "output_tokens": out_tokens, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
        message = {"id": "msg_fake", "type": "message", "role": "assistant", "model": model, "content": [block], "stop_reason": stop, "stop_sequence": None, "usage": usage}
        if not req.get("stream"):
            return self._send_json(200, message)

        def events() -> Iterator[bytes]:
            start = {**message, "content": [], "stop_reason": None, "usage": {**usage, "output_tokens": 1}}
            yield _sse({"type": "message_start", "message": start}, "message_start")
            if block["type"] == "text":
                yield _sse({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}, "content_block_start")
                for i, word in enumerate(block["text"].split(" ")):
                    delta = {"type": "text_delta", "text": word if i == 0 else " " + word}
                    yield _sse({"type": "content_block_delta", "index": 0, "delta": delta}, "content_block_delta")
            else:
                yield _sse({"type": "content_block_start", "index": 0, "content_block": {**block, "input": {}}}, "content_block_start")
                delta = {"type": "input_json_delta", "partial_json": json.dumps(block["input"])}
                yield _sse({"type": "content_block_delta", "index": 0, "delta": delta}, "content_block_delta")
            yield _sse({"type": "content_block_stop", "index": 0}, "content_block_stop")
            yield _sse({"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": None}, "usage": {"output_tokens": out_tokens}}, "message_delta")
            yield _sse({"type": "message_stop"}, "message_stop")

        self._send_stream(events())


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that drops a kept-alive connection (its process ended) is no error here.
        if not isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            super().handle_error(request, client_address)


class FakeLLM:
    """A running fake server; ``base_url`` ends in ``/v1`` (what OpenAI clients take);
    Anthropic clients take ``root_url``."""

    def __init__(self) -> None:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self.root_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.base_url = self.root_url + "/v1"
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-llm", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def start() -> FakeLLM:
    return FakeLLM()


if __name__ == "__main__":
    server = start()
    print(server.root_url, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.stop()
        sys.exit(0)
