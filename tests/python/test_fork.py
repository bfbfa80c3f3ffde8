"""A forked child (prefork servers, multiprocessing with fork) gets its own export worker and
fresh ids, and never re-exports what its parent had queued."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import run_script

APP = r'''
import os, sys, json, multiprocessing as mp
import ferrotrace

@ferrotrace.trace
def job(who):
    return who

job("parent-before-fork")          # still queued in the parent when it forks
pid = os.fork()
if pid == 0:
    job("child")
    ferrotrace.flush()
    os._exit(0)
os.waitpid(pid, 0)

def worker(i):
    job(f"mp-{i}")
    ferrotrace.flush()

ctx = mp.get_context("fork")
procs = [ctx.Process(target=worker, args=(i,)) for i in range(2)]
for p in procs: p.start()
for p in procs: p.join()
job("parent-after")
ferrotrace.flush()
print(json.dumps(ferrotrace.stats()["dropped_traces"]))
'''


def test_fork_and_multiprocessing_export_each_trace_exactly_once(tmp_path: Path) -> None:
    store = tmp_path / "store"
    r = run_script(APP, {"FERROTRACE_LOCAL_DIR": str(store)}, cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout.strip().splitlines()[-1]) == {}
    from ferrotrace import _native

    texts, warnings = _native.store_read(str(store))
    assert warnings == []
    traces = [json.loads(t) for t in texts]
    inputs = sorted(json.loads(t["data"]["spans"][0]["attributes"]["mlflow.spanInputs"])["who"] for t in traces)
    assert inputs == ["child", "mp-0", "mp-1", "parent-after", "parent-before-fork"]
    ids = [t["info"]["trace_id"] for t in traces]
    assert len(set(ids)) == len(ids), "a forked child must mint fresh ids"
