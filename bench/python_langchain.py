"""What LangChain autolog adds to a chain call: ferrotrace's vs MLflow's, side by side.

    .venv/bin/python bench/python_langchain.py       # needs langchain-core (make setup installs it)

The chain is `prompt | chat model | StrOutputParser` (4 spans per call) with LangChain's in-process
`FakeListChatModel`, so the time is LangChain's and the tracer's only (no network). Each mode
runs in its own subprocess: untraced, `ferrotrace.langchain.autolog()`, `mlflow.langchain.autolog()`;
CPU µs per call (the calling thread's, and the whole process's with the export threads and a
flush per repetition), median of BENCH_REPS repetitions of 300 calls: CPU time, because on a
shared machine wall time mostly measures the neighbours. Traces go to the loopback sink of
bench/python_sdks.py (MLflow's SDK in its background async logging; ferrotrace pointed at the
same sink). Overhead = traced - untraced.
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
import statistics, time
REPS = int(os.environ.get("BENCH_REPS", "5"))

def per_call_us(fn, flush, n=300):
    # CPU time, not wall time: on a shared machine the wall clock mostly measures the neighbours.
    # thread_time: what the calling thread pays; process_time: plus the SDK's export threads.
    for _ in range(50):
        fn()
    flush()
    thread, proc = [], []
    for _ in range(REPS):
        t0, p0 = time.thread_time(), time.process_time()
        for _ in range(n):
            fn()
        flush()
        thread.append((time.thread_time() - t0) / n * 1e6)
        proc.append((time.process_time() - p0) / n * 1e6)
    return statistics.median(thread), statistics.median(proc)
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
thread_us, proc_us = per_call_us(lambda: chain.invoke({"topic": "bees"}), flush)
print(json.dumps({"mode": mode, "thread": thread_us, "process": proc_us}))
"""


def main() -> None:
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
    print("LangChain chain call (prompt | FakeListChatModel | StrOutputParser, 4 spans),")
    print("CPU µs per call (median of BENCH_REPS x 300 calls; process = incl. export threads, flush included)")
    print(f"  {'mode':<12}{'thread':>10}{'overhead':>10}{'process':>10}{'overhead':>10}")
    for mode in MODES:
        r = results[mode]
        extra = ["", ""] if mode == "untraced" else [
            f"{r[k] - results['untraced'][k]:10.0f}" for k in ("thread", "process")
        ]
        print(f"  {mode:<12}{r['thread']:10.0f}{extra[0]:>10}{r['process']:10.0f}{extra[1]:>10}")
    for k in ("thread", "process"):
        ours = results["ferrotrace"][k] - results["untraced"][k]
        theirs = results["mlflow"][k] - results["untraced"][k]
        if ours > 0:
            print(f"  {k}: MLflow's autolog adds {theirs / ours:.1f}x what ferrotrace's adds")


if __name__ == "__main__":
    main()
