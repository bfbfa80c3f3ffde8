"""Celery's prefork workers (billiard, a fork of multiprocessing) leave through `os._exit` like
multiprocessing's children: a real Celery worker (filesystem broker, no server needed) runs
traced tasks and is stopped the normal way (SIGTERM: warm shutdown); every trace is kept."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("celery")

TASKS = 400

TASKS_MODULE = r'''
import os
from celery import Celery
import ferrotrace

BROKER = os.environ["TEST_BROKER_DIR"]
app = Celery("tasks", broker="filesystem://")
app.conf.broker_transport_options = {
    "data_folder_in": BROKER,
    "data_folder_out": BROKER,
    "store_processed": False,
}
app.conf.worker_hijack_root_logger = False
app.conf.broker_connection_retry_on_startup = True


@ferrotrace.trace
def answer(i):
    with ferrotrace.start_span("inner"):
        return i * 2


@app.task
def job(i):
    return answer(i)
'''

PRODUCER = r'''
import sys
from tasks import job
for i in range(int(sys.argv[1])):
    job.delay(i)
'''


def test_a_celery_prefork_worker_keeps_every_trace(tmp_path: Path) -> None:
    (tmp_path / "tasks.py").write_text(TASKS_MODULE)
    broker = tmp_path / "broker"
    broker.mkdir()
    store = tmp_path / "store"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FERROTRACE_", "MLFLOW_"))}
    env.update(
        MLFLOW_DISABLE_TELEMETRY="true",
        DO_NOT_TRACK="true",
        TEST_BROKER_DIR=str(broker),
        FERROTRACE_LOCAL_DIR=str(store),
        FERROTRACE_SPILL_DIR=str(tmp_path / "spill"),
        PYTHONPATH=str(tmp_path),
    )
    r = subprocess.run(
        [sys.executable, "-c", PRODUCER, str(TASKS)], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0, r.stderr
    celery = Path(sys.executable).with_name("celery")
    log = open(tmp_path / "worker.log", "w")
    worker = subprocess.Popen(
        [str(celery), "-A", "tasks", "worker", "--pool=prefork", "--concurrency=3", "--loglevel=INFO",
         "--without-gossip", "--without-mingle", "--without-heartbeat"],
        env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            done = (tmp_path / "worker.log").read_text().count("succeeded in")
            if done >= TASKS:
                break
            assert worker.poll() is None, (tmp_path / "worker.log").read_text()[-3000:]
            time.sleep(0.5)
        assert done >= TASKS, done
        # How a worker is stopped by a process manager: SIGTERM, warm shutdown.
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
        log.close()
    from ferrotrace import _native

    texts, warnings = _native.store_read(str(store))
    assert warnings == []
    inputs = sorted(
        json.loads([s for s in json.loads(t)["data"]["spans"] if s["name"] == "answer"][0]["attributes"]["mlflow.spanInputs"])["i"]
        for t in texts
    )
    assert inputs == list(range(TASKS)), (len(inputs), (tmp_path / "worker.log").read_text()[-3000:])
