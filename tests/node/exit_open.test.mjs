// process.exit() inside a traced call: the trace left open is counted as dropped
// (`open_at_exit`), in stats() (read by the application's own `exit` handler) and in the exit
// warning, for every way of tracing a call: the sync and async wrappers, withSpan, startSpan.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";

import { PKG } from "./helpers.mjs";

const IMPORT = JSON.stringify(pathToFileURL(path.join(PKG, "dist", "index.mjs")).href);

function env(extra) {
  const out = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(FERROTRACE_|MLFLOW_)/.test(k) && k !== "NODE_TEST_CONTEXT") out[k] = v;
  }
  return { ...out, MLFLOW_DISABLE_TELEMETRY: "true", DO_NOT_TRACK: "true", ...extra };
}

// `body` runs after 5 finished traces; it must call process.exit() inside a traced call. The
// application's exit handler (registered after ferrotrace's) writes stats() to a file.
function run(body) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ft-exit-open-"));
  const out = path.join(dir, "stats.json");
  const app = `
const fs = await import("node:fs");
const mlflow = await import(${IMPORT});
process.on("exit", () => fs.writeFileSync(${JSON.stringify(out)}, JSON.stringify(mlflow.stats())));
const done = mlflow.trace(function done(i) { return i; });
for (let i = 0; i < 5; i++) done(i);
${body}
`;
  const r = spawnSync("node", ["--input-type=module", "-e", app], {
    env: env({ FERROTRACE_LOCAL_DIR: path.join(dir, "store"), FERROTRACE_SPILL_DIR: path.join(dir, "spill") }),
    encoding: "utf8",
    timeout: 60_000,
  });
  assert.equal(r.status, 3, r.stderr);
  const stats = JSON.parse(fs.readFileSync(out, "utf8"));
  fs.rmSync(dir, { recursive: true, force: true });
  return { stats, stderr: r.stderr };
}

function assertOpen({ stats, stderr }, n) {
  assert.equal(stats.dropped_traces.open_at_exit, n, JSON.stringify(stats));
  assert.equal(stats.traces_exported, 5, JSON.stringify(stats));
  // The exit warning names the reason with the right number of traces.
  assert.match(stderr, new RegExp(`open_at_exit: ${n} trace\\(s\\)`), stderr);
  assert.doesNotMatch(stderr, /\b0 trace\(s\) were pending/, stderr);
}

test("sync wrapper: the open trace is counted", () => {
  assertOpen(run(`mlflow.trace(function last() { process.exit(3); })();`), 1);
});

test("sync wrapper, nested: one open trace, counted once", () => {
  assertOpen(
    run(`
const inner = mlflow.trace(function inner() { process.exit(3); });
mlflow.trace(function outer() { inner(); })();`),
    1,
  );
});

test("async wrapper: exit after an await inside the call", () => {
  assertOpen(
    run(`
const last = mlflow.trace(async function last() {
  await new Promise((r) => setTimeout(r, 10));
  process.exit(3);
});
await last();`),
    1,
  );
});

test("several concurrent async calls open at exit are all counted", () => {
  assertOpen(
    run(`
const wait = mlflow.trace(async function wait() { await new Promise(() => {}); });
for (let i = 0; i < 7; i++) wait();
await new Promise((r) => setTimeout(r, 10));
mlflow.trace(function last() { process.exit(3); })();`),
    8,
  );
});

test("withSpan: the open trace is counted", () => {
  assertOpen(run(`mlflow.withSpan(() => { process.exit(3); }, { name: "last" });`), 1);
});

test("startSpan: a span never ended is counted", () => {
  assertOpen(run(`mlflow.startSpan({ name: "left open" }); process.exit(3);`), 1);
});
