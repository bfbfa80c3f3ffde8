"""Conformance scenario "tokens": two LLM calls report token usage (summed into the trace's
metadata, a nested call counted once), the app sets its own previews and a client request id.
Its twin is scenario_tokens.mjs; both must produce expected_tokens.json."""

import ferrotrace as mlflow


def usage(i, o):
    return {"input_tokens": i, "output_tokens": o, "total_tokens": i + o}


@mlflow.trace(span_type="CHAT_MODEL")
def llm(messages, model):
    span = mlflow.get_current_active_span()
    span.set_attribute("mlflow.chat.tokenUsage", usage(len(messages) * 10, 5))
    span.set_attribute("mlflow.message.format", "openai")
    return {"role": "assistant", "content": "reply to " + messages[-1]["content"]}


@mlflow.trace(span_type="CHAIN")
def summarize(text):
    return llm([{"role": "user", "content": "summarize: " + text}], "small")["content"]


@mlflow.trace(span_type="AGENT")
def assistant(question):
    mlflow.update_current_trace(
        client_request_id="req-42", request_preview="Q: " + question, response_preview="A: (see outputs)"
    )
    draft = llm([{"role": "system", "content": "be brief"}, {"role": "user", "content": question}], "large")
    return {"answer": summarize(draft["content"]), "unicode": "héllo ✓", "n": 3, "ok": True, "none": None}


assistant("what is a span?")
mlflow.flush()
