"""Conformance scenario "fanout": an async agent searches three sources concurrently
(asyncio.gather), each embedding its query in a child span, then ranks the results. Its twin is
scenario_fanout.mjs; both must produce expected_fanout.json."""

import asyncio

import ferrotrace as mlflow


@mlflow.trace(span_type="EMBEDDING")
async def embed(text):
    await asyncio.sleep(0)
    return [len(text), 0.5]


@mlflow.trace(span_type="RETRIEVER")
async def search(source, query):
    await asyncio.sleep(0)
    vector = await embed(source + ": " + query)
    return [{"source": source, "score": vector[0]}]


@mlflow.trace(span_type="RERANKER")
def rank(hits):
    return sorted(hits, key=lambda h: -h["score"])[:2]


@mlflow.trace(span_type="AGENT")
async def fanout(query):
    groups = await asyncio.gather(search("wiki", query), search("news", query), search("forum", query))
    return rank([h for g in groups for h in g])


asyncio.run(fanout("rust tracing"))
mlflow.flush()
