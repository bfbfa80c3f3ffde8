"""A small traced agent: retrieval, a stubbed LLM call with token usage, and a tool that fails
once and is retried. With no tracking server configured, the trace goes to ./ferrotrace-traces;
look at it with `ferrotrace traces list` and `ferrotrace traces show <id>`.

Swap `import ferrotrace as mlflow` for `import mlflow` and the same code runs on MLflow's SDK.
"""

import ferrotrace as mlflow
from ferrotrace.entities import SpanType

DOCS = {
    "tracing": "Tracing records each step of an agent as a span.",
    "ferrotrace": "ferrotrace is a native tracing SDK with MLflow's API.",
}
_tool_calls = {"n": 0}


@mlflow.trace(span_type=SpanType.RETRIEVER)
def retrieve(query: str, k: int = 2) -> list[dict[str, str]]:
    return [{"id": key, "text": text} for key, text in DOCS.items() if key in query.lower()][:k]


@mlflow.trace(span_type=SpanType.LLM, attributes={"model": "stub-llm-1"})
def call_llm(prompt: str, temperature: float = 0.2) -> dict[str, str]:
    # A stand-in for a real model: the answer and the token usage it reports.
    span = mlflow.get_current_active_span()
    if span is not None:
        words = len(prompt.split())
        span.set_attribute("mlflow.chat.tokenUsage", {"input_tokens": words, "output_tokens": 9, "total_tokens": words + 9})
    return {"role": "assistant", "content": "ferrotrace records spans natively and exports them in the background."}


@mlflow.trace(span_type=SpanType.TOOL)
def word_count(text: str) -> int:
    _tool_calls["n"] += 1
    if _tool_calls["n"] == 1:
        raise TimeoutError("tool backend did not answer")
    return len(text.split())


@mlflow.trace(span_type=SpanType.AGENT)
def answer(question: str) -> dict[str, object]:
    mlflow.update_current_trace(tags={"app": "quickstart"}, session_id="session-1", user="demo-user")
    docs = retrieve(question)
    context = " ".join(d["text"] for d in docs)
    reply = call_llm(f"Context: {context}\nQuestion: {question}")
    for attempt in range(2):
        try:
            words = word_count(reply["content"])
            break
        except TimeoutError:
            if attempt == 1:
                raise
    return {"answer": reply["content"], "words": words, "sources": [d["id"] for d in docs]}


if __name__ == "__main__":
    print(answer("What does ferrotrace do for tracing?"))
    # Delivery happens in the background; the exit hook flushes, this just makes it explicit.
    mlflow.flush()
    print(mlflow.get_last_active_trace_id())
