"""A distributed trace across two languages, in one command:

    .venv/bin/python examples/distributed/run.py "what is tracing"

starts the Node summarizer (node_service.mjs) and the Python gateway (gateway.py) on free ports
of 127.0.0.1, asks the gateway one question, prints the answer and the trace id, and stops both
services (each exits through its normal exit hook, which delivers its spans). With
MLFLOW_TRACKING_URI set, the MLflow server shows one trace: gateway -> call_summarizer ->
summarize (Node) -> callModel (Node). Without it, both services write their parts to the local
store ./ferrotrace-traces.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent


def start(cmd: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    return proc, int(proc.stdout.readline())


def main() -> None:
    question = sys.argv[1] if len(sys.argv) > 1 else "what is tracing"
    env = dict(os.environ)
    node, node_port = start(["node", str(HERE / "node_service.mjs")], env)
    gateway, gateway_port = start([sys.executable, str(HERE / "gateway.py")],
                                  {**env, "SUMMARIZER_URL": f"http://127.0.0.1:{node_port}"})
    try:
        url = f"http://127.0.0.1:{gateway_port}/ask?" + urllib.parse.urlencode({"q": question})
        with urllib.request.urlopen(url, timeout=30) as response:
            reply = json.load(response)
        print(reply["answer"])
        print(reply["trace_id"])
    finally:
        # SIGINT for Python (KeyboardInterrupt ends serve_forever), SIGTERM for Node (its handler
        # closes the server): both then leave through their exit hooks.
        gateway.send_signal(signal.SIGINT)
        node.send_signal(signal.SIGTERM)
        for proc in (gateway, node):
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


if __name__ == "__main__":
    main()
