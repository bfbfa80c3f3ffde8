"""Fixtures of the Phoenix test (`make test-phoenix`): the Python tests' helpers and a real
Phoenix server for the session."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

HERE = os.path.dirname(__file__)
sys.path.insert(0, os.path.join(HERE, "..", "support"))


@pytest.fixture(scope="session")
def phoenix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    import phoenix_server

    if not phoenix_server.PHOENIX.exists():
        pytest.fail("Phoenix is not installed: run `make test-phoenix`")
    server = phoenix_server.start(Path(tmp_path_factory.mktemp("phoenix")))
    try:
        yield server
    finally:
        phoenix_server.stop_pid(server.pid)
