"""What `make dist` built installs the way users install a tracer (`pip install`, `npm install`)
into fresh environments whose PATH has no Rust toolchain, and the quickstarts run there."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "dist"


def one(pattern: str) -> Path:
    found = sorted(DIST.glob(pattern))
    assert len(found) == 1, f"{pattern}: {found} (run `make dist`)"
    return found[0]


def no_rust_env(tmp: Path) -> dict[str, str]:
    """The test's environment with every PATH entry that holds cargo or rustc left out."""
    keep = [d for d in os.environ["PATH"].split(os.pathsep)
            if d and not any(os.path.exists(os.path.join(d, t)) for t in ("cargo", "rustc"))]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FERROTRACE_", "MLFLOW_", "CARGO", "RUSTUP"))}
    env.update(PATH=os.pathsep.join(keep), HOME=str(tmp / "home"), FERROTRACE_SPILL_DIR=str(tmp / "spill"),
               npm_config_cache=str(ROOT / ".cache" / "npm"), PIP_CACHE_DIR=str(ROOT / ".cache" / "pip"),
               MLFLOW_DISABLE_TELEMETRY="true", DO_NOT_TRACK="true")
    (tmp / "home").mkdir(exist_ok=True)
    assert shutil.which("cargo", path=env["PATH"]) is None
    return env


def run(cmd: list[str], env: dict[str, str], cwd: Path) -> str:
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"{cmd}\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def test_the_wheel_is_manylinux2014_abi3() -> None:
    wheel = one("ferrotrace-*.whl")
    assert "-cp310-abi3-" in wheel.name and "manylinux_2_17_x86_64" in wheel.name and "manylinux2014_x86_64" in wheel.name, wheel.name
    auditwheel = ROOT / ".cache" / "dist-venv" / "bin" / "auditwheel"
    shown = run([str(auditwheel), "show", str(wheel)], dict(os.environ), ROOT)
    assert "manylinux_2_17_x86_64" in shown, shown


def test_the_sdist_carries_the_core_it_builds_from() -> None:
    with tarfile.open(one("ferrotrace-*.tar.gz")) as tar:
        names = tar.getnames()
    assert any(n.endswith("core/Cargo.toml") for n in names), names[:20]
    assert any(n.endswith("bindings-python/python/ferrotrace/__init__.py") for n in names)


def test_pip_install_of_the_wheel_runs_the_quickstart_without_rust(tmp_path: Path) -> None:
    env = no_rust_env(tmp_path)
    base = getattr(sys, "_base_executable", sys.executable)
    run([base, "-m", "venv", str(tmp_path / "venv")], env, tmp_path)
    py = tmp_path / "venv" / "bin" / "python"
    run([str(py), "-m", "pip", "install", "-q", "--no-index", str(one("ferrotrace-*.whl"))], env, tmp_path)
    out = run([str(py), str(ROOT / "examples" / "python" / "quickstart.py")], env, tmp_path)
    trace_id = out.strip().split("\n")[-1]
    assert re.fullmatch(r"tr-[0-9a-f]{32}", trace_id), out
    listed = run([str(tmp_path / "venv" / "bin" / "ferrotrace"), "traces", "list"], env, tmp_path)
    assert trace_id in listed


@pytest.mark.skipif(shutil.which("npm") is None, reason="npm is not on PATH")
def test_npm_install_of_the_tarballs_runs_the_quickstart_without_rust(tmp_path: Path) -> None:
    env = no_rust_env(tmp_path)
    app = tmp_path / "app"
    app.mkdir()
    (app / "package.json").write_text('{"name": "app", "version": "1.0.0", "private": true, "type": "module"}')
    run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error",
         str(one("ferrotrace-linux-x64-gnu-*.tgz")), str(one("ferrotrace-0*.tgz"))], env, app)
    assert (app / "node_modules" / "ferrotrace-linux-x64-gnu").is_dir()
    quickstart = (ROOT / "examples" / "node" / "quickstart.mjs").read_text()
    quickstart = quickstart.replace('"../../bindings-node/dist/index.mjs"', '"ferrotrace"')
    (app / "quickstart.mjs").write_text(quickstart)
    out = run(["node", "quickstart.mjs"], env, app)
    assert re.search(r"tr-[0-9a-f]{32}", out), out
    assert (app / "ferrotrace-traces").is_dir()
    # The prebuilt addon was loaded, not a build: there is no cargo, and no build output here.
    assert not (app / "node_modules" / "ferrotrace" / "ferrotrace.node").exists()
