"""examples/deploy: every variable the Dockerfile, docker-compose.yml and the Kubernetes manifest
set is one ferrotrace reads (so a typo cannot silently do nothing), the grace periods outlast the
exit timeout, and the image's build stage runs `make dist`, which `make test-dist` runs and checks
(tests/dist) on machines without Docker."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "examples" / "deploy"


def set_variables() -> dict[str, set[str]]:
    docker = (DEPLOY / "Dockerfile").read_text()
    env_lines = re.findall(r"^ENV (.*?)(?<!\\)$", docker, re.M | re.S)
    found = {"Dockerfile": set(re.findall(r"([A-Z][A-Z0-9_]+)=", " ".join(env_lines)))}
    compose = (DEPLOY / "docker-compose.yml").read_text()
    env_block = compose.split("environment:", 1)[1].split("volumes:", 1)[0]
    found["docker-compose.yml"] = set(re.findall(r"^\s+([A-Z][A-Z0-9_]+):", env_block, re.M))
    found["kubernetes.yaml"] = set(re.findall(r"name: ([A-Z][A-Z0-9_]+)\b", (DEPLOY / "kubernetes.yaml").read_text()))
    return found


def sources() -> str:
    parts = [p.read_text() for p in (ROOT / "core" / "src").rglob("*.rs")]
    parts += [p.read_text() for p in (ROOT / "bindings-python" / "python").rglob("*.py")]
    return "\n".join(parts)


def test_every_variable_set_is_one_ferrotrace_reads() -> None:
    code = sources()
    documented = (ROOT / "docs" / "configuration.md").read_text()
    found = set_variables()
    assert all(found.values()), found
    for file, names in found.items():
        for name in names:
            assert f'"{name}"' in code, f"{file} sets {name}, which ferrotrace does not read"
            assert f"`{name}`" in documented, f"{file} sets {name}, which docs/configuration.md does not list"


def test_grace_periods_outlast_the_exit_timeout() -> None:
    compose = (DEPLOY / "docker-compose.yml").read_text()
    k8s = (DEPLOY / "kubernetes.yaml").read_text()
    exit_timeouts = [int(v) for v in re.findall(r'FERROTRACE_EXIT_TIMEOUT[:=,\s]+(?:value: )?"?(\d+)', compose + k8s)]
    assert exit_timeouts, "no FERROTRACE_EXIT_TIMEOUT set"
    grace = int(re.search(r"stop_grace_period: (\d+)s", compose).group(1))  # type: ignore[union-attr]
    k8s_grace = int(re.search(r"terminationGracePeriodSeconds: (\d+)", k8s).group(1))  # type: ignore[union-attr]
    assert min(grace, k8s_grace) > max(exit_timeouts)


def test_the_image_builds_with_make_dist_and_runs_an_existing_service() -> None:
    docker = (DEPLOY / "Dockerfile").read_text()
    build_stage = docker.split("FROM ", 2)[1]
    assert re.search(r"^RUN make dist\b", build_stage, re.M)
    for copied in re.findall(r"^COPY (examples/\S+)", docker, re.M):
        assert (ROOT / copied).exists(), copied
