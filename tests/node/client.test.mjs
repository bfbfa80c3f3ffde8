// MlflowClient (MLflow's TypeScript client) against a real MLflow server and the local store,
// MlflowHttpError, the entities' fromJson / toJson, NoOpSpan and setDestination(null).
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { mlflow, oneTrace } from "./helpers.mjs";
import { mlflowServer, python, runApp, skip, uniqueName } from "./mlflow_support.mjs";

const bigints = (_k, v) => (typeof v === "bigint" ? v.toString() : v);

test("Trace, TraceInfo and Span survive toJson -> JSON text -> fromJson", async () => {
  await oneTrace(() =>
    mlflow.withSpan(
      (outer) => {
        outer.setInputs({ q: "hi" });
        mlflow.withSpan((inner) => inner.setAttribute("k", [1, 2]), { name: "inner", spanType: mlflow.SpanType.TOOL });
        mlflow.updateCurrentTrace({ tags: { env: "test" } });
        return "ok";
      },
      { name: "outer" },
    ),
  );
  const trace = await mlflow.getTrace(mlflow.getLastActiveTraceId());
  const copy = mlflow.Trace.fromJson(JSON.parse(JSON.stringify(trace.toJson(), bigints)));
  assert.ok(copy instanceof mlflow.Trace && copy.data instanceof mlflow.TraceData);
  assert.equal(copy.info.traceId, trace.info.traceId);
  assert.equal(copy.info.tags.env, "test");
  assert.equal(copy.info.state, "OK");
  assert.equal(copy.info.executionDuration, trace.info.executionDuration);
  assert.equal(copy.info.requestTime, trace.info.requestTime);
  assert.deepEqual(copy.data.spans.map((s) => [s.name, s.spanId, s.parentId, s.traceId]), trace.data.spans.map((s) => [s.name, s.spanId, s.parentId, s.traceId]));
  const [outer, inner] = copy.data.spans;
  assert.deepEqual(outer.inputs, { q: "hi" });
  assert.equal(outer.outputs, "ok");
  assert.deepEqual(inner.getAttribute("k"), [1, 2]);
  assert.equal(inner.spanType, "TOOL");
  assert.equal(inner.parentId, outer.spanId);
  assert.equal(typeof inner.startTimeNs, "bigint");
  assert.equal(inner.startTimeNs, trace.data.spans[1].startTimeNs);

  const info = mlflow.TraceInfo.fromJson(trace.info.toJson());
  assert.deepEqual({ ...info }, { ...trace.info });
  assert.match(trace.info.toJson().request_time, /^\d{4}-\d\d-\d\dT/);
  assert.match(trace.info.toJson().execution_duration, /^[\d.]+s$/);
  const span = mlflow.Span.fromJson(trace.data.spans[1].toJson());
  assert.equal(span.spanId, trace.data.spans[1].spanId);
  assert.equal(span.traceId, trace.info.traceId);

  // MLflow's constructors: new TraceInfo({...}) and new Trace(info, data).
  const made = new mlflow.Trace(
    new mlflow.TraceInfo({ traceId: "tr-1", traceLocation: mlflow.createTraceLocationFromExperimentId("7"), requestTime: 1000, state: "OK" }),
    new mlflow.TraceData([span]),
  );
  assert.equal(made.toJson().info.trace_location.mlflow_experiment.experiment_id, "7");
  assert.equal(made.toJson().data.spans[0].name, "inner");
});

test("a disabled scope hands the callback a NoOpSpan", () => {
  const span = mlflow.tracingContext({ enabled: false }, () => mlflow.withSpan((s) => s, { name: "quiet" }));
  assert.ok(span instanceof mlflow.NoOpSpan && span instanceof mlflow.LiveSpan);
  assert.equal(span.traceId, mlflow.NO_OP_SPAN_TRACE_ID);
  span.setAttribute("k", 1); // does nothing, never throws
  assert.equal(span.getAttribute("k"), undefined);
});

test("setDestination(null) clears the destination, as MLflow's", () => {
  const before = mlflow.getDestination();
  mlflow.setDestination(mlflow.createTraceLocationFromExperimentId("4242"));
  assert.equal(mlflow.getDestination()?.mlflowExperiment?.experimentId, "4242");
  mlflow.setDestination(null);
  assert.equal(mlflow.getDestination()?.mlflowExperiment?.experimentId, before?.mlflowExperiment?.experimentId ?? "0");
  assert.throws(() => mlflow.setDestination({ kind: "uc_schema", location: {} }), /Unity Catalog/);
});

test("MlflowHttpError carries the status, body and error code", () => {
  const e = new mlflow.MlflowHttpError(404, "Not Found", '{"error_code":"RESOURCE_DOES_NOT_EXIST","message":"gone"}');
  assert.ok(e instanceof Error);
  assert.equal(e.name, "MlflowHttpError");
  assert.equal(e.errorCode, "RESOURCE_DOES_NOT_EXIST");
  assert.match(e.message, /^HTTP 404: Not Found - /);
});

// One program run on either backend: experiments, a traced call read back, search, tags, errors.
const APP = `
const client = new mlflow.MlflowClient(process.env.MLFLOW_TRACKING_URI ? { trackingUri: process.env.MLFLOW_TRACKING_URI, host: process.env.MLFLOW_TRACKING_URI } : {});
const name = process.argv[2];
const out = {};
const id = await client.createExperiment(name, undefined, { team: "search" });
out.created = id;
out.byName = await client.getExperimentByName(name);
out.byId = await client.getExperiment(id);
try { await client.createExperiment(name); } catch (e) { out.duplicate = [e instanceof mlflow.MlflowHttpError, e.status, e.errorCode]; }
mlflow.setDestination(mlflow.createTraceLocationFromExperimentId(id));
const answer = mlflow.trace((q) => "echo " + q, { name: "answer", spanType: mlflow.SpanType.LLM });
answer("hi");
const traceId = mlflow.getLastActiveTraceId();
const trace = await client.getTrace(traceId);
out.spans = trace.data.spans.map((s) => [s.name, s.spanType, s.inputs, s.outputs]);
await client.setTraceTag(traceId, "reviewed", "yes");
out.tagged = (await client.getTraceInfo(traceId)).tags.reviewed;
const page = await client.searchTraces({ experimentIds: [id], filter: "tags.reviewed = 'yes'" });
out.searched = page.traces.map((t) => t.traceId === traceId);
out.searchedInfo = page.traces[0] instanceof mlflow.TraceInfo;
try { await client.getTrace("tr-0123456789abcdef0123456789abcdef"); } catch (e) { out.missing = [e instanceof mlflow.MlflowHttpError, e.status, e.errorCode]; }
out.traceId = traceId;
await client.deleteExperiment(id);
out.afterDelete = (await client.searchExperiments()).some((e) => e.experimentId === id);
console.log(JSON.stringify(out));
`;

function checkApp(out, name) {
  assert.deepEqual(out.byName, { experimentId: out.created, name });
  assert.deepEqual(out.byId, { experimentId: out.created, name, tags: { team: "search" } });
  assert.deepEqual(out.duplicate, [true, 400, "RESOURCE_ALREADY_EXISTS"]);
  assert.deepEqual(out.spans, [["answer", "LLM", { q: "hi" }, "echo hi"]]);
  assert.equal(out.tagged, "yes");
  assert.deepEqual(out.searched, [true]);
  assert.equal(out.searchedInfo, true);
  assert.deepEqual(out.missing, [true, 404, "RESOURCE_DOES_NOT_EXIST"]);
  assert.equal(out.afterDelete, false);
}

test("MlflowClient on the local store (no server)", async () => {
  const name = uniqueName("client-local");
  const { out } = await runApp(APP, [name]);
  checkApp(out, name);
});

describe("MlflowClient on a real MLflow server", { skip }, () => {
  const uri = mlflowServer();
  test("experiments, traces, tags and search, checked with MLflow's own client", async () => {
    const name = uniqueName("client-server");
    const { out } = await runApp(APP, [name], { MLFLOW_TRACKING_URI: uri() });
    checkApp(out, name);
    const seen = await python(
      `import json, sys, mlflow
c = mlflow.MlflowClient(sys.argv[1])
e = c.get_experiment(sys.argv[2])
t = c.get_trace(sys.argv[3])
print(json.dumps({"stage": e.lifecycle_stage, "name": e.name, "tag": t.info.tags.get("reviewed"), "exp": t.info.experiment_id}))`,
      [uri(), out.created, out.traceId],
    );
    assert.deepEqual(seen, { stage: "deleted", name, tag: "yes", exp: out.created });
  });
});
