// Shared by the tests that run against a real MLflow server (MLflow 3.17.2 from .venv, started
// by the test file and stopped by the pid it started; or the one FERROTRACE_TEST_MLFLOW_URI
// names): child processes for traced apps and for MLflow's own Python client.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before } from "node:test";
import { pathToFileURL } from "node:url";

import { PKG, REPO } from "./helpers.mjs";

export const PY = path.join(REPO, ".venv", "bin", "python");
const SERVER_SCRIPT = path.join(REPO, "tests", "support", "mlflow_server.py");
export const IMPORT = JSON.stringify(pathToFileURL(path.join(PKG, "dist", "index.mjs")).href);

/** Why these tests cannot run, or false. */
function missing() {
  if (!fs.existsSync(PY)) return `${PY} not found: run \`make python\` (it installs mlflow into .venv)`;
  const r = spawnSync(PY, ["-c", "import importlib.util as u, sys; sys.exit(0 if u.find_spec('mlflow') and u.find_spec('ferrotrace') else 1)"]);
  return r.status === 0 ? false : "mlflow or ferrotrace is not installed in .venv: run `make python`";
}
export const skip = missing();

/** The environment of a child: none of the test run's ferrotrace/MLflow settings. */
export function childEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(FERROTRACE_|MLFLOW_)/.test(k) && k !== "NODE_TEST_CONTEXT") env[k] = v;
  }
  return { ...env, MLFLOW_DISABLE_TELEMETRY: "true", DO_NOT_TRACK: "true", ...extra };
}

/** Runs a command without blocking this event loop (a proxy in this process must keep answering). */
export function run(cmd, args, { env, cwd, timeout = 120_000 } = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(cmd, args, { env, cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeout);
    child.on("error", reject);
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr, ms: performance.now() - started });
    });
  });
}

export const tmp = (prefix) => fs.mkdtempSync(path.join(os.tmpdir(), prefix));

/** Runs `body` (ESM, `mlflow` imported) in a fresh node process; returns its last stdout line as JSON. */
export async function runApp(body, args, extraEnv = {}) {
  const dir = tmp("ferrotrace-app-");
  try {
    const file = path.join(dir, "app.mjs");
    fs.writeFileSync(file, `import * as mlflow from ${IMPORT};\n${body}`);
    // Spilled traces stay in the app's folder, not in the user's cache.
    const env = childEnv({ FERROTRACE_SPILL_DIR: path.join(dir, "spill"), ...extraEnv });
    const r = await run(process.execPath, [file, ...args], { env, cwd: dir });
    assert.equal(r.status, 0, `app failed:\n${r.stderr}`);
    return { out: JSON.parse(r.stdout.trim().split("\n").at(-1)), stderr: r.stderr, ms: r.ms, file };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs Python code with .venv's interpreter; returns its stdout as JSON. */
export async function python(code, args) {
  const r = await run(PY, ["-c", code, ...args], { env: childEnv(), cwd: REPO });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

export const uniqueName = (prefix) => `${prefix}-${process.pid}-${Math.random().toString(16).slice(2, 8)}`;

/**
 * Registers `before`/`after` hooks (call inside a `describe`) that start a real MLflow server for
 * the file and stop it by its pid; returns a getter of its URI.
 */
export function mlflowServer() {
  let uri;
  let serverDir;
  before(() => {
    uri = process.env.FERROTRACE_TEST_MLFLOW_URI;
    if (uri) return;
    serverDir = tmp("ferrotrace-mlflow-");
    const r = spawnSync(PY, [SERVER_SCRIPT, "start", serverDir], { cwd: REPO, env: childEnv(), encoding: "utf8", timeout: 180_000 });
    assert.equal(r.status, 0, `the MLflow server did not start:\n${r.stderr}`);
    uri = r.stdout.trim().split("\n").at(-1);
  });
  after(() => {
    if (!serverDir) return;
    spawnSync(PY, [SERVER_SCRIPT, "stop", serverDir], { cwd: REPO, env: childEnv(), timeout: 60_000 });
    fs.rmSync(serverDir, { recursive: true, force: true });
  });
  return () => uri;
}
