"""The conformance scenario in Python. Its twin is scenario.mjs; both must produce the same
normalised trace (expected.json)."""

import ferrotrace as mlflow


@mlflow.trace(span_type="RETRIEVER")
def search(query, k):
    return [{"id": 1, "text": "doc about " + query}][:k]


@mlflow.trace(span_type="LLM")
def llm(prompt):
    mlflow.get_current_active_span().set_attribute(
        "mlflow.chat.tokenUsage", {"input_tokens": 7, "output_tokens": 3, "total_tokens": 10}
    )
    return {"content": "answer", "score": 0.5}


@mlflow.trace(span_type="TOOL")
def tool(x):
    raise RuntimeError("boom")


@mlflow.trace(span_type="AGENT")
def agent(question):
    mlflow.update_current_trace(tags={"env": "conformance"}, session_id="s1", user="u1")
    docs = search(question, 2)
    try:
        tool(1)
    except RuntimeError:
        pass
    with mlflow.start_span("postprocess", span_type="PARSER") as span:
        span.set_inputs({"n": len(docs), "flags": [True, None, 2.5]})
        span.set_outputs("clean")
    return llm("q: " + question)["content"]


agent("what is tracing?")
mlflow.flush()
