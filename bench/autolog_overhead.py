"""What an autologged OpenAI call costs above the same call untraced: ferrotrace's autolog side by
side with MLflow's, with the real `openai` client against the fake provider server.

    .venv/bin/python bench/autolog_overhead.py   # BENCH_BLOCKS=100 / BENCH_MLFLOW_BLOCKS=30 pairs of BENCH_CALLS=20

Cases: a chat completion, a streamed chat completion (consumed to the end, with
`include_usage`), an embedding; and `chat_stub`, the chat completion with the client's method
replaced (before autolog patches it) by a stub returning the parsed `ChatCompletion`, which
leaves only the tracing to measure. The fake server runs in its own process, so its work never
shares the client's interpreter. Each SDK runs in its own subprocess; inside it, blocks of calls
alternate untraced / traced (the same client; `autolog()` and `autolog(disable=True)` between
blocks, so untraced runs the library's own methods), so a drift of the machine hits both sides
alike. The overhead is a traced block minus the untraced block before it (median of the pairs'
differences), per call, in CPU time of the calling thread (`time.thread_time()`): what the
application's thread pays, without the waits for the server and the scheduler, which on a busy
machine are noise far larger than the tracing. Wall-clock overheads are printed too. Traces go
to a loopback sink that answers 200 (as in python_sdks.py), in a process of its own (its
threads would otherwise take the measured interpreter's GIL), MLflow's through its async trace
logging; both are flushed between blocks, untimed.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
# Pairs of blocks (untraced, traced) per SDK: ferrotrace's overhead is small next to the
# call's own cost, so it needs more pairs to stand out of the noise; MLflow's does not.
BLOCKS = {"ferrotrace": int(os.environ.get("BENCH_BLOCKS", "100")), "mlflow": int(os.environ.get("BENCH_MLFLOW_BLOCKS", "30"))}
CALLS = int(os.environ.get("BENCH_CALLS", "20"))
CASES = ("chat", "stream", "embedding", "chat_stub")
MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "What is six times seven?"}]


def workloads(client: Any) -> dict[str, Callable[[], Any]]:
    def chat() -> Any:
        return client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, temperature=0)

    def stream() -> Any:
        s = client.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
        )
        return [c for c in s]

    def embedding() -> Any:
        return client.embeddings.create(model="text-embedding-3-small", input="six times seven")

    return {"chat": chat, "stream": stream, "embedding": embedding}


def serve_sink() -> None:
    """Runs in its own process: the export sink (answers 200 to everything), until killed. Its
    threads must not share the measured interpreter (they would take its GIL)."""
    sys.path.insert(0, str(ROOT / "bench"))
    from python_sdks import start_sink

    _, url = start_sink()
    print(url, flush=True)
    while True:
        time.sleep(3600)


def child(sdk: str, fake_url: str, sink: str) -> None:
    """Runs in a subprocess: times the cases and prints one JSON line."""
    import openai

    mlflow: Any = __import__(sdk)
    mlflow.set_tracking_uri(sink)
    mlflow.set_experiment("bench")
    client = openai.OpenAI(base_url=fake_url + "/v1", api_key="k", max_retries=0)
    cases = workloads(client)

    def switch(on: bool) -> None:
        # Untraced means unpatched: MLflow's wrapper does work even with log_traces=False.
        mlflow.openai.autolog(disable=not on)

    def flush() -> None:
        if sdk == "ferrotrace":
            mlflow.flush(30)
        else:
            mlflow.flush_trace_async_logging()

    mlflow.openai.autolog()
    out: dict[str, Any] = {}
    for name in CASES:
        if name == "chat_stub":
            # The same chat call with the client's HTTP round trip replaced by a stub that returns
            # a parsed ChatCompletion: only the tracing is left to measure, with little noise.
            from openai.resources.chat import completions as chat_resource

            switch(False)
            canned = cases["chat"]()
            chat_resource.Completions.create = lambda self, **kwargs: canned  # type: ignore[method-assign]
            cases["chat_stub"] = cases["chat"]
        fn = cases[name]
        for on in (False, True):  # warm-up both paths
            switch(on)
            for _ in range(20):
                fn()
        flush()
        cpu: dict[bool, list[float]] = {False: [], True: []}
        wall: dict[bool, list[float]] = {False: [], True: []}
        for i in range(BLOCKS[sdk] * 2):
            on = i % 2 == 1
            switch(on)
            w0, c0 = time.perf_counter(), time.thread_time()
            for _ in range(CALLS):
                fn()
            cpu[on].append((time.thread_time() - c0) / CALLS * 1e6)
            wall[on].append((time.perf_counter() - w0) / CALLS * 1e6)
            flush()
        # Each traced block against the untraced block just before it: slow drift cancels.
        med = statistics.median
        out[name] = {
            "untraced_us": med(cpu[False]),
            "overhead_us": med(t - u for u, t in zip(cpu[False], cpu[True])),
            "untraced_wall_us": med(wall[False]),
            "overhead_wall_us": med(t - u for u, t in zip(wall[False], wall[True])),
        }
    print(json.dumps(out), flush=True)


def main() -> None:
    fake = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "support" / "fake_llm.py")], stdout=subprocess.PIPE, text=True
    )
    sink = subprocess.Popen([sys.executable, __file__, "--sink"], stdout=subprocess.PIPE, text=True)
    try:
        assert fake.stdout is not None and sink.stdout is not None
        fake_url = fake.stdout.readline().strip()
        sink_url = sink.stdout.readline().strip()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "FERROTRACE_"))}
        env.update(MLFLOW_DISABLE_TELEMETRY="true", DO_NOT_TRACK="true")
        results = {}
        for sdk in ("ferrotrace", "mlflow"):
            r = subprocess.run(
                [sys.executable, __file__, "--child", sdk, fake_url, sink_url], env=env, capture_output=True, text=True, timeout=1800
            )
            if r.returncode != 0:
                sys.exit(f"{sdk} run failed:\n{r.stderr[-3000:]}")
            results[sdk] = json.loads(r.stdout.strip().splitlines()[-1])
    finally:
        for p in (fake, sink):
            p.terminate()
            p.wait(10)
    print(f"autolog overhead per OpenAI call, CPU time of the calling thread (median over pairs of blocks of {CALLS} calls, {BLOCKS['ferrotrace']} pairs for ferrotrace, {BLOCKS['mlflow']} for MLflow, µs)")
    print(f"{'case':<11}{'untraced':>10}{'ferrotrace +':>14}{'MLflow +':>12}{'MLflow / ferrotrace':>22}")
    for name in CASES:
        ours, theirs = results["ferrotrace"][name], results["mlflow"][name]
        ratio = theirs["overhead_us"] / ours["overhead_us"] if ours["overhead_us"] > 0 else float("inf")
        print(f"{name:<11}{ours['untraced_us']:>10.0f}{ours['overhead_us']:>14.1f}{theirs['overhead_us']:>12.1f}{ratio:>21.0f}x")
    print("wall clock, for context (includes the fake server and scheduling; noisy on a busy machine):")
    for name in CASES:
        ours, theirs = results["ferrotrace"][name], results["mlflow"][name]
        print(
            f"{name:<11}{ours['untraced_wall_us']:>10.0f}{ours['overhead_wall_us']:>14.1f}{theirs['overhead_wall_us']:>12.1f}"
        )


if __name__ == "__main__":
    if len(sys.argv) >= 5 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], sys.argv[4])
    elif sys.argv[1:] == ["--sink"]:
        serve_sink()
    else:
        main()
