"""ferrotrace.langchain.autolog() with the real langchain-core, langchain-openai and langgraph
against a fake OpenAI-compatible server on 127.0.0.1: the span tree of chains, retrievers, tool
calls, streams, LangGraph agents and errors; what the app gets back is unchanged; disabling,
unsupported versions and arguments; import cost. Field-by-field equality with MLflow's own
autolog: test_autolog_langchain_differential.py."""

from __future__ import annotations

import asyncio
import json
import logging
import os
from typing import Any, Iterator

import pytest

import ferrotrace
from conftest import attr, exported, only_trace, run_script

pytest.importorskip("langchain_core")
pytest.importorskip("langgraph")
pytest.importorskip("langchain_openai")

import langchain_apps as apps  # noqa: E402
from fake_llm_langchain import FakeLLM  # noqa: E402
from langchain_core.messages import HumanMessage  # noqa: E402


@pytest.fixture(scope="module")
def llm() -> Iterator[FakeLLM]:
    with FakeLLM() as server:
        yield server


@pytest.fixture(autouse=True)
def autolog() -> Iterator[None]:
    ferrotrace.langchain.autolog()
    yield
    ferrotrace.langchain.autolog(disable=True)


def tree(trace: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """(name, type, parent name) of every span, in start order."""
    spans = sorted(trace["data"]["spans"], key=lambda s: s["start_time_unix_nano"])
    names = {s["span_id"]: s["name"] for s in spans}
    return [(s["name"], attr(s, "mlflow.spanType"), names.get(s["parent_span_id"])) for s in spans]


def span(trace: dict[str, Any], name: str) -> dict[str, Any]:
    return next(s for s in trace["data"]["spans"] if s["name"] == name)


def test_prompt_model_parser_chain(llm: FakeLLM) -> None:
    out = apps.simple_chain(llm.base_url).invoke({"topic": "bees"})
    assert out == "Echo: Tell me about bees"
    t = only_trace()
    assert tree(t) == [
        ("RunnableSequence", "CHAIN", None),
        ("ChatPromptTemplate", "CHAIN", "RunnableSequence"),
        ("ChatOpenAI", "CHAT_MODEL", "RunnableSequence"),
        ("StrOutputParser", "CHAIN", "RunnableSequence"),
    ]
    root = span(t, "RunnableSequence")
    assert attr(root, "mlflow.spanInputs") == {"topic": "bees"}
    assert attr(root, "mlflow.spanOutputs") == out
    chat = span(t, "ChatOpenAI")
    assert attr(chat, "mlflow.spanInputs") == {
        "messages": [
            {"role": "system", "content": "You answer briefly.", "tool_calls": None, "refusal": None, "tool_call_id": None},
            {"role": "user", "content": "Tell me about bees", "tool_calls": None, "refusal": None, "tool_call_id": None},
        ]
    }
    assert attr(chat, "mlflow.spanOutputs") == {
        "choices": [
            {
                "message": {"role": "assistant", "content": out, "tool_calls": None, "refusal": None, "tool_call_id": None},
                "finish_reason": None,
            }
        ]
    }
    assert attr(chat, "mlflow.chat.tokenUsage") == {"input_tokens": 7, "output_tokens": 5, "total_tokens": 12}
    assert attr(chat, "mlflow.llm.model") == "gpt-4o-mini"
    assert attr(chat, "mlflow.llm.provider") == "openai"
    assert attr(chat, "mlflow.message.format") == "langchain"
    assert attr(chat, "invocation_params")["temperature"] == 0
    assert attr(chat, "metadata")["ls_model_name"] == "gpt-4o-mini"
    assert json.loads(t["info"]["trace_metadata"]["mlflow.trace.tokenUsage"])["total_tokens"] == 12
    assert t["info"]["state"] == "OK"


def test_retriever_chain_records_documents(llm: FakeLLM) -> None:
    apps.rag_chain(llm.base_url).invoke("Where does honey come from?")
    t = only_trace()
    retriever = span(t, "KeywordRetriever")
    assert attr(retriever, "mlflow.spanType") == "RETRIEVER"
    assert attr(retriever, "mlflow.spanInputs") == "Where does honey come from?"
    assert attr(retriever, "mlflow.spanOutputs") == [
        {"page_content": "Bees make honey from nectar.", "metadata": {"source": "bees.txt", "page": 1}, "id": "d1"},
        {"page_content": "Honey never spoils.", "metadata": {"source": "honey.txt", "page": 3}, "id": "d2"},
    ]
    parents = {name: parent for name, _, parent in tree(t)}
    assert parents["KeywordRetriever"] == "RunnableSequence" and parents["join_docs"] == "RunnableSequence"
    assert parents["RunnableSequence"] == "RunnableParallel<context,question>"
    assert parents["RunnableParallel<context,question>"] == "RunnableSequence"


def test_tool_calling_model_records_tools_and_calls(llm: FakeLLM) -> None:
    msg = apps.model(llm.base_url).bind_tools([apps.multiply]).invoke("What is 6 times 7?")
    assert msg.tool_calls[0]["name"] == "multiply" and msg.tool_calls[0]["args"] == {"a": 6, "b": 7}
    chat = span(only_trace(), "ChatOpenAI")
    assert attr(chat, "mlflow.chat.tools") == [
        {
            "type": "function",
            "function": {
                "name": "multiply",
                "description": "Multiply two integers.",
                "parameters": {
                    "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
                    "required": ["a", "b"],
                    "type": "object",
                },
            },
        }
    ]
    message = attr(chat, "mlflow.spanOutputs")["choices"][0]["message"]
    assert message["content"] is None
    assert message["tool_calls"] == [
        {"id": msg.tool_calls[0]["id"], "type": "function", "function": {"name": "multiply", "arguments": '{"a": 6, "b": 7}'}}
    ]


def test_langgraph_agent_span_tree(llm: FakeLLM) -> None:
    graph = apps.agent_graph(llm.base_url)
    result = graph.invoke({"messages": [HumanMessage("What is 6 times 7?")]}, config={"configurable": {"thread_id": "t-9"}})
    assert result["messages"][-1].content == "The answer is 42."
    t = only_trace()
    got = tree(t)
    assert got[0] == ("LangGraph", "CHAIN", None)
    assert [n for n, _, p in got if p == "LangGraph"] == ["agent", "tools", "agent"]
    assert ("multiply", "TOOL", "tools") in got
    assert [n for n, ty, _ in got if ty == "CHAT_MODEL"] == ["ChatOpenAI", "ChatOpenAI"]
    tool = span(t, "multiply")
    assert attr(tool, "mlflow.spanInputs") == {"a": 6, "b": 7}
    assert attr(tool, "mlflow.spanOutputs")["content"] == "42"
    second_chat = [s for s in t["data"]["spans"] if s["name"] == "ChatOpenAI"][-1]
    roles = [m["role"] for m in attr(second_chat, "mlflow.spanInputs")["messages"]]
    assert roles == ["user", "assistant", "tool"]
    assert attr(span(t, "agent"), "metadata")["langgraph_node"] == "agent"
    assert t["info"]["trace_metadata"]["mlflow.trace.session"] == "t-9"


def test_text_completion_llm() -> None:
    assert apps.llm_chain().invoke({"question": "why?"}) == "Forty-two."
    t = only_trace()
    assert tree(t) == [("RunnableSequence", "CHAIN", None), ("PromptTemplate", "CHAIN", "RunnableSequence"), ("FakeListLLM", "LLM", "RunnableSequence")]
    llm = span(t, "FakeListLLM")
    assert attr(llm, "mlflow.spanInputs") == ["Q: why?\nA:"]
    assert attr(llm, "mlflow.spanOutputs") == {"choices": [{"message": {"role": "assistant", "content": "Forty-two."}, "finish_reason": None}]}
    assert attr(llm, "mlflow.message.format") == "langchain"


def test_streaming_records_tokens_and_usage(llm: FakeLLM) -> None:
    chain = apps.prompt() | apps.model(llm.base_url, streaming=True, stream_usage=True) | apps.StrOutputParser()
    chunks = list(chain.stream({"topic": "streams"}))
    assert "".join(chunks) == "Echo: Tell me about streams"
    chat = span(only_trace(), "ChatOpenAI")
    events = [e for e in chat["events"] if e["name"] == "new_token"]
    assert len(events) == len(chunks)
    assert all("chunk" in e["attributes"] for e in events)
    assert attr(chat, "mlflow.chat.tokenUsage") == {"input_tokens": 7, "output_tokens": 5, "total_tokens": 12}
    assert attr(chat, "mlflow.spanOutputs")["choices"][0]["message"]["content"] == "Echo: Tell me about streams"


def test_stream_closed_early_ends_the_trace(llm: FakeLLM, tmp_path: Any) -> None:
    # In a fresh interpreter: the drop counted here would stay in this process's stats().
    code = r"""
import json, sys
sys.path.insert(0, sys.argv[2])
import ferrotrace
from ferrotrace import _native
_native.configure(destination="memory")
ferrotrace.langchain.autolog()
import langchain_apps as apps
chain = apps.prompt() | apps.model(sys.argv[1], streaming=True) | apps.StrOutputParser()
stream = chain.stream({"topic": "streams"})
first = [next(stream), next(stream)]
stream.close()
ferrotrace.flush(10)
traces = [json.loads(t) for t in _native.memory_traces()]
print(json.dumps({"first": first, "spans": [[s["name"], s["end_time_unix_nano"]] for t in traces for s in t["data"]["spans"]],
                  "dropped": ferrotrace.stats()["dropped_spans"]}))
"""
    r = run_script(code, {}, cwd=str(tmp_path), argv=[llm.base_url, os.path.dirname(apps.__file__)])
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["first"] == ["", "Echo:"]
    # LangChain ends the sequence before the streams of the model and the parser are closed:
    # their spans end after their root and are counted as dropped (MLflow loses them too).
    assert sorted(name for name, _ in out["spans"]) == ["ChatPromptTemplate", "RunnableSequence"]
    assert all(end for _, end in out["spans"])
    assert out["dropped"] == {"span_after_root_ended": 2}


def test_model_error_is_recorded_and_raised_unchanged(llm: FakeLLM) -> None:
    chain = apps.simple_chain(llm.base_url)
    with pytest.raises(Exception) as traced:
        chain.invoke({"topic": "FAIL_500"})
    ferrotrace.langchain.autolog(disable=True)
    with pytest.raises(Exception) as untraced:
        chain.invoke({"topic": "FAIL_500"})
    assert type(traced.value) is type(untraced.value) and str(traced.value) == str(untraced.value)
    t = only_trace()
    assert t["info"]["state"] == "ERROR"
    for name in ("RunnableSequence", "ChatOpenAI"):
        s = span(t, name)
        assert s["status"]["code"] == "STATUS_CODE_ERROR"
        assert s["status"]["message"] == str(traced.value)
        exc = next(e for e in s["events"] if e["name"] == "exception")
        assert exc["attributes"]["exception.type"] == type(traced.value).__name__


def test_tool_error(llm: FakeLLM) -> None:
    with pytest.raises(ValueError, match="cannot answer"):
        apps.broken_tool.invoke({"question": "why"})
    s = span(only_trace(), "broken_tool")
    assert attr(s, "mlflow.spanType") == "TOOL"
    assert attr(s, "mlflow.spanInputs") == {"question": "why"}
    assert s["status"]["code"] == "STATUS_CODE_ERROR"


async def test_async_chain(llm: FakeLLM) -> None:
    out = await apps.simple_chain(llm.base_url).ainvoke({"topic": "async"})
    assert out == "Echo: Tell me about async"
    assert [n for n, _, _ in tree(only_trace())] == ["RunnableSequence", "ChatPromptTemplate", "ChatOpenAI", "StrOutputParser"]


async def test_concurrent_async_runs_keep_their_own_trees(llm: FakeLLM) -> None:
    chain = apps.simple_chain(llm.base_url)
    outs = await asyncio.gather(*(chain.ainvoke({"topic": f"t{i}"}) for i in range(4)))
    assert outs == [f"Echo: Tell me about t{i}" for i in range(4)]
    traces = exported()
    assert len(traces) == 4
    for t in traces:
        assert len(t["data"]["spans"]) == 4
        topic = attr(span(t, "RunnableSequence"), "mlflow.spanInputs")["topic"]
        assert attr(span(t, "StrOutputParser"), "mlflow.spanOutputs") == f"Echo: Tell me about {topic}"


def test_batch_gives_one_trace_per_input(llm: FakeLLM) -> None:
    outs = apps.simple_chain(llm.base_url).batch([{"topic": "a"}, {"topic": "b"}, {"topic": "c"}])
    assert outs == ["Echo: Tell me about a", "Echo: Tell me about b", "Echo: Tell me about c"]
    traces = exported()
    assert len(traces) == 3
    for t in traces:
        topic = attr(span(t, "RunnableSequence"), "mlflow.spanInputs")["topic"]
        assert [n for n, _, p in tree(t) if p == "RunnableSequence"] == ["ChatPromptTemplate", "ChatOpenAI", "StrOutputParser"]
        assert attr(span(t, "ChatOpenAI"), "mlflow.spanOutputs")["choices"][0]["message"]["content"].endswith(topic)


def test_nests_under_user_spans_both_ways(llm: FakeLLM) -> None:
    @ferrotrace.trace(span_type="TOOL")
    def lookup(x: int) -> int:
        return x + 1

    from langchain_core.runnables import RunnableLambda

    @ferrotrace.trace(span_type="AGENT")
    def agent(q: str) -> Any:
        return (RunnableLambda(lambda x: lookup(len(x)), name="step") | RunnableLambda(str, name="fmt")).invoke(q)

    assert agent("abc") == "4"
    got = tree(only_trace())
    assert got == [
        ("agent", "AGENT", None),
        ("RunnableSequence", "CHAIN", "agent"),
        ("step", "CHAIN", "RunnableSequence"),
        ("lookup", "TOOL", "step"),
        ("fmt", "CHAIN", "RunnableSequence"),
    ]


def test_one_handler_per_run_tree(llm: FakeLLM) -> None:
    from langchain_core.callbacks import CallbackManager

    from ferrotrace.langchain._tracer import FerrotraceLangchainTracer

    a, b = CallbackManager(handlers=[]), CallbackManager(handlers=[])
    merged = a.merge(b)
    assert sum(isinstance(h, FerrotraceLangchainTracer) for h in merged.handlers) == 1
    assert sum(isinstance(h, FerrotraceLangchainTracer) for h in merged.inheritable_handlers) == 1


def test_disable_and_log_traces_false(llm: FakeLLM) -> None:
    chain = apps.simple_chain(llm.base_url)
    ferrotrace.langchain.autolog(disable=True)
    assert chain.invoke({"topic": "x"}) == "Echo: Tell me about x"
    ferrotrace.langchain.autolog(log_traces=False)
    assert chain.invoke({"topic": "y"}) == "Echo: Tell me about y"
    assert exported() == []
    ferrotrace.langchain.autolog()
    chain.invoke({"topic": "z"})
    assert len(exported()) == 1


def test_failures_inside_tracing_never_reach_the_app(llm: FakeLLM, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    from ferrotrace.langchain import _tracer

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("tracer bug")

    monkeypatch.setattr(_tracer.FerrotraceLangchainTracer, "_start", broken)
    before = _tracer.failures()
    with caplog.at_level(logging.WARNING, logger="ferrotrace"):
        assert apps.simple_chain(llm.base_url).invoke({"topic": "bees"}) == "Echo: Tell me about bees"
    # Every start failed, then every end found no span: counted, the chain unaffected.
    assert _tracer.failures() - before == 8
    assert ferrotrace.stats()["integration_failures"]["langchain"] == _tracer.failures()
    assert sum("tracer bug" in r.getMessage() for r in caplog.records) == 1  # rate-limited
    assert exported() == []


def test_unsupported_arguments_warn_once(caplog: pytest.LogCaptureFixture) -> None:
    from ferrotrace import langchain as integration

    integration._warned.discard("exclusive")
    with caplog.at_level(logging.WARNING, logger="ferrotrace"):
        ferrotrace.langchain.autolog(exclusive=True)
        ferrotrace.langchain.autolog(exclusive=True)
        ferrotrace.langchain.autolog(exclusive=True, silent=True)
    assert sum("exclusive" in r.getMessage() for r in caplog.records) == 1


def test_unsupported_langchain_core_version_warns_once_and_patches_nothing(tmp_path: Any) -> None:
    code = r"""
import logging, warnings
logging.basicConfig()
import langchain_core
langchain_core.__version__ = "0.1.52"
from langchain_core.callbacks import BaseCallbackManager
before = BaseCallbackManager.__init__
import ferrotrace
ferrotrace.langchain.autolog()
ferrotrace.langchain.autolog()
print("patched" if BaseCallbackManager.__init__ is not before else "untouched")
"""
    r = run_script(code, {}, cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "untouched"
    assert r.stderr.count("langchain-core 0.1.52 is not supported") == 1, r.stderr


def test_import_ferrotrace_loads_no_langchain(tmp_path: Any) -> None:
    code = r"""
import sys
import ferrotrace
assert callable(ferrotrace.langchain.autolog)
print(sorted(m for m in sys.modules if m.startswith(("langchain", "langgraph", "pydantic"))))
"""
    r = run_script(code, {}, cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"


async def test_run_tracer_inline_nests_user_spans_in_async_graph_nodes(llm: FakeLLM) -> None:
    from langgraph.graph import END, START, StateGraph

    @ferrotrace.trace
    def helper(x: str) -> str:
        return x.upper()

    async def node(state: dict[str, Any]) -> dict[str, Any]:
        return {"text": helper(state["text"])}

    graph = StateGraph(dict)  # type: ignore[type-var]
    graph.add_node("shout", node)
    graph.add_edge(START, "shout")
    graph.add_edge("shout", END)
    app = graph.compile()

    ferrotrace.langchain.autolog(run_tracer_inline=True)
    assert (await app.ainvoke({"text": "hi"}))["text"] == "HI"
    got = tree(only_trace())
    assert ("helper", "UNKNOWN", "shout") in got and got[0][2] is None


def test_hostile_values_are_captured_and_returned_unchanged() -> None:
    from langchain_core.runnables import RunnableLambda

    class Hostile:
        def __str__(self) -> str:
            raise RuntimeError("no str")

        def __repr__(self) -> str:
            raise RuntimeError("no repr")

    cyclic: dict[str, Any] = {"name": "loop", "nan": float("nan"), "text": "caf\udce9"}
    cyclic["self"] = cyclic
    hostile = Hostile()
    out = RunnableLambda(lambda x: {"got": x, "obj": hostile}, name="echo").invoke(cyclic)
    assert out["got"] is cyclic and out["obj"] is hostile
    s = span(only_trace(), "echo")
    inputs = attr(s, "mlflow.spanInputs")
    assert inputs["name"] == "loop" and inputs["self"] == "[Circular]"
    assert "obj" in attr(s, "mlflow.spanOutputs")
