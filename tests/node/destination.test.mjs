// setDestination / getDestination: the experiment traces are logged to. In this process (memory
// destination) the setting itself; in a child process, what reaches a stub MLflow server.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as http from "node:http";
import * as path from "node:path";
import { test } from "node:test";
import * as zlib from "node:zlib";

import { mlflow, PKG } from "./helpers.mjs";

const { setDestination, getDestination, getConfig, createTraceLocationFromExperimentId } = mlflow;

test("setDestination takes MLflow's TraceLocation and simpler shapes; getDestination reads it back", () => {
  setDestination({ type: "MLFLOW_EXPERIMENT", mlflowExperiment: { experimentId: "42" } });
  assert.equal(getConfig().experimentId, "42");
  assert.deepEqual(getDestination(), { type: "MLFLOW_EXPERIMENT", mlflowExperiment: { experimentId: "42" } });
  setDestination(createTraceLocationFromExperimentId("43"));
  assert.equal(getDestination().mlflowExperiment.experimentId, "43");
  setDestination({ type: "experiment", experimentId: "44" });
  assert.equal(getConfig().experimentId, "44");
  setDestination({ experimentId: "45" });
  assert.equal(getConfig().experimentId, "45");
  setDestination("46");
  assert.equal(getConfig().experimentId, "46");
  assert.equal(mlflow.TraceLocationType.MLFLOW_EXPERIMENT, "MLFLOW_EXPERIMENT");
});

test("resetDestination: back to the experiment before the first setDestination; a no-op otherwise", () => {
  // Earlier tests set destinations: back to what this process started with (without
  // MLFLOW_EXPERIMENT_ID, MLflow's Default experiment "0").
  mlflow.resetDestination();
  const base = getConfig().experimentId;
  if (!process.env.MLFLOW_EXPERIMENT_ID) assert.equal(base, "0");
  setDestination("60");
  setDestination("61");
  assert.equal(getConfig().experimentId, "61");
  mlflow.resetDestination();
  assert.equal(getConfig().experimentId, base);
  setDestination("62");
  mlflow.resetDestination();
  mlflow.resetDestination(); // nothing saved any more: no change
  assert.deepEqual(getDestination(), createTraceLocationFromExperimentId(base));
});

test("other locations and malformed ones throw, and nothing changes", () => {
  setDestination("50");
  assert.throws(
    () => setDestination({ type: "UC_SCHEMA", ucSchema: { catalogName: "c", schemaName: "s" } }),
    /UC_SCHEMA is not supported/,
  );
  assert.throws(
    () => setDestination({ type: mlflow.TraceLocationType.UC_TABLE_PREFIX, ucTablePrefix: { catalogName: "c", schemaName: "s" } }),
    /UC_TABLE_PREFIX is not supported/,
  );
  assert.throws(() => setDestination({ type: "MLFLOW_EXPERIMENT" }), /names no experimentId/);
  // `null` clears the destination, as in MLflow (client.test.mjs); a missing one is an error.
  assert.throws(() => setDestination(undefined), TypeError);
  assert.equal(getConfig().experimentId, "50");
});

/** A stub MLflow server: records the experiment of each OTLP batch and StartTraceV3 call. */
async function stubServer() {
  const seen = { otlp: [], traceInfos: [] };
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url, "http://x");
      res.setHeader("content-type", "application/json");
      if (url.pathname === "/v1/traces") {
        const body = zlib.gunzipSync(Buffer.concat(chunks));
        seen.otlp.push({ experiment: req.headers["x-mlflow-experiment-id"], bytes: body.length });
        res.end("{}");
      } else if (url.pathname === "/api/3.0/mlflow/traces" && req.method === "POST") {
        const info = JSON.parse(Buffer.concat(chunks).toString()).trace.trace_info;
        seen.traceInfos.push({
          traceId: info.trace_id,
          experiment: info.trace_location.mlflow_experiment.experiment_id,
        });
        res.end(JSON.stringify({ trace: { trace_info: info } }));
      } else if (url.pathname === "/api/2.0/mlflow/experiments/get") {
        const id = url.searchParams.get("experiment_id");
        res.end(JSON.stringify({ experiment: { experiment_id: id, name: `e${id}`, lifecycle_stage: "active" } }));
      } else {
        res.statusCode = 404;
        res.end(JSON.stringify({ error_code: "ENDPOINT_NOT_FOUND", message: req.url }));
      }
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return { seen, server, uri: `http://127.0.0.1:${server.address().port}` };
}

const APP = `
const mlflow = require(${JSON.stringify(path.join(PKG, "dist", "index.js"))});
const step = mlflow.trace(function step(n) { return n; });
(async () => {
  mlflow.init({ trackingUri: process.env.STUB_URI, experimentId: "1" });
  step(1);
  mlflow.setDestination({ type: "MLFLOW_EXPERIMENT", mlflowExperiment: { experimentId: "7" } });
  const first = mlflow.getLastActiveTraceId();
  step(2);
  const second = mlflow.getLastActiveTraceId();
  const dest = mlflow.getDestination();
  mlflow.resetDestination();
  const reset = mlflow.getDestination();
  step(3);
  const ok = await mlflow.flushTraces(20000);
  console.log(JSON.stringify({ ok, first, second, third: mlflow.getLastActiveTraceId(), dest, reset }));
})();
`;

test("traces started after setDestination go to the new experiment on the server; resetDestination returns to init's", async () => {
  const { seen, server, uri } = await stubServer();
  try {
    const env = { ...process.env, STUB_URI: uri };
    for (const k of Object.keys(env)) if (/^(FERROTRACE_|MLFLOW_)/.test(k) || k === "NODE_TEST_CONTEXT") delete env[k];
    env.STUB_URI = uri;
    const child = spawn(process.execPath, ["-e", APP], { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    const code = await new Promise((r) => child.on("exit", r));
    assert.equal(code, 0, err);
    const res = JSON.parse(out.trim().split("\n").at(-1));
    assert.ok(res.ok, "flush timed out");
    assert.deepEqual(res.dest, { type: "MLFLOW_EXPERIMENT", mlflowExperiment: { experimentId: "7" } });
    const byTrace = Object.fromEntries(seen.traceInfos.map((i) => [i.traceId, i.experiment]));
    assert.deepEqual(res.reset, { type: "MLFLOW_EXPERIMENT", mlflowExperiment: { experimentId: "1" } });
    assert.deepEqual(byTrace, { [res.first]: "1", [res.second]: "7", [res.third]: "1" });
    assert.deepEqual(seen.otlp.map((o) => o.experiment).sort(), ["1", "1", "7"]);
    assert.doesNotMatch(err, /WARNING/, err);
  } finally {
    server.close();
  }
});
