// init, logFeedback and logExpectation without a server: validation, errors that name the
// option, and what is refused before any request. (Against a real server: mlflow.test.mjs.)
import assert from "node:assert/strict";
import { test } from "node:test";

import { mlflow } from "./helpers.mjs";

// These tests set the MLflow variables themselves; none from the shell may leak in.
for (const k of Object.keys(process.env)) if (k.startsWith("MLFLOW_")) delete process.env[k];
mlflow.configure({ trackingUri: "" });

const settings = () => {
  const { trackingUri, experimentId, experimentName, destination } = mlflow.getConfig();
  return { trackingUri, experimentId, experimentName, destination };
};

/** Runs `fn` and puts the server settings back as they were (no server, memory destination). */
async function restoring(fn) {
  try {
    await fn();
  } finally {
    mlflow.configure({ trackingUri: "", destination: "memory" });
  }
}

test("init rejects invalid options, naming them, and then changes nothing", () => {
  const before = settings();
  assert.throws(() => mlflow.init({ trackingUri: "ftp://mlflow.example" }), /invalid value for trackingUri: "ftp:\/\/mlflow.example" is not supported/);
  assert.throws(() => mlflow.init({ trackingUri: "gopher://mlflow.example" }), /trackingUri/);
  assert.throws(() => mlflow.init({ trackingUri: "http://" }), /trackingUri: "http:\/\/" has no host/);
  assert.throws(() => mlflow.init({ trackingUri: 5000 }), /invalid value for trackingUri: must be a string/);
  assert.throws(() => mlflow.init({ experimentId: 42 }), /experimentId: must be a string/);
  assert.throws(
    () => mlflow.init({ trackingUri: "http://127.0.0.1:1", experimentId: "1", experimentName: "x" }),
    /experimentName: give experimentId or experimentName, not both/,
  );
  assert.throws(() => mlflow.init({ trackingUri: "http://127.0.0.1:1", experimentId: " " }), /experimentId: must not be empty/);
  assert.throws(() => mlflow.init({ trackingServerToken: {} }), /trackingServerToken: must be a string/);
  assert.throws(() => mlflow.init("http://127.0.0.1:5000"), TypeError);
  assert.deepEqual(settings(), before);
});

test("init applies the options; calling it again replaces them; no server is the local store", async () => {
  await restoring(() => {
    mlflow.init({ trackingUri: "http://127.0.0.1:1/", experimentName: "first" });
    assert.deepEqual(settings(), {
      trackingUri: "http://127.0.0.1:1", experimentId: null, experimentName: "first", destination: "memory",
    });
    mlflow.init({ trackingUri: "http://127.0.0.1:2", experimentId: "7" });
    assert.deepEqual(settings(), {
      trackingUri: "http://127.0.0.1:2", experimentId: "7", experimentName: null, destination: "memory",
    });
    // Credentials given in the URI never show in the settings.
    mlflow.init({ trackingUri: "http://bob:pw@127.0.0.1:3" });
    assert.equal(settings().trackingUri, "http://127.0.0.1:3");
    assert.ok(!JSON.stringify(mlflow.getConfig()).includes("pw"));
    // No URI at all (nothing given, none in the environment): MLflow throws; ferrotrace keeps
    // what it had, and without any it is the local store.
    mlflow.configure({ trackingUri: "" });
    mlflow.init();
    assert.equal(settings().trackingUri, null);
  });
});

test("init falls back to the environment as it is when called", async () => {
  await restoring(() => {
    try {
      process.env.MLFLOW_TRACKING_URI = "http://127.0.0.1:4";
      process.env.MLFLOW_EXPERIMENT_ID = "12";
      process.env.MLFLOW_EXPERIMENT_NAME = "ignored-when-an-id-is-set";
      mlflow.init();
      assert.deepEqual(settings(), { trackingUri: "http://127.0.0.1:4", experimentId: "12", experimentName: null, destination: "memory" });
      // An option wins over its variable.
      mlflow.init({ experimentName: "named" });
      assert.deepEqual(settings(), { trackingUri: "http://127.0.0.1:4", experimentId: null, experimentName: "named", destination: "memory" });
      // An unusable variable is skipped (with a warning), never thrown: the option is what counts.
      process.env.MLFLOW_TRACKING_URI = "file:///tmp/x";
      mlflow.init({ experimentName: "still-named" });
      assert.equal(settings().trackingUri, "http://127.0.0.1:4");
    } finally {
      for (const k of ["MLFLOW_TRACKING_URI", "MLFLOW_EXPERIMENT_ID", "MLFLOW_EXPERIMENT_NAME"]) delete process.env[k];
    }
  });
});

test("logFeedback and logExpectation check their arguments before any request", async () => {
  const traceId = "tr-0123456789abcdef0123456789abcdef";
  await assert.rejects(mlflow.logFeedback({ traceId, name: "x" }), { message: "logFeedback requires `value` or `error`." });
  await assert.rejects(mlflow.logFeedback({ traceId, value: null, error: "" }), /requires `value` or `error`/);
  await assert.rejects(mlflow.logFeedback({ value: 1 }), { message: "logFeedback requires `traceId`." });
  await assert.rejects(
    mlflow.logFeedback({ traceId, value: 1, source: { sourceType: "ROBOT" } }),
    { message: "Invalid assessment source type: ROBOT. Valid source types: SOURCE_TYPE_UNSPECIFIED, HUMAN, LLM_JUDGE, CODE" },
  );
  await assert.rejects(mlflow.logExpectation({ traceId, name: "x" }), { message: "logExpectation requires `value`." });
  await assert.rejects(mlflow.logExpectation({ traceId, value: 1 }), { message: "logExpectation requires `name`." });
  // Valid, but no server is configured: says what to do.
  assert.equal(mlflow.getConfig().trackingUri, null);
  await assert.rejects(
    mlflow.logFeedback({ traceId, value: 1, source: { sourceType: "human" } }),
    /logFeedback needs an MLflow tracking server: call init\(\{ trackingUri \}\) or set MLFLOW_TRACKING_URI/,
  );
  await assert.rejects(mlflow.logExpectation({ traceId, name: "x", value: 1 }), /logExpectation needs an MLflow tracking server/);
  await assert.rejects(mlflow.setTraceTag(traceId, "k", "v"), /setTraceTag needs an MLflow tracking server/);
  await assert.rejects(mlflow.deleteTraceTag(traceId, "k"), /deleteTraceTag needs an MLflow tracking server/);
});

test("AssessmentSourceType is MLflow's, AI_JUDGE included as deprecated", () => {
  assert.deepEqual(
    { ...mlflow.AssessmentSourceType },
    { SOURCE_TYPE_UNSPECIFIED: "SOURCE_TYPE_UNSPECIFIED", HUMAN: "HUMAN", LLM_JUDGE: "LLM_JUDGE", CODE: "CODE", AI_JUDGE: "AI_JUDGE" },
  );
});
