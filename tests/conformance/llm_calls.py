"""Conformance of the wrapped LLM clients: the same OpenAI and Anthropic calls, traced by
`ferrotrace.openai.autolog()` / `ferrotrace.anthropic.autolog()` here and by `tracedOpenAI` /
`tracedAnthropic` in llm_calls.mjs, against the fake provider server at $FAKE_LLM_URL, give the
same trace (tests/python/test_conformance.py compares them)."""

import os

import anthropic
import openai

import ferrotrace as mlflow

mlflow.openai.autolog()
mlflow.anthropic.autolog()
URL = os.environ["FAKE_LLM_URL"]
oa = openai.OpenAI(base_url=URL + "/v1", api_key="test", max_retries=0)
an = anthropic.Anthropic(base_url=URL, api_key="test", max_retries=0)
MESSAGES = [{"role": "user", "content": "What is six times seven?"}]
TOOLS = [{"type": "function", "function": {"name": "add", "description": "Add two numbers", "parameters": {
    "type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}}, "required": ["a", "b"]}}}]
A_TOOLS = [{"name": "get_weather", "description": "Weather in a city", "input_schema": {
    "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}]


@mlflow.trace(name="llm_calls", span_type="AGENT")
def llm_calls():
    oa.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, temperature=0.2)
    oa.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, tools=TOOLS)
    for _ in oa.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True):
        pass
    for _ in oa.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True,
                                        stream_options={"include_usage": True}):
        pass
    oa.responses.create(model="gpt-4o-mini", input="What is six times seven?")
    for _ in oa.responses.create(model="gpt-4o-mini", input="What is six times seven?", stream=True):
        pass
    oa.embeddings.create(model="text-embedding-3-small", input=["a b", "c"], encoding_format="float")
    try:
        oa.chat.completions.create(model="error-400", messages=MESSAGES)
    except openai.BadRequestError:
        pass
    an.messages.create(model="claude-fake-1", max_tokens=64, messages=MESSAGES)
    an.messages.create(model="claude-fake-1", max_tokens=64, messages=MESSAGES, tools=A_TOOLS)
    for _ in an.messages.create(model="claude-fake-1", max_tokens=64, messages=MESSAGES, stream=True):
        pass
    with an.messages.stream(model="claude-fake-1", max_tokens=64, messages=MESSAGES, tools=A_TOOLS) as stream:
        stream.get_final_message()
    try:
        an.messages.create(model="error-500", max_tokens=8, messages=MESSAGES)
    except anthropic.InternalServerError:
        pass
    return "done"


llm_calls()
mlflow.flush()
