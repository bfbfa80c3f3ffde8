"""Memory under load, side by side: the resident set of a process making 100,000 traced calls
(each its own trace, inputs and outputs captured) with ferrotrace, MLflow's SDK and the
OpenTelemetry SDK, in Python and in Node.

    .venv/bin/python bench/rss_loop.py [calls] [--python-only]

Each SDK runs in its own process and exports as in `python_sdks.py` / `node_sdks.mjs`: ferrotrace
and MLflow to a loopback HTTP sink that discards (Python), ferrotrace to its local store (Node),
OTel through a BatchSpanProcessor with a discarding exporter. The export queues keep their
defaults: this measures what an application would see. Reported per SDK: RSS after a 1,000-call
warm-up, RSS growth over the loop, peak RSS (VmHWM / the largest sample), RSS after the final
flush (1 s after it), and how many traces or spans the SDK exported and dropped.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import python_sdks  # noqa: E402  (the sink, the OTel decorator, the traced function)

CALLS = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 100_000
HERE = os.path.dirname(os.path.abspath(__file__))


def status_kib(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def worker(sdk: str, uri: str, calls: int) -> None:
    if sdk == "ferrotrace":
        os.environ["FERROTRACE_LOCAL_DIR"] = tempfile.mkdtemp(prefix="ferrotrace-bench-rss-")
        import ferrotrace as mod

        mod.set_tracking_uri(uri)
        mod.set_experiment("bench")
        traced = mod.trace(python_sdks.plain)

        def flush() -> str:
            mod.flush(120)
            st = mod.stats()
            return (f"exported {st['traces_exported']} traces + {st['traces_replayed']} replayed from the overflow "
                    f"spill, dropped {st['traces_dropped']}")
    elif sdk == "mlflow":
        import logging

        import mlflow as mod

        logging.getLogger("mlflow").setLevel(logging.ERROR)
        mod.set_tracking_uri(uri)
        mod.set_experiment("bench")
        traced = mod.trace(python_sdks.plain)

        def flush() -> str:
            mod.flush_trace_async_logging(terminate=False)
            return ""  # the parent counts what reached the sink
    else:
        provider, Discard = python_sdks.otel_discarding_provider()
        tracer = provider.get_tracer("bench")
        traced = python_sdks.otel_decorator(lambda: tracer)(python_sdks.plain)

        def flush() -> str:
            provider.force_flush(60_000)
            return f"exported {Discard.exported} spans (BatchSpanProcessor drops beyond its 2,048-span queue)"

    for i in range(1000):
        traced(i)
    flush()
    before = status_kib("VmRSS")
    t0 = time.perf_counter()
    for i in range(calls):
        traced(i)
    loop_s = time.perf_counter() - t0
    end = status_kib("VmRSS")
    note = flush()
    time.sleep(1)  # background threads settle (ferrotrace's idle worker returns freed memory)
    print("RESULT " + json.dumps({
        "warm_mib": before / 1024, "growth_mib": (end - before) / 1024, "peak_mib": status_kib("VmHWM") / 1024,
        "after_flush_mib": status_kib("VmRSS") / 1024, "loop_s": loop_s, "note": note,
    }), flush=True)


NODE = r"""
const sdk = process.argv[1], calls = Number(process.argv[2]);
const kib = () => process.memoryUsage().rss / 1048576;
let traced, flush, note;
if (sdk === "ferrotrace") {
  const ft = await import(process.env.FERROTRACE_DIST);
  traced = ft.trace(function plain(x) { return x; });
  flush = () => ft.flushTraces();
  note = () => { const s = ft.stats(); return `exported ${s.traces_exported} traces, dropped ${s.traces_dropped}`; };
} else {
  const api = await import("@opentelemetry/api");
  const { BasicTracerProvider, BatchSpanProcessor } = await import("@opentelemetry/sdk-trace-base");
  const { AsyncLocalStorageContextManager } = await import("@opentelemetry/context-async-hooks");
  api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  let exported = 0;
  const exporter = { export(spans, done) { exported += spans.length; done({ code: 0 }); }, shutdown: async () => {}, forceFlush: async () => {} };
  const provider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(exporter)] });
  const tracer = provider.getTracer("bench");
  const plain = (x) => x;
  traced = (x) => tracer.startActiveSpan("plain", (span) => {
    span.setAttribute("input.x", x);
    const out = plain(x);
    span.setAttribute("output", out);
    span.end();
    return out;
  });
  flush = () => provider.forceFlush();
  note = () => `exported ${exported} spans (BatchSpanProcessor drops beyond its 2,048-span queue)`;
}
for (let i = 0; i < 1000; i++) traced(i);
await flush();
const before = kib();
let peak = before;
const t0 = performance.now();
for (let i = 0; i < calls; i++) {
  traced(i);
  if ((i & 4095) === 0) peak = Math.max(peak, kib());
}
const loop_s = (performance.now() - t0) / 1000;
const end = kib();
await flush();
await new Promise((r) => setTimeout(r, 1000));
console.log("RESULT " + JSON.stringify({ warm_mib: before, growth_mib: end - before, peak_mib: Math.max(peak, end),
  after_flush_mib: kib(), loop_s, note: note() }));
"""


def run(cmd: list[str], env: dict[str, str], cwd: str | None = None) -> dict[str, Any]:
    out = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=1800)
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")]
    if out.returncode != 0 or not lines:
        raise SystemExit(f"{cmd[:3]} failed (rc {out.returncode}):\n{out.stdout[-2000:]}\n{out.stderr[-3000:]}")
    return dict(json.loads(lines[-1][len("RESULT "):]))


def main() -> None:
    srv, uri = python_sdks.start_sink()
    env = dict(os.environ, MLFLOW_DISABLE_TELEMETRY="true", DO_NOT_TRACK="true")
    rows: list[tuple[str, dict[str, Any]]] = []
    for sdk in ("ferrotrace", "mlflow", "otel"):
        before = dict(python_sdks.Sink.counts)
        r = run([sys.executable, __file__, "--worker", sdk, uri, str(CALLS)], env)
        if sdk == "mlflow":
            sent = sum(v - before.get(k, 0) for k, v in python_sdks.Sink.counts.items() if k == "POST /api/3.0/mlflow/traces")
            r["note"] = f"{sent} of {CALLS + 1000} trace infos reached the sink (the rest dropped by its queue)"
        rows.append((f"Python {sdk}", r))
    srv.shutdown()
    dist = os.path.join(os.path.dirname(HERE), "bindings-node", "dist", "index.mjs")
    node_env = dict(env, FERROTRACE_DIST=dist, FERROTRACE_LOCAL_DIR=tempfile.mkdtemp(prefix="ferrotrace-bench-rss-"))
    for sdk in () if "--python-only" in sys.argv else ("ferrotrace", "otel"):
        rows.append((f"Node {sdk}", run(["node", "--input-type=module", "-e", NODE, sdk, str(CALLS)], node_env, cwd=HERE)))
    print(f"RSS over {CALLS:,} traced calls (each its own trace), MiB")
    print()
    print("| sdk | after warm-up | growth over the loop | peak | after flush | loop s | exported |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    for name, r in rows:
        print(f"| {name} | {r['warm_mib']:.1f} | {r['growth_mib']:+.1f} | {r['peak_mib']:.1f} | {r['after_flush_mib']:.1f} "
              f"| {r['loop_s']:.2f} | {r['note']} |")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        main()
