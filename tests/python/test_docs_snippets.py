"""Every Python snippet in README.md and docs/*.md is a whole program, run here in a fresh
interpreter as a reader would run it: from an empty folder, with no server configured (the local
store), or against the real MLflow server when it names `http://127.0.0.1:5000`. A block just
after `<!-- no-run: reason -->` or `<!-- fragment -->` is left out (a shell line, a collector
that is not here, a piece of a larger program)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from conftest import run_script

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = "http://127.0.0.1:5000"
FENCE = re.compile(r"(<!--\s*(?:no-run|fragment)[^>]*-->\s*\n)?```(\w+)\n(.*?)\n```", re.S)


def snippets(language: str) -> list[tuple[str, str]]:
    found = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = path.read_text()
        for m in FENCE.finditer(text):
            skipped, lang, body = m.group(1), m.group(2), m.group(3)
            if lang == language and not skipped:
                line = text[: m.start()].count("\n") + 1
                found.append((f"{path.relative_to(ROOT)}:{line}", body))
    return found


PYTHON = snippets("python")


def test_the_docs_have_python_snippets() -> None:
    assert len(PYTHON) >= 5, PYTHON


@pytest.mark.parametrize("where,code", PYTHON, ids=[w for w, _ in PYTHON])
def test_python_snippet_runs(where: str, code: str, tmp_path: Path, request: Any) -> None:
    env: dict[str, str] = {}
    to_server = PLACEHOLDER in code
    if to_server:
        server = request.getfixturevalue("mlflow_server")
        code = code.replace(PLACEHOLDER, server)
    proc = run_script(code, env, str(tmp_path), timeout=120)
    assert proc.returncode == 0, f"{where}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"
    # A snippet that traces something leaves it somewhere: the local store, or the server.
    traces = any(m in code for m in ("@mlflow.trace", "@ferrotrace.trace", "start_span(", ".trace("))
    if not to_server and traces and "configure_otlp" not in code:
        assert (tmp_path / "ferrotrace-traces").exists(), f"{where}: no trace in the local store"
