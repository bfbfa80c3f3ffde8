"""Conformance scenario "stream": a chat turn streams an answer from a traced generator (one span,
a chunk event per item) and abandons a second stream after two items. Its twin is
scenario_stream.mjs; both must produce expected_stream.json."""

import ferrotrace as mlflow


@mlflow.trace(span_type="LLM")
def stream_answer(prompt):
    for token in ["Tracing", " is", " fun", "."]:
        yield {"delta": token}


@mlflow.trace(span_type="LLM")
def endless(prompt):
    i = 0
    while True:
        yield i
        i += 1


@mlflow.trace(span_type="CHAIN")
def chat(message):
    answer = "".join(chunk["delta"] for chunk in stream_answer("user: " + message))
    stream = endless("count")
    first = [next(stream), next(stream)]
    stream.close()
    return {"answer": answer, "first": first}


chat("is tracing fun?")
mlflow.flush()
