"""Side by side, one run: ferrotrace vs MLflow's own SDK vs the OpenTelemetry Python SDK.

    .venv/bin/python bench/python_sdks.py            # BENCH_N=20000 calls per repetition (max)

Per-call cases, µs per call, median of REPS=5 repetitions (after a warm-up), each SDK in its own
subprocess (the unsampled case in another one, since sampling is read at start-up):

  a  trivial function, inputs and outputs captured (OTel: one span, args + result as attributes)
  b  4 nested traced functions, reported per span
  c  a 20-key dict + 50 floats in, the same out
  d  tracing disabled (ferrotrace/MLflow `tracing.disable()`, OTel a NoOpTracerProvider)
  e  unsampled, ratio 0 (MLFLOW_TRACE_SAMPLING_RATIO=0 / OTel TraceIdRatioBased(0))

Where traces go: MLflow's SDK exports in the background (its async trace logging) to a loopback
HTTP server in this process that answers 200 to everything and discards; ferrotrace is pointed at
the same server (set_tracking_uri/set_experiment); OTel uses a BatchSpanProcessor whose exporter
discards. Requests the sink received per SDK are printed, to show the exporters really ran.
Between repetitions each SDK flushes, so the export queue never fills (queues sized to hold a
whole repetition), and the flush is not timed.

Then `import` time and RSS growth of `import ferrotrace` / `import mlflow` /
`import opentelemetry.sdk.trace`, each in a fresh interpreter, median of 5.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

N = int(os.environ.get("BENCH_N", "20000"))
REPS = int(os.environ.get("BENCH_REPS", "5"))
TARGET_S = float(os.environ.get("BENCH_TARGET_S", "0.25"))  # aim per repetition (calibrated)
IMPORT_REPS = int(os.environ.get("BENCH_IMPORT_REPS", "5"))
SDKS = ("ferrotrace", "mlflow", "otel")
CASES = ("a", "b", "c", "d", "e")
CASE_NAMES = {
    "a": "trivial call, capture on",
    "b": "4 nested spans, per span",
    "c": "20-key dict + 50 floats in/out",
    "d": "tracing disabled",
    "e": "unsampled (ratio 0)",
}
MLFLOW_VERSION = "3.17.2"


# ----------------------------------------------------------------------------- sink server
class Sink(BaseHTTPRequestHandler):
    counts: Counter[str] = Counter()
    lock = threading.Lock()
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else header + body writes meet delayed ACKs: 40 ms a request

    def log_message(self, *a: Any) -> None:  # quiet
        pass

    def _body(self) -> bytes:
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            return self.rfile.read(n)
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = b""
            while True:
                size = int(self.rfile.readline().strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return out
                out += self.rfile.read(size)
                self.rfile.readline()
        return b""

    def _reply(self) -> None:
        body = self._body()
        path = self.path.split("?", 1)[0]
        with self.lock:
            key = path if not path.startswith("/api/2.0/mlflow-artifacts/") else "/api/2.0/mlflow-artifacts/..."
            if path.startswith("/api/3.0/mlflow/traces/"):
                key = "/api/3.0/mlflow/traces/..."
            self.counts[f"{self.command} {key}"] += 1
        ctype = "application/json"
        if path == "/version":
            out, ctype = MLFLOW_VERSION.encode(), "text/plain"
        elif path.endswith("/experiments/get-by-name") or path.endswith("/experiments/get"):
            out = json.dumps({"experiment": {"experiment_id": "1", "name": "bench", "artifact_location": "mlflow-artifacts:/1",
                                             "lifecycle_stage": "active"}}).encode()
        elif path.endswith("/experiments/create"):
            out = b'{"experiment_id": "1"}'
        elif path == "/api/3.0/mlflow/traces" and self.command == "POST":
            # StartTraceV3: echo the trace info back (what a server stores and returns).
            try:
                req = json.loads(body or b"{}")
            except ValueError:
                req = {}
            out = json.dumps(req if "trace" in req else {"trace": {"trace_info": {}}}).encode()
        else:
            out = b"{}"
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _reply


def start_sink() -> tuple[ThreadingHTTPServer, str]:
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, f"http://127.0.0.1:{srv.server_address[1]}"


# ----------------------------------------------------------------------------- workloads
BIG_IN = {f"key_{i}": i * 1.5 for i in range(20)}
FLOATS = [i * 0.25 for i in range(50)]


def plain(x: int) -> int:
    return x


def big(d: dict[str, float], xs: list[float]) -> dict[str, Any]:
    return {"d": d, "xs": xs}


def per_call_us(fn: Callable[[], Any], flush: Callable[[], Any], calls_per_invocation: int = 1) -> tuple[float, int]:
    """Median µs per invocation over REPS repetitions; n calibrated so a repetition takes ~TARGET_S."""
    t0 = time.perf_counter()
    for _ in range(200):
        fn()
    est = (time.perf_counter() - t0) / 200
    flush()
    n = max(200, min(N // calls_per_invocation, int(TARGET_S / max(est, 1e-9))))
    runs = []
    for _ in range(REPS):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        runs.append((time.perf_counter() - t0) / n * 1e6)
        flush()
    return statistics.median(runs), n


def otel_decorator(get_tracer: Callable[[], Any]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """OTel has no @trace with capture: one span per call, args and result as attributes
    (primitives and lists of floats as they are, anything else as JSON text, as MLflow does)."""
    import inspect

    def attr(v: Any) -> Any:
        if isinstance(v, (str, bool, int, float)):
            return v
        if isinstance(v, list) and all(isinstance(x, float) for x in v):
            return v
        return json.dumps(v)

    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        names = list(inspect.signature(fn).parameters)
        span_name = fn.__name__

        def wrapper(*args: Any) -> Any:
            with get_tracer().start_as_current_span(span_name) as span:
                if span.is_recording():
                    for k, v in zip(names, args):
                        span.set_attribute(f"input.{k}", attr(v))
                out = fn(*args)
                if span.is_recording():
                    span.set_attribute("output", attr(out))
                return out

        return wrapper

    return deco


def otel_discarding_provider(sampler: Any = None, **batch_options: Any) -> tuple[Any, Any]:
    """An OTel TracerProvider with a BatchSpanProcessor whose exporter counts and discards; the
    exporter class (its `exported` counts the spans)."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

    class Discard(SpanExporter):
        exported = 0

        def export(self, spans: Any) -> SpanExportResult:
            Discard.exported += len(spans)
            return SpanExportResult.SUCCESS

        def shutdown(self) -> None:
            pass

    provider = TracerProvider(sampler=sampler) if sampler else TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(Discard(), **batch_options))
    return provider, Discard


def worker(sdk: str, mode: str, uri: str) -> None:
    """Runs in its own process. mode: 'main' (cases a-d) or 'unsampled' (case e)."""
    res: dict[str, Any] = {}
    tmp = tempfile.mkdtemp(prefix="ferrotrace-bench-sdks-")
    if sdk == "ferrotrace":
        os.environ.setdefault("FERROTRACE_MAX_QUEUE_TRACES", str(max(N, 20000) * 2))
        os.environ["FERROTRACE_LOCAL_DIR"] = tmp
        import ferrotrace as sdkmod

        sdkmod.set_tracking_uri(uri)
        sdkmod.set_experiment("bench")
        trace = sdkmod.trace

        def flush() -> None:
            sdkmod.flush(60)

        disable = sdkmod.tracing.disable
    elif sdk == "mlflow":
        os.environ.setdefault("MLFLOW_ASYNC_TRACE_LOGGING_MAX_QUEUE_SIZE", str(max(N, 20000) * 2))
        import logging

        import mlflow as sdkmod

        logging.getLogger("mlflow").setLevel(logging.ERROR)
        sdkmod.set_tracking_uri(uri)
        sdkmod.set_experiment("bench")
        trace = sdkmod.trace

        def flush() -> None:
            sdkmod.flush_trace_async_logging(terminate=False)

        disable = sdkmod.tracing.disable
    else:
        from opentelemetry import trace as otrace
        from opentelemetry.sdk.trace.sampling import TraceIdRatioBased

        sampler = TraceIdRatioBased(0.0) if mode == "unsampled" else None
        provider, Discard = otel_discarding_provider(sampler, max_queue_size=max(N, 20000) * 8)
        state = {"tracer": provider.get_tracer("bench")}
        trace = otel_decorator(lambda: state["tracer"])

        def flush() -> None:
            provider.force_flush(60_000)

        def disable() -> None:
            state["tracer"] = otrace.NoOpTracerProvider().get_tracer("bench")

    traced = trace(plain)
    traced_big = trace(big)

    @trace
    def l4(x: int) -> int:
        return x

    @trace
    def l3(x: int) -> int:
        return l4(x)

    @trace
    def l2(x: int) -> int:
        return l3(x)

    @trace
    def l1(x: int) -> int:
        return l2(x)

    if mode == "unsampled":
        res["e"], res["n_e"] = per_call_us(lambda: traced(1), flush)
    else:
        res["plain"], _ = per_call_us(lambda: plain(1), lambda: None)
        res["a"], res["n_a"] = per_call_us(lambda: traced(1), flush)
        nested, res["n_b"] = per_call_us(lambda: l1(1), flush, 4)
        res["b"] = nested / 4
        res["c"], res["n_c"] = per_call_us(lambda: traced_big(BIG_IN, FLOATS), flush)
        disable()
        res["d"], res["n_d"] = per_call_us(lambda: traced(1), flush)
    flush()
    if sdk == "ferrotrace":
        st = sdkmod.stats()
        res["note"] = f"exported {st['traces_exported']} traces, dropped {st['traces_dropped']}"
    elif sdk == "otel":
        res["note"] = f"exported {Discard.exported} spans"
    print("RESULT " + json.dumps(res), flush=True)


# ----------------------------------------------------------------------------- import cost
IMPORT_PROBE = r"""
import sys, time, json
def rss():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
r0 = rss(); t0 = time.perf_counter()
__import__(sys.argv[1])
dt = time.perf_counter() - t0; r1 = rss()
print(json.dumps({"ms": dt * 1e3, "rss_mib": (r1 - r0) / 2**20}))
"""

IMPORTS = {"ferrotrace": "ferrotrace", "mlflow": "mlflow", "otel": "opentelemetry.sdk.trace"}


def import_cost(module: str, env: dict[str, str]) -> tuple[float, float]:
    # As after `pip install` (which compiles .pyc files): bytecode cached, one untimed import
    # to write it. With PYTHONDONTWRITEBYTECODE set, an editable install (ferrotrace here)
    # recompiles its sources on every import (~35 % of its import instructions) while
    # pip-installed SDKs load their .pyc files, which skews the comparison.
    env = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([sys.executable, "-c", IMPORT_PROBE, module], env=env, capture_output=True, check=True)
    ms, mib = [], []
    for _ in range(IMPORT_REPS):
        out = subprocess.run([sys.executable, "-c", IMPORT_PROBE, module], env=env, capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        ms.append(r["ms"])
        mib.append(r["rss_mib"])
    return statistics.median(ms), statistics.median(mib)


# ----------------------------------------------------------------------------- driver
def main() -> None:
    srv, uri = start_sink()
    env = dict(os.environ, MLFLOW_DISABLE_TELEMETRY="true", DO_NOT_TRACK="true")
    env.pop("MLFLOW_TRACE_SAMPLING_RATIO", None)
    results: dict[str, dict[str, Any]] = {}
    requests: dict[str, Counter[str]] = {}
    for sdk in SDKS:
        results[sdk] = {}
        before = Counter(Sink.counts)
        for mode in ("main", "unsampled"):
            wenv = dict(env)
            if mode == "unsampled":
                wenv["MLFLOW_TRACE_SAMPLING_RATIO"] = "0"
            out = subprocess.run([sys.executable, __file__, "--worker", sdk, mode, uri], env=wenv, capture_output=True,
                                 text=True, timeout=1800)
            lines = [ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")]
            if out.returncode != 0 or not lines:
                raise SystemExit(f"{sdk}/{mode} failed (rc {out.returncode}):\n{out.stdout[-2000:]}\n{out.stderr[-4000:]}")
            r = json.loads(lines[-1][len("RESULT "):])
            if "note" in r and mode == "main":
                results[sdk]["note"] = r.pop("note")
            r.pop("note", None)
            results[sdk].update(r)
        with Sink.lock:
            requests[sdk] = Counter(Sink.counts) - before
    imports = {sdk: import_cost(mod, env) for sdk, mod in IMPORTS.items()}
    srv.shutdown()

    import platform

    versions = {"python": platform.python_version()}
    for dist, key in (("mlflow", "mlflow"), ("opentelemetry-sdk", "otel")):
        from importlib.metadata import version

        versions[key] = version(dist)
    try:
        from importlib.metadata import version

        versions["ferrotrace"] = version("ferrotrace")
    except Exception:
        pass
    load = os.getloadavg()
    print(f"python {versions['python']}, ferrotrace {versions.get('ferrotrace', '?')}, mlflow {versions['mlflow']}, "
          f"opentelemetry-sdk {versions['otel']}; {os.cpu_count()} CPUs, load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"µs per call, median of {REPS} repetitions (≤{N} calls each, calibrated to ~{TARGET_S}s), each SDK in its own process")
    print()
    print("| case | ferrotrace | MLflow | OTel SDK | MLflow / ferrotrace | OTel / ferrotrace |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    print(f"| plain call (baseline) | {results['ferrotrace']['plain']:.3f} | {results['mlflow']['plain']:.3f} | "
          f"{results['otel']['plain']:.3f} | | |")
    for c in CASES:
        f, m, o = (results[s][c] for s in SDKS)
        print(f"| ({c}) {CASE_NAMES[c]} | {f:.3f} | {m:.3f} | {o:.3f} | {m / f:.1f}x | {o / f:.1f}x |")
    f, m, o = (imports[s] for s in SDKS)
    print(f"| import time, ms | {f[0]:.1f} | {m[0]:.1f} | {o[0]:.1f} | {m[0] / f[0]:.1f}x | {o[0] / f[0]:.1f}x |")
    print(f"| import RSS growth, MiB | {f[1]:.1f} | {m[1]:.1f} | {o[1]:.1f} | {m[1] / f[1]:.1f}x | {o[1] / f[1]:.1f}x |")
    print()
    print("import: " + ", ".join(f"{s} = `import {IMPORTS[s]}`" for s in SDKS) + f", fresh interpreter each, median of {IMPORT_REPS}")
    print("calls per repetition: " + "; ".join(
        f"{s} " + " ".join(f"{c}={results[s].get('n_' + c)}" for c in CASES) for s in SDKS))
    for s in SDKS:
        reqs = ", ".join(f"{k} x{v}" for k, v in sorted(requests[s].items())) or "none"
        print(f"{s}: sink requests: {reqs}" + (f"; {results[s]['note']}" if "note" in results[s] else ""))


if __name__ == "__main__":
    if len(sys.argv) >= 5 and sys.argv[1] == "--worker":
        worker(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        main()
