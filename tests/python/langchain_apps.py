"""LangChain and LangGraph apps for the autolog tests, run the same way under MLflow's and
ferrotrace's autolog: each scenario is one root run named by its ``run_name`` (the trace's name).

As a script: ``python langchain_apps.py SDK BASE_URL [TRACKING_URI EXPERIMENT]`` turns on SDK's
(``mlflow`` or ``ferrotrace``) LangChain autolog, runs every scenario against the fake chat
server at BASE_URL and prints ``done``.
"""

from __future__ import annotations

import asyncio
import sys
import warnings
from typing import Any, Annotated, TypedDict

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.language_models.fake import FakeListLLM
from langchain_core.messages import AnyMessage, HumanMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import RunnableLambda, RunnablePassthrough
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.prebuilt import ToolNode, tools_condition

DOCS = [
    Document(id="d1", page_content="Bees make honey from nectar.", metadata={"source": "bees.txt", "page": 1}),
    Document(id="d2", page_content="Honey never spoils.", metadata={"source": "honey.txt", "page": 3}),
    Document(id="d3", page_content="Ants farm aphids.", metadata={"source": "ants.txt", "page": 2}),
]


class KeywordRetriever(BaseRetriever):
    """An in-memory retriever: the documents sharing a word with the query, best first."""

    docs: list[Document]
    k: int = 2

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        words = set(query.lower().split())
        scored = [(len(words & set(d.page_content.lower().rstrip(".").split())), d) for d in self.docs]
        return [d for score, d in sorted(scored, key=lambda x: -x[0]) if score][: self.k]


@tool
def multiply(a: int, b: int) -> int:
    """Multiply two integers."""
    return a * b


@tool
def broken_tool(question: str) -> str:
    """A tool that always fails."""
    raise ValueError(f"cannot answer {question!r}")


BASE_URL = {"url": ""}


@tool
def ask_expert(topic: str) -> str:
    """Asks another chain (invoked without the tool's config: nested by the active span)."""
    return str(simple_chain(BASE_URL["url"]).invoke({"topic": topic}))


class AgentState(TypedDict):
    messages: Annotated[list[AnyMessage], add_messages]


def model(base_url: str, **kwargs: Any) -> ChatOpenAI:
    return ChatOpenAI(base_url=base_url, api_key="test-key", model="gpt-4o-mini", temperature=0, max_retries=0, **kwargs)


def prompt() -> ChatPromptTemplate:
    return ChatPromptTemplate.from_messages([("system", "You answer briefly."), ("user", "Tell me about {topic}")])


def simple_chain(base_url: str) -> Any:
    return prompt() | model(base_url) | StrOutputParser()


def llm_chain() -> Any:
    """A text-completion LLM (LangChain's in-process fake) behind a string prompt."""
    from langchain_core.prompts import PromptTemplate

    return PromptTemplate.from_template("Q: {question}\nA:") | FakeListLLM(responses=["Forty-two."])


def rag_chain(base_url: str) -> Any:
    retriever = KeywordRetriever(docs=DOCS)
    rag_prompt = ChatPromptTemplate.from_messages([("system", "Context: {context}"), ("user", "{question}")])

    def join(docs: list[Document]) -> str:
        return "\n".join(d.page_content for d in docs)

    return (
        {"context": retriever | RunnableLambda(join, name="join_docs"), "question": RunnablePassthrough()}
        | rag_prompt
        | model(base_url)
        | StrOutputParser()
    )


def agent_graph(base_url: str) -> Any:
    llm = model(base_url).bind_tools([multiply])

    def call_model(state: AgentState) -> dict[str, Any]:
        return {"messages": [llm.invoke(state["messages"])]}

    graph = StateGraph(AgentState)
    graph.add_node("agent", call_model)
    graph.add_node("tools", ToolNode([multiply]))
    graph.add_edge(START, "agent")
    graph.add_conditional_edges("agent", tools_condition)
    graph.add_edge("tools", "agent")
    graph.add_edge("agent", END)
    return graph.compile()


def run_all(base_url: str) -> None:
    """Every scenario, in order; errors the apps raise on purpose are caught here."""
    simple_chain(base_url).invoke({"topic": "bees"}, config={"run_name": "simple_chain"})
    rag_chain(base_url).invoke("Where does honey come from?", config={"run_name": "rag_chain"})
    model(base_url).bind_tools([multiply]).invoke("What is 6 times 7?", config={"run_name": "tool_call"})
    chunks = list(
        (prompt() | model(base_url, streaming=True, stream_usage=True) | StrOutputParser()).stream(
            {"topic": "streams"}, config={"run_name": "streaming"}
        )
    )
    assert "".join(chunks) == "Echo: Tell me about streams", chunks
    agent_graph(base_url).invoke(
        {"messages": [HumanMessage("What is 6 times 7?")]},
        config={"run_name": "langgraph_agent", "configurable": {"thread_id": "thread-1"}},
    )
    try:
        simple_chain(base_url).invoke({"topic": "FAIL_500"}, config={"run_name": "model_error"})
    except Exception as e:
        assert "fake failure 500" in str(e), e
    try:
        broken_tool.invoke({"question": "why"}, config={"run_name": "tool_error"})
    except ValueError:
        pass
    asyncio.run(simple_chain(base_url).ainvoke({"topic": "async"}, config={"run_name": "async_chain"}))
    llm_chain().invoke({"question": "meaning of life?"}, config={"run_name": "llm_chain"})
    asyncio.run(
        agent_graph(base_url).ainvoke(
            {"messages": [HumanMessage("What is 6 times 7?")]}, config={"run_name": "langgraph_async"}
        )
    )
    simple_chain(base_url).batch([{"topic": "ants"}, {"topic": "wasps"}], config=[{"run_name": "batch_1"}, {"run_name": "batch_2"}])
    BASE_URL["url"] = base_url
    ask_expert.invoke({"topic": "owls"}, config={"run_name": "nested_chain_in_tool"})


if __name__ == "__main__":
    sdk, base = sys.argv[1], sys.argv[2]
    warnings.simplefilter("ignore")
    mlflow = __import__(sdk)
    if len(sys.argv) > 4:
        mlflow.set_tracking_uri(sys.argv[3])
        mlflow.set_experiment(sys.argv[4])
    mlflow.langchain.autolog()
    run_all(base)
    mlflow.flush_trace_async_logging()
    print("done")
