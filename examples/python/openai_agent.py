"""A tool-calling agent on the real `openai` client, traced by autolog. It starts a fake
OpenAI-compatible server on 127.0.0.1 itself (no network, no API key), so it runs anywhere:

    pip install openai            # then:
    python examples/python/openai_agent.py

The model asks for the `multiply` tool, the agent runs it and sends the result back, the model
answers. One trace: the AGENT span, two CHAT_MODEL spans from autolog (messages, tools, token
usage) and the TOOL span between them. With no tracking server configured the trace goes to
./ferrotrace-traces (`ferrotrace traces show <id>`); set MLFLOW_TRACKING_URI to send it to MLflow.

Swap `import ferrotrace as mlflow` for `import mlflow` and the same code runs on MLflow's SDK.
"""

import json
import sys
from pathlib import Path

import openai

import ferrotrace as mlflow
from ferrotrace.entities import SpanType

# The fake provider server the tests use.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "support"))
import fake_llm  # noqa: E402

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "multiply",
            "description": "Multiply two integers",
            "parameters": {
                "type": "object",
                "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
                "required": ["a", "b"],
            },
        },
    }
]


@mlflow.trace(span_type=SpanType.TOOL)
def multiply(a: int, b: int) -> int:
    return a * b


@mlflow.trace(span_type=SpanType.AGENT)
def agent(client: openai.OpenAI, question: str) -> str:
    messages = [{"role": "user", "content": question}]
    for _ in range(4):  # a bounded loop: model -> tool -> model
        reply = client.chat.completions.create(model="gpt-4o-mini", messages=messages, tools=TOOLS)
        message = reply.choices[0].message
        if not message.tool_calls:
            return message.content or ""
        messages.append(message.model_dump(exclude_none=True))
        for call in message.tool_calls:
            result = multiply(**json.loads(call.function.arguments))
            messages.append({"role": "tool", "tool_call_id": call.id, "content": str(result)})
    return "no answer"


def main() -> None:
    mlflow.openai.autolog()
    server = fake_llm.start()
    try:
        client = openai.OpenAI(base_url=server.base_url, api_key="not-needed")
        print(agent(client, "What is 2 times 2?"))
    finally:
        server.stop()
    mlflow.flush()
    print(mlflow.get_last_active_trace_id())


if __name__ == "__main__":
    main()
