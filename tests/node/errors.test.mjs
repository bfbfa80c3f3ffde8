// The `code` of ferrotrace's errors (documented in docs/errors.md): a missing trace on a
// real MLflow server rejects with ERR_FERROTRACE_NOT_FOUND (and the server's status and MLflow
// error code), a bad setting throws ERR_FERROTRACE_CONFIG, a bad argument the core refuses
// ERR_FERROTRACE_INVALID_ARGUMENT; tracing itself never throws. Run as a user runs it: a fresh
// process.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { mlflowServer, runApp, skip } from "./mlflow_support.mjs";

const APP = `
const out = {};
const describe = (e) => ({ code: e.code, status: e.status, errorCode: e.errorCode, isError: e instanceof Error, message: e.message });
mlflow.init({ trackingUri: process.argv[2] });
try {
  await mlflow.getAssessment("tr-" + "0".repeat(32), "a-" + "0".repeat(32));
} catch (e) {
  out.missing = describe(e);
}
try {
  mlflow.configure({ samplingRatio: 2 });
} catch (e) {
  out.configure = describe(e);
}
try {
  mlflow.init({ trackingUri: "ftp://not-a-server" });
} catch (e) {
  out.init = describe(e);
}
const traced = mlflow.trace((x) => x + 1, { name: "traced" });
out.traced = traced(1);
console.log(JSON.stringify(out));
`;

describe("error codes against a real MLflow server", { skip }, () => {
  const uri = mlflowServer();

  test("explicit calls fail with a stable code; tracing never throws", async () => {
    const { out } = await runApp(APP, [uri()]);
    assert.equal(out.missing.code, "ERR_FERROTRACE_NOT_FOUND", JSON.stringify(out.missing));
    assert.equal(out.missing.status, 404);
    assert.equal(out.missing.errorCode, "RESOURCE_DOES_NOT_EXIST");
    assert.ok(out.missing.isError);
    assert.equal(out.configure.code, "ERR_FERROTRACE_CONFIG");
    assert.match(out.configure.message, /samplingRatio/);
    assert.equal(out.init.code, "ERR_FERROTRACE_CONFIG");
    assert.match(out.init.message, /trackingUri/);
    assert.equal(out.traced, 2);
  });
});

test("an argument the core or the facade refuses rejects with ERR_FERROTRACE_INVALID_ARGUMENT", async () => {
  // The memory destination keeps no store: a store call is refused by the core.
  const { out } = await runApp(
    `
mlflow.configure({ destination: "memory" });
const out = {};
try {
  await mlflow.searchTraces({});
  out.search = "no error";
} catch (e) {
  out.search = e.code;
}
// Refused by the facade before any call: the same code.
try {
  await mlflow.logFeedback({ traceId: "", name: "ok", value: true });
  out.feedback = "no error";
} catch (e) {
  out.feedback = e.code;
}
console.log(JSON.stringify(out));
`,
    [],
  );
  assert.deepEqual(out, { search: "ERR_FERROTRACE_INVALID_ARGUMENT", feedback: "ERR_FERROTRACE_INVALID_ARGUMENT" });
});

test("the local store refuses as MLflow's backends do, and the facade's own refusals carry a code", async () => {
  // No server: the local store in the app's folder (runApp's cwd).
  const { out } = await runApp(
    `
const out = {};
const failure = async (f) => {
  try {
    await f();
    return "no error";
  } catch (e) {
    return { code: e.code, status: e.status, errorCode: e.errorCode, type: e.constructor.name };
  }
};
out.tag = await failure(() => mlflow.setTraceTag("tr-" + "0".repeat(32), "k", "v"));
const client = new mlflow.MlflowClient();
await client.createExperiment("taken");
out.taken = await failure(() => client.createExperiment("taken"));
out.headers = await failure(() => mlflow.withTracingContextFromHeaders({}, () => 1));
out.nullHeaders = await failure(() => mlflow.withTracingContextFromHeaders(null, () => 1));
out.destination = await failure(() => mlflow.setDestination({ type: "UC_SCHEMA" }));
console.log(JSON.stringify(out));
`,
    [],
  );
  assert.deepEqual(out.tag, { code: "ERR_FERROTRACE_NOT_FOUND", status: 404, errorCode: "RESOURCE_DOES_NOT_EXIST", type: "Error" });
  // MlflowClient raises MLflow's MlflowHttpError, keeping the stable code.
  assert.deepEqual(out.taken, { code: "ERR_FERROTRACE_REJECTED", status: 400, errorCode: "RESOURCE_ALREADY_EXISTS", type: "MlflowHttpError" });
  assert.equal(out.headers.code, "ERR_FERROTRACE_INVALID_ARGUMENT");
  assert.deepEqual([out.nullHeaders.code, out.nullHeaders.type], ["ERR_FERROTRACE_INVALID_ARGUMENT", "TypeError"]);
  assert.equal(out.destination.code, "ERR_FERROTRACE_INVALID_ARGUMENT");
});
