// getTrace in this process (memory destination), and the assessment calls' errors without a
// server. Against a real server: mlflow_flows.test.mjs.
import assert from "node:assert/strict";
import { test } from "node:test";

import { clearMemory, mlflow } from "./helpers.mjs";

const { trace, getTrace, SpanType } = mlflow;

test("getTrace returns a finished trace of this process as MLflow's Trace, TraceInfo and Span", async () => {
  await clearMemory();
  const llm = trace(function llm(prompt) {
    mlflow.getCurrentActiveSpan().setAttribute("mlflow.chat.tokenUsage", { input_tokens: 2, output_tokens: 1, total_tokens: 3 });
    return { text: "hi " + prompt };
  }, { spanType: SpanType.LLM });
  const failing = trace(function failing() {
    throw new TypeError("nope");
  });
  const agent = trace(function agent(q) {
    mlflow.updateCurrentTrace({ tags: { env: "test" }, clientRequestId: "req-1" });
    try {
      failing();
    } catch {
      // recovered
    }
    return llm(q).text;
  }, { spanType: SpanType.AGENT });
  agent("you");
  const id = mlflow.getLastActiveTraceId();
  const t = await getTrace(id);
  assert.ok(t instanceof mlflow.Trace);
  assert.ok(t.info instanceof mlflow.TraceInfo);
  assert.equal(t.info.traceId, id);
  assert.equal(t.info.state, "OK");
  assert.equal(t.info.tags.env, "test");
  assert.equal(t.info.tags["mlflow.traceName"], "agent");
  assert.equal(t.info.clientRequestId, "req-1");
  assert.equal(t.info.requestPreview, '{"q":"you"}');
  assert.deepEqual(t.info.tokenUsage, { input_tokens: 2, output_tokens: 1, total_tokens: 3 });
  assert.ok(Math.abs(t.info.requestTime - Date.now()) < 60_000);
  assert.ok(t.info.executionDuration >= 0);
  assert.deepEqual(t.info.assessments, []);
  const [root, bad, child] = t.data.spans;
  assert.deepEqual(t.data.spans.map((s) => s.name), ["agent", "failing", "llm"]);
  assert.ok(root instanceof mlflow.Span);
  assert.equal(root.parentId, null);
  assert.equal(child.parentId, root.spanId);
  assert.match(child.spanId, /^[0-9a-f]{16}$/);
  assert.equal(child.traceId, id);
  assert.equal(child.spanType, "LLM");
  assert.deepEqual(child.inputs, { prompt: "you" });
  assert.deepEqual(child.outputs, { text: "hi you" });
  assert.deepEqual(child.getAttribute("mlflow.chat.tokenUsage"), { input_tokens: 2, output_tokens: 1, total_tokens: 3 });
  assert.equal(child.attributes["mlflow.spanType"], "LLM");
  assert.equal(root.status.statusCode, mlflow.SpanStatusCode.OK);
  assert.equal(bad.status.statusCode, mlflow.SpanStatusCode.ERROR);
  assert.equal(bad.status.description, "TypeError: nope");
  assert.deepEqual(bad.events.map((e) => e.name), ["exception"]);
  assert.equal(bad.events[0].attributes["exception.type"], "TypeError");
  assert.equal(typeof bad.events[0].timestamp, "bigint");
  // Nanosecond times are exact bigints (JSON numbers would round them).
  assert.equal(typeof root.startTimeNs, "bigint");
  assert.ok(root.endTimeNs > root.startTimeNs);
  assert.ok(root.startTimeNs > 1_600_000_000_000_000_000n);
  assert.deepEqual(root.startTime, [Number(root.startTimeNs / 1_000_000_000n), Number(root.startTimeNs % 1_000_000_000n)]);
  assert.equal(root.toJson().name, "agent");
  assert.equal(t.toJson().info.trace_id, id);
});

test("getTrace resolves null for an unknown or malformed id (a warning unless silent), never rejects", async () => {
  const warnings = [];
  const warn = console.warn;
  console.warn = (m) => warnings.push(String(m));
  try {
    assert.equal(await getTrace("tr-0123456789abcdef0123456789abcdef"), null);
    assert.equal(await getTrace("not-a-trace-id"), null);
    assert.equal(await getTrace("tr-0123456789abcdef0123456789abcdef", { silent: true }), null);
  } finally {
    console.warn = warn;
  }
  assert.equal(warnings.length, 2, warnings.join("\n"));
  assert.match(warnings[0], /tr-0123456789abcdef0123456789abcdef was not found/);
  assert.match(warnings[1], /not a trace id/);
});

test("assessment calls reject clearly without a server or without ids", async () => {
  const id = "tr-0123456789abcdef0123456789abcdef";
  await assert.rejects(mlflow.getAssessment(id, "a-1"), /getAssessment needs an MLflow tracking server/);
  await assert.rejects(mlflow.deleteAssessment(id, "a-1"), /deleteAssessment needs an MLflow tracking server/);
  await assert.rejects(mlflow.updateAssessment(id, "a-1", { value: 1 }), /updateAssessment needs an MLflow tracking server/);
  await assert.rejects(
    mlflow.overrideFeedback({ traceId: id, assessmentId: "a-1", value: 1 }),
    /overrideFeedback needs an MLflow tracking server/,
  );
  await assert.rejects(mlflow.getAssessment(id, ""), /getAssessment requires `assessmentId`/);
  await assert.rejects(mlflow.deleteAssessment("", "a-1"), /deleteAssessment requires `traceId`/);
  await assert.rejects(mlflow.overrideFeedback({ traceId: id, assessmentId: "a-1" }), /overrideFeedback requires `value`/);
  await assert.rejects(
    mlflow.overrideFeedback({ traceId: id, assessmentId: "a-1", value: 1, source: { sourceType: "ROBOT" } }),
    /Invalid assessment source type: ROBOT/,
  );
});
