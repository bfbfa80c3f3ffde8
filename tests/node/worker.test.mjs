// worker_threads: traced code in a worker uses the process's one tracer (one addon, one queue,
// one memory store), and a worker's exit does not stop export for the other threads.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { Worker } from "node:worker_threads";

import { attr, clearMemory, mlflow, PKG, span } from "./helpers.mjs";

const WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const mlflow = require(${JSON.stringify(path.join(PKG, "dist", "index.js"))});
const square = mlflow.trace(async function square(n) {
  await new Promise((r) => setTimeout(r, 1));
  return n * n;
}, { spanType: mlflow.SpanType.TOOL });
let traceId; // getLastActiveTraceId() is process-wide: another thread's trace may end last
const job = mlflow.trace(async function workerJob(items) {
  traceId = mlflow.getCurrentActiveSpan().traceId;
  mlflow.updateCurrentTrace({ tags: { thread: "worker" } });
  return Promise.all(items.map((n) => square(n)));
});
(async () => {
  const run = () => job(workerData.items);
  const out = workerData.headers
    ? await mlflow.withTracingContextFromHeadersAsync(workerData.headers, run)
    : await run();
  parentPort.postMessage({ out, id: traceId, addon: mlflow.testing.addonPath() });
})();
`;

/** Runs the worker script; resolves with its message once it has exited. */
function runWorker(items, env = process.env, headers = undefined) {
  return new Promise((resolve, reject) => {
    const w = new Worker(WORKER, { eval: true, workerData: { items, headers }, env, stderr: true });
    let msg;
    let stderr = "";
    w.stderr.on("data", (d) => (stderr += d));
    w.on("message", (m) => (msg = m));
    w.on("error", reject);
    w.on("exit", (code) => (code === 0 ? resolve({ ...msg, stderr }) : reject(new Error(`worker exited ${code}: ${stderr}`))));
  });
}

test("a worker's traces reach the process-wide store the main thread reads", async () => {
  await clearMemory();
  const main = mlflow.trace(function mainJob() {
    return "main";
  });
  const [a, b] = await Promise.all([runWorker([1, 2, 3]), runWorker([4])]);
  main();
  assert.deepEqual(a.out, [1, 4, 9]);
  assert.deepEqual(b.out, [16]);
  assert.ok(await mlflow.flushTraces(10_000));
  const traces = mlflow.testing.memoryTraces();
  const byId = Object.fromEntries(traces.map((t) => [t.info.trace_id, t]));
  assert.equal(traces.length, 3);
  const t = byId[a.id];
  assert.ok(t, "the worker's trace is in the main thread's memory store");
  assert.equal(t.info.tags.thread, "worker");
  const squares = t.data.spans.filter((s) => s.name === "square");
  assert.equal(squares.length, 3);
  for (const s of squares) assert.equal(s.parent_span_id, span(t, "workerJob").span_id);
  assert.deepEqual(attr(span(t, "workerJob"), "mlflow.spanOutputs"), [1, 4, 9]);
  assert.ok(byId[b.id]);
  // A worker's exit flushed without shutting the exporter down or reporting losses.
  assert.equal(a.stderr, "");
  assert.equal(mlflow.stats().dropped_traces.export_failed ?? 0, 0);
});

test("the addon loads once per process: a worker told to load another copy uses the loaded one", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferrotrace-addon-"));
  try {
    // A second file with the same code: loading it would give the worker a second tracer.
    const copy = path.join(dir, "ferrotrace-copy.node");
    fs.copyFileSync(mlflow.testing.addonPath(), copy);
    await clearMemory();
    const res = await runWorker([5], { ...process.env, FERROTRACE_NODE_ADDON: copy });
    assert.equal(res.addon, mlflow.testing.addonPath());
    await mlflow.flushTraces(10_000);
    assert.deepEqual(mlflow.testing.memoryTraces().map((t) => t.info.trace_id), [res.id]);
    const mapped = fs
      .readFileSync("/proc/self/maps", "utf8")
      .split("\n")
      .filter((l) => /ferrotrace[^/]*\.node|libferrotrace_node\.so/.test(l))
      .map((l) => l.slice(l.indexOf("/")));
    assert.deepEqual([...new Set(mapped)], [fs.realpathSync(mlflow.testing.addonPath())]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("a worker continues the main thread's trace from a traceparent passed in workerData", async () => {
  await clearMemory();
  let parent;
  await mlflow.withSpan(async (s) => {
    parent = s;
    await runWorker([2], process.env, mlflow.getTracingContextHeadersForHttpRequest());
  }, { name: "dispatch" });
  await mlflow.flushTraces(10_000);
  const traces = mlflow.testing.memoryTraces();
  // The worker shares this process's tracer, and the main thread's trace is open while the job
  // runs: the worker's span joins it (as MLflow joins a trace continued in its own process).
  assert.equal(traces.length, 1);
  assert.equal(traces[0].info.trace_id, parent.traceId);
  const part = traces[0];
  assert.ok(part.data.spans.some((s) => s.name === "dispatch"));
  assert.equal(Buffer.from(span(part, "workerJob").parent_span_id, "base64").toString("hex"), parent.spanId);
});
