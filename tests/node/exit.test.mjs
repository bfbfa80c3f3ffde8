// process.exit() inside a traced call: the traces finished before it are kept, and when the
// exit timeout runs out the warning reports how many traces were pending at exit (not the count
// left after the rescue).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";

import { PKG, REPO } from "./helpers.mjs";

const IMPORT = JSON.stringify(pathToFileURL(path.join(PKG, "dist", "index.mjs")).href);
const PY = path.join(REPO, ".venv", "bin", "python");

const APP = `
const mlflow = await import(${IMPORT});
const work = mlflow.trace(function work(i) { return i; });
const last = mlflow.trace(function last() { process.exit(0); });
for (let i = 0; i < 300; i++) work(i);
last();
`;

function env(extra) {
  const out = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(FERROTRACE_|MLFLOW_)/.test(k) && k !== "NODE_TEST_CONTEXT") out[k] = v;
  }
  return { ...out, MLFLOW_DISABLE_TELEMETRY: "true", DO_NOT_TRACK: "true", ...extra };
}

function storeCount(dir) {
  const r = spawnSync(PY, ["-c", `from ferrotrace import _native; t, w = _native.store_read(${JSON.stringify(dir)}); print(len(t))`]);
  assert.equal(r.status, 0, String(r.stderr));
  return Number(String(r.stdout).trim());
}

test("process.exit() inside a traced call keeps the finished traces", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ft-exit-"));
  const store = path.join(dir, "store");
  const r = spawnSync("node", ["--input-type=module", "-e", APP], {
    env: env({ FERROTRACE_LOCAL_DIR: store, FERROTRACE_SPILL_DIR: path.join(dir, "spill") }),
    encoding: "utf8",
    timeout: 60_000,
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(storeCount(store), 300);
});

test("the exit warning reports the traces pending at exit", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ft-exit-"));
  const r = spawnSync("node", ["--input-type=module", "-e", APP], {
    // Nothing listens on port 9: every send fails; the exit timeout runs out on the retries.
    env: env({
      MLFLOW_TRACKING_URI: "http://127.0.0.1:9",
      MLFLOW_EXPERIMENT_ID: "1",
      FERROTRACE_EXIT_TIMEOUT: "0.5",
      FERROTRACE_SPILL_DIR: path.join(dir, "spill"),
    }),
    encoding: "utf8",
    timeout: 60_000,
  });
  assert.equal(r.status, 0, r.stderr);
  const pending = /(\d+) trace\(s\) were pending at exit/.exec(r.stderr);
  const kept = /(\d+) trace\(s\) are kept in the spill folder/.exec(r.stderr);
  assert.ok(kept, r.stderr);
  assert.equal(Number(kept[1]), 300, r.stderr);
  if (pending) assert.ok(Number(pending[1]) > 0, r.stderr);
});
