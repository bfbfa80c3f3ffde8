// The `code` of ferrotrace's errors (documented in docs/node-errors.md): a missing trace on a
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
