"""`ferrotrace traces list` / `show` on a large local store: wall time and peak RSS of the CLI.

    .venv/bin/python bench/store_read.py [MB]      # default 1000: a store of about 1 GB

Writes the store into bench/out/store (reused when it is already at least that large), with
three-span traces of about 7.5 KB each, as a tight traced loop writes them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

GEN = r"""
import sys
import ferrotrace as mlflow

pad = "lorem ipsum dolor sit amet " * 40

@mlflow.trace(span_type="LLM")
def llm(prompt):
    return {"content": pad, "n": len(prompt)}

@mlflow.trace(span_type="TOOL")
def tool(x):
    return [pad, x]

@mlflow.trace(span_type="AGENT")
def agent(q):
    tool(q)
    return llm(q + pad)

for i in range(int(sys.argv[1])):
    agent(f"question {i}")
    if i % 2000 == 1999:
        mlflow.flush(120)  # a generator, not a measurement: keep the queue from overflowing
"""


def store_bytes(store: Path) -> int:
    return sum(p.stat().st_size for p in store.glob("*.ftseg"))


# The CLI in a process of its own that reports its own peak RSS (KiB on Linux) last.
CLI = """
import resource, sys
from ferrotrace.cli import main
rc = main(sys.argv[1:])
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
sys.exit(rc)
"""


def run(args: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MiB), and the CLI's last line of output."""
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-c", CLI, *args], capture_output=True, text=True, check=True)
    wall = time.perf_counter() - t0
    lines = p.stdout.strip().splitlines()
    return wall, int(lines[-1]) / 1024, lines[-2]


def main() -> None:
    mb = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    out = Path(__file__).parent / "out"
    store = out / "store"
    out.mkdir(exist_ok=True)
    have = store_bytes(store) if store.exists() else 0
    if have < mb << 20:
        need = (mb << 20) - have
        env = {**os.environ, "FERROTRACE_LOCAL_DIR": str(store), "FERROTRACE_LOCAL_MAX_BYTES": str(4 << 30)}
        subprocess.run([sys.executable, "-c", GEN, str(need // 7600 + 1)], env=env, check=True)
    wall, rss, last = run(["traces", "list", "--dir", str(store)])
    print(f"store {store_bytes(store) / 2**20:.0f} MiB, {last}")
    print(f"traces list: {wall:.1f} s, peak RSS {rss:.0f} MiB")


if __name__ == "__main__":
    main()
