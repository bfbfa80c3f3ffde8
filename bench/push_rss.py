"""`ferrotrace push` of a large local store: peak RSS, CPU and wall time of the CLI.

    .venv/bin/python bench/push_rss.py [MB]      # default 300: a store of about 300 MB

The store is the one `store_read.py` writes (bench/out/store, three-span traces of ~7.5 KB,
reused when it is already at least that large), with a few hundred tag changes and deletions
appended. The push goes to the sink of `python_sdks.py` (answers 200 to every request) in a
process of its own, so what is measured is the push alone: reading, folding, converting and
sending. Run it with another build of ferrotrace on PYTHONPATH to compare versions.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from store_read import GEN, store_bytes  # noqa: E402

CHANGES = r"""
import ferrotrace as mlflow
ids = [t.info.trace_id for t in mlflow.search_traces(max_results=300, return_type="list")]
for i, t in enumerate(ids):
    mlflow.set_trace_tag(t, "reviewed", "yes")
    if i % 3 == 0:
        mlflow.delete_trace_tag(t, "reviewed")
print(len(ids))
"""

SINK = r"""
import sys, time
sys.path.insert(0, sys.argv[1])
from python_sdks import start_sink
_, url = start_sink()
print(url, flush=True)
while True:
    time.sleep(3600)
"""

# The CLI in a process of its own that reports its own peak RSS (KiB) and CPU seconds last.
CLI = """
import resource, sys
from ferrotrace.cli import main
rc = main(sys.argv[1:])
u = resource.getrusage(resource.RUSAGE_SELF)
print(u.ru_maxrss, u.ru_utime + u.ru_stime)
"""


def main() -> None:
    mb = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    out = Path(__file__).parent / "out"
    store = out / "store"
    out.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "FERROTRACE_"))}
    env.update(MLFLOW_DISABLE_TELEMETRY="true", DO_NOT_TRACK="true")
    have = store_bytes(store) if store.exists() else 0
    if have < mb << 20:
        gen_env = {**env, "FERROTRACE_LOCAL_DIR": str(store), "FERROTRACE_LOCAL_MAX_BYTES": str(4 << 30)}
        subprocess.run([sys.executable, "-c", GEN, str(((mb << 20) - have) // 7600 + 1)], env=gen_env, check=True)
        subprocess.run([sys.executable, "-c", CHANGES], env=gen_env, check=True)
    sink = subprocess.Popen([sys.executable, "-c", SINK, str(Path(__file__).parent)], stdout=subprocess.PIPE, text=True)
    try:
        assert sink.stdout is not None
        url = sink.stdout.readline().strip()
        t0 = time.perf_counter()
        p = subprocess.run(
            [sys.executable, "-c", CLI, "push", "--tracking-uri", url, "--experiment-id", "1", str(store)],
            env=env, capture_output=True, text=True,
        )
        wall = time.perf_counter() - t0
    finally:
        sink.terminate()
        sink.wait(10)
    lines = p.stdout.strip().splitlines()
    if len(lines) < 2:
        sys.exit(f"push failed ({p.returncode}):\n{p.stderr[-3000:]}")
    rss_kib, cpu = lines[-1].split()
    print(f"store {store_bytes(store) / 2**20:.0f} MiB: {lines[-2]}")
    print(f"push: {wall:.1f} s wall, {float(cpu):.1f} s CPU, peak RSS {int(rss_kib) / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
