"""The examples under examples/distributed and examples/feedback run with the one command written
at their top, against the real MLflow server, and the server holds what they describe (read back
with MLflow's own client)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="node is not on PATH")


def run(cmd: list[str], server: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FERROTRACE_", "MLFLOW_"))}
    env.update(MLFLOW_TRACKING_URI=server, MLFLOW_DISABLE_TELEMETRY="true", DO_NOT_TRACK="true",
               FERROTRACE_SPILL_DIR=str(cwd / "spill"),
               # A loaded CI machine can take longer than the default 5 s to deliver at exit.
               FERROTRACE_EXIT_TIMEOUT="60")
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def test_distributed_example_is_one_trace_across_python_and_node(mlflow_server: str, mlflow_reader: Any,
                                                                  tmp_path: Path) -> None:
    out = run([sys.executable, str(ROOT / "examples/distributed/run.py"), "what is tracing"], mlflow_server, tmp_path)
    answer, trace_id = out.stdout.split("\n")[:2]
    assert answer == "Summary of 2 documents."
    trace = mlflow_reader.get_trace(trace_id)
    assert trace is not None, out.stderr
    spans = {s.name: s for s in trace.data.spans}
    assert set(spans) == {"gateway", "retrieve", "call_summarizer", "summarize", "callModel"}
    parent = {s.name: next((p.name for p in trace.data.spans if p.span_id == s.parent_id), None)
              for s in trace.data.spans}
    assert parent == {"gateway": None, "retrieve": "gateway", "call_summarizer": "gateway",
                      "summarize": "call_summarizer", "callModel": "summarize"}
    # Which SDK wrote each span: the resource's language, as MLflow records it.
    assert spans["summarize"].get_attribute("mlflow.spanType") == "CHAIN"


@pytest.mark.parametrize("program", [["python", "examples/feedback/feedback_service.py"],
                                     ["node", "examples/feedback/feedback_service.mjs"]],
                         ids=["python", "node"])
def test_feedback_example_stores_human_and_judge_feedback(program: list[str], mlflow_server: str,
                                                          mlflow_reader: Any, tmp_path: Path) -> None:
    exe = sys.executable if program[0] == "python" else "node"
    out = run([exe, str(ROOT / program[1]), "--demo"], mlflow_server, tmp_path)
    trace_id = out.stdout.split("\n")[1]
    assert trace_id.startswith("tr-")
    trace = mlflow_reader.get_trace(trace_id)
    by_name = {a.name: a for a in trace.info.assessments}
    assert set(by_name) == {"relevance", "user_thumbs_up"}
    human, judge = by_name["user_thumbs_up"], by_name["relevance"]
    assert (human.value, human.source.source_type, human.source.source_id, human.rationale) == (
        True, "HUMAN", "alice", "clear and short")
    assert judge.source.source_type == "LLM_JUDGE" and judge.source.source_id == "keyword-judge-v1"
    assert judge.value == 1.0 and "tracing" in judge.rationale
    assert any(s.name == "generate" and s.span_type == "LLM" for s in trace.data.spans)


@pytest.mark.parametrize("program", [["python", "examples/agent/agent_service.py", "api_key"],
                                     ["node", "examples/agent/agent_service.mjs", "apiKey"]],
                         ids=["python", "node"])
def test_agent_example_traces_retrieval_llm_tools_user_session_and_redacts_its_secret(
        program: list[str], mlflow_server: str, mlflow_reader: Any, tmp_path: Path) -> None:
    exe = sys.executable if program[0] == "python" else "node"
    out = run([exe, str(ROOT / program[1]), "--demo"], mlflow_server, tmp_path)
    answer, trace_id = out.stdout.split("\n")[:2]
    assert answer
    trace = mlflow_reader.get_trace(trace_id)
    assert trace is not None, out.stderr
    types = [(s.name, s.span_type) for s in trace.data.spans]
    assert types[0] == ("agent", "AGENT")
    assert ("retrieve", "RETRIEVER") in types and ("count_words", "TOOL") in types
    chats = [s for s in trace.data.spans if s.span_type == "CHAT_MODEL"]
    assert len(chats) == 2  # model -> tool -> model, recorded by openai autolog
    assert chats[0].get_attribute("mlflow.chat.tokenUsage")["total_tokens"] > 0
    assert trace.info.token_usage["total_tokens"] > 0
    meta = trace.info.trace_metadata
    assert (meta["mlflow.trace.user"], meta["mlflow.trace.session"]) == ("alice", "conversation-7")
    agent_inputs = trace.data.spans[0].inputs
    assert agent_inputs[program[2]] == "[REDACTED:secret_key]"
    assert "sk-demo" not in json.dumps(trace.to_dict())


def test_node_openai_agent_example_is_one_trace_with_two_llm_calls_and_a_tool(
        mlflow_server: str, mlflow_reader: Any, tmp_path: Path) -> None:
    out = run(["node", str(ROOT / "examples/node/openai_agent.mjs")], mlflow_server, tmp_path)
    answer, trace_id = out.stdout.split("\n")[:2]
    assert answer == "The tool said 4."
    trace = mlflow_reader.get_trace(trace_id)
    assert trace is not None, out.stderr
    types = [(s.name, s.span_type) for s in trace.data.spans]
    assert types == [("agent", "AGENT"), ("Completions", "CHAT_MODEL"), ("multiply", "TOOL"), ("Completions", "CHAT_MODEL")]
    first = trace.data.spans[1]
    assert first.get_attribute("mlflow.chat.tools")[0]["function"]["name"] == "multiply"
    assert first.get_attribute("mlflow.chat.tokenUsage")["total_tokens"] > 0
    assert trace.info.token_usage["total_tokens"] > 0
