"""Instructions per traced call, counted by callgrind: repeatable on a busy machine, where
wall-clock medians move ±30 % with the load of other processes.

    .venv/bin/python bench/instructions.py [python|node|core|worker|LANG:CASE ...]

Each case runs twice under `valgrind --tool=callgrind --separate-threads=yes`, with N and 2N
calls; the application thread's instruction count of the second run minus the first, divided
by N, is the cost of one call (start-up, imports and warm-up cancel out; the export worker
runs on its own thread and is not counted). `plain` is the untraced call, for reference.

`worker` cases count the other side: the instructions of every thread but the application's
(the export worker; it sends trace infos concurrently on its own async runtime) per trace, for the trivial
Python call exported to `local` (the local store) or to `mlflow` (a loopback HTTP server in
this process that answers 200, as an MLflow server would; see python_sdks.py). The queue holds
every trace, so the overflow thread stays idle, except in `overflow`: to the local store with a
queue of one trace, so that most traces go through the overflow thread; and `otlp`: to an
OTLP collector (the same loopback server's `/v1/traces`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PY = sys.executable
N = {"python": 2000, "node": 4000, "core": 20000, "worker": 2000}
CASES = {
    "python": ["plain", "trivial", "nested", "dict", "disabled", "unsampled", "floor_native", "floor_wrapper", "floor_design"],
    "node": ["plain", "trivial", "child", "nested", "big", "floor_napi", "floor_als", "floor_design"],
    "core": ["child", "root", "floats"],
    "worker": ["local", "mlflow", "overflow", "otlp"],
}
# The loopback MLflow server of the `worker:mlflow` case (started on first use).
SINK_URI: list[str] = []


def sink_uri() -> str:
    if not SINK_URI:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        from python_sdks import start_sink

        SINK_URI.append(start_sink()[1])
    return SINK_URI[0]


def command(lang: str, case: str, n: int) -> list[str]:
    if lang == "worker":
        return [PY, os.path.join(ROOT, "bench", "instr", "py_cases.py"), "trivial", str(n)]
    if lang == "python":
        return [PY, os.path.join(ROOT, "bench", "instr", "py_cases.py"), case, str(n)]
    if lang == "node":
        return ["node", os.path.join(ROOT, "bench", "instr", "node_cases.mjs"), case, str(n)]
    exe = os.path.join(ROOT, "target", "x86_64-unknown-linux-gnu", "release", "examples", "hot_loop")
    return [exe, case, str(n)]


def thread_ir(path: str) -> int:
    with open(path) as f:
        for line in f:
            if line.startswith("summary:") or line.startswith("totals:"):
                return int(line.split()[1])
    raise RuntimeError(f"no totals in {path}")


def measured_ir(lang: str, case: str, n: int) -> int:
    """The application thread's instructions, or for `worker` cases all the other threads'."""
    out = tempfile.mkdtemp(prefix="ferrotrace-callgrind-")
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"}
    if lang == "worker":
        env["FERROTRACE_LOCAL_DIR"] = os.path.join(out, "store")
        for k in ("MLFLOW_TRACKING_URI", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
            env.pop(k, None)
        if case == "mlflow":
            env["MLFLOW_TRACKING_URI"] = sink_uri()
        if case == "overflow":
            env["FERROTRACE_MAX_QUEUE_TRACES"] = "1"
        if case == "otlp":
            env["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = sink_uri() + "/v1/traces"
    try:
        subprocess.run(
            ["valgrind", "--tool=callgrind", "--separate-threads=yes", f"--callgrind-out-file={out}/cg.out"]
            + command(lang, case, n),
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
        )
        # Thread 1 is the application's; the export worker and runtime helpers come after.
        if lang != "worker":
            return thread_ir(f"{out}/cg.out-01")
        others = [f for f in os.listdir(out) if f.startswith("cg.out-") and f != "cg.out-01"]
        return sum(thread_ir(os.path.join(out, f)) for f in others)
    finally:
        shutil.rmtree(out, ignore_errors=True)


def main() -> None:
    wanted = [a.split(":", 1) for a in (sys.argv[1:] or ["core", "python", "node"])]
    runs = [(w[0], c) for w in wanted for c in (w[1:] or CASES[w[0]])]
    if any(lang == "core" for lang, _ in runs):
        subprocess.run(["cargo", "build", "-q", "--release", "-p", "ferrotrace-core", "--example", "hot_loop"], cwd=ROOT, check=True)
    print("| case | instructions per call |")
    print("| --- | ---: |")
    for lang, case in runs:
        n = N[lang]
        a = measured_ir(lang, case, n)
        b = measured_ir(lang, case, 2 * n)
        print(f"| {lang} {case} | {(b - a) / n:,.0f} |", flush=True)


if __name__ == "__main__":
    main()
