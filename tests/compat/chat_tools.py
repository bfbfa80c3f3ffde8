"""A tool-calling chat model: the model (an OpenAI-style endpoint answered by a fake server on
127.0.0.1, in this process) is offered a tool, asks for it, the tool runs, and the model answers;
the chat span records the tools, the messages and the token usage.

Mirrors: the "Tracing schema" / chat-model span section of MLflow's tracing docs
(mlflow.tracing.set_span_chat_tools, CHAT_MODEL and TOOL spans, mlflow.chat.tokenUsage, the
trace's token_usage)."""

import json
import os
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer

import mlflow
from mlflow.entities import SpanType
from mlflow.tracing import set_span_chat_tools
from mlflow.tracing.constant import SpanAttributeKey, TokenUsageKey

mlflow.set_experiment(os.environ.get("COMPAT_EXPERIMENT", "compat-chat-tools"))

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Current weather of a city",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
        },
    }
]


class FakeModel(BaseHTTPRequestHandler):
    """Asks for the tool on the first turn, answers once it has the tool's result."""

    def do_POST(self) -> None:
        req = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if req["messages"][-1]["role"] == "tool":
            message = {"role": "assistant", "content": f"It is {req['messages'][-1]['content']} in Paris."}
        else:
            call = {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": json.dumps({"city": "Paris"})}}
            message = {"role": "assistant", "content": None, "tool_calls": [call]}
        body = {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "model": req["model"],
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 12 * len(req["messages"]), "completion_tokens": 7, "total_tokens": 12 * len(req["messages"]) + 7},
        }
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


server = HTTPServer(("127.0.0.1", 0), FakeModel)
threading.Thread(target=server.serve_forever, daemon=True).start()
URL = f"http://127.0.0.1:{server.server_address[1]}/v1/chat/completions"


@mlflow.trace(span_type=SpanType.CHAT_MODEL)
def chat(messages: list, model: str = "fake-gpt") -> dict:
    span = mlflow.get_current_active_span()
    set_span_chat_tools(span, TOOLS)
    req = urllib.request.Request(URL, data=json.dumps({"model": model, "messages": messages, "tools": TOOLS}).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as resp:
        out = json.loads(resp.read())
    usage = out["usage"]
    span.set_attribute(
        SpanAttributeKey.CHAT_USAGE,
        {
            TokenUsageKey.INPUT_TOKENS: usage["prompt_tokens"],
            TokenUsageKey.OUTPUT_TOKENS: usage["completion_tokens"],
            TokenUsageKey.TOTAL_TOKENS: usage["total_tokens"],
        },
    )
    return out


@mlflow.trace(span_type=SpanType.TOOL)
def get_weather(city: str) -> str:
    return "sunny" if city == "Paris" else "rainy"


@mlflow.trace(span_type=SpanType.AGENT)
def agent(question: str) -> str:
    messages = [{"role": "user", "content": question}]
    first = chat(messages)["choices"][0]["message"]
    messages.append(first)
    for call in first.get("tool_calls") or []:
        result = get_weather(**json.loads(call["function"]["arguments"]))
        messages.append({"role": "tool", "tool_call_id": call["id"], "content": result})
    return chat(messages)["choices"][0]["message"]["content"]


print("answer:", agent("What's the weather in Paris?"))
server.shutdown()
mlflow.flush_trace_async_logging()  # MLflow logs traces in the background
trace = mlflow.get_trace(mlflow.get_last_active_trace_id())
chats = trace.search_spans(span_type=SpanType.CHAT_MODEL)
print("chat spans:", len(chats), [t["function"]["name"] for t in chats[0].attributes[SpanAttributeKey.CHAT_TOOLS]])
print("usage:", [c.attributes[SpanAttributeKey.CHAT_USAGE] for c in chats])
print("trace usage:", trace.info.token_usage)
print("tool:", [(s.name, s.inputs, s.outputs) for s in trace.search_spans(span_type="TOOL")])
