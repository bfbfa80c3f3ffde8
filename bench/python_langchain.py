"""What LangChain autolog adds to a chain call: ferrotrace's vs MLflow's, side by side.

    .venv/bin/python bench/python_langchain.py       # needs langchain-core (make setup installs it)

The chain is `prompt | chat model | StrOutputParser` (4 spans per call) with LangChain's in-process
`FakeListChatModel`, so the time is LangChain's and the tracer's only (no network). Each mode
runs in its own subprocess: untraced, `ferrotrace.langchain.autolog()`, `mlflow.langchain.autolog()`;
µs per call is the median of BENCH_REPS repetitions (bench/python_sdks.py's method). Traces go to
the loopback sink of bench/python_sdks.py (MLflow's SDK in its background async logging;
ferrotrace pointed at the same sink). Overhead = traced - untraced.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

MODES = ("untraced", "ferrotrace", "mlflow")

CHILD = r"""
import json, os, sys
sys.path.insert(0, sys.argv[3])
os.environ.setdefault("MLFLOW_ENABLE_ASYNC_TRACE_LOGGING", "true")
from python_sdks import per_call_us
mode, uri = sys.argv[1], sys.argv[2]
flush = lambda: None
if mode != "untraced":
    sdk = __import__(mode)
    sdk.set_tracking_uri(uri)
    sdk.set_experiment("bench")
    sdk.langchain.autolog()
    flush = lambda: sdk.flush_trace_async_logging()
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
chain = ChatPromptTemplate.from_messages([("system", "Be brief."), ("user", "Tell me about {topic}")]) \
    | FakeListChatModel(responses=["Bees make honey."]) | StrOutputParser()
assert chain.invoke({"topic": "bees"}) == "Bees make honey."
us, n = per_call_us(lambda: chain.invoke({"topic": "bees"}), flush)
print(json.dumps({"mode": mode, "us": us, "n": n}))
"""


def main() -> None:
    os.environ.setdefault("BENCH_TARGET_S", "1.0")
    from python_sdks import start_sink

    srv, uri = start_sink()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "FERROTRACE_"))}
    env.update(MLFLOW_DISABLE_TELEMETRY="true", DO_NOT_TRACK="true")
    here = os.path.dirname(os.path.abspath(__file__))
    results = {}
    for mode in MODES:
        r = subprocess.run([sys.executable, "-c", CHILD, mode, uri, here], env=env, capture_output=True, text=True, timeout=900)
        if r.returncode != 0:
            raise SystemExit(f"{mode} failed:\n{r.stderr[-3000:]}")
        results[mode] = json.loads(r.stdout.strip().splitlines()[-1])
    srv.shutdown()
    base = results["untraced"]["us"]
    print("LangChain chain call (prompt | FakeListChatModel | StrOutputParser, 4 spans), µs per call")
    print(f"  {'mode':<12}{'per call':>12}{'overhead':>12}{'calls':>9}")
    for mode in MODES:
        us = results[mode]["us"]
        extra = "" if mode == "untraced" else f"{us - base:12.1f}"
        print(f"  {mode:<12}{us:12.1f}{extra:>12}{results[mode]['n']:9d}")
    ours, theirs = results["ferrotrace"]["us"] - base, results["mlflow"]["us"] - base
    if ours > 0:
        print(f"  MLflow's autolog overhead / ferrotrace's: {theirs / ours:.1f}x")


if __name__ == "__main__":
    main()
