// The span object, trace updates, flushing, stats, configuration and the local store.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";

import { attr, mlflow, oneTrace, sleep, span } from "./helpers.mjs";

const { withSpan, trace, SpanEvent, SpanStatus, SpanStatusCode, SpanType } = mlflow;

/** Captures console.warn calls made by `fn`. */
async function warnings(fn) {
  const seen = [];
  const orig = console.warn;
  console.warn = (...a) => seen.push(a.join(" "));
  try {
    await fn();
  } finally {
    console.warn = orig;
  }
  return seen;
}

test("getCurrentActiveSpan is null outside and the innermost span inside", async () => {
  assert.equal(mlflow.getCurrentActiveSpan(), null);
  await oneTrace(() =>
    withSpan(async (outer) => {
      assert.equal(mlflow.getCurrentActiveSpan(), outer);
      await withSpan(async (inner) => {
        await sleep(1);
        assert.equal(mlflow.getCurrentActiveSpan(), inner);
      }, { name: "inner" });
      assert.equal(mlflow.getCurrentActiveSpan(), outer);
    }, { name: "outer" }),
  );
  assert.equal(mlflow.getCurrentActiveSpan(), null);
});

test("span setters and getters", async () => {
  let s;
  const { trace: t } = await oneTrace(() =>
    withSpan((span) => {
      s = span;
      span.setInputs({ q: "hi" });
      span.setAttribute("model", "m-1");
      span.setAttributes({ temperature: 0.5, tags: ["a"] });
      span.setSpanType(SpanType.CHAT_MODEL);
      span.addEvent(new SpanEvent({ name: "retry", attributes: { attempt: 2 }, timestamp: 1_700_000_000_000_000_123n }));
      assert.deepEqual(span.inputs, { q: "hi" });
      assert.equal(span.outputs, undefined);
      assert.equal(span.getAttribute("model"), "m-1");
      assert.equal(span.attributes.temperature, 0.5);
      assert.equal(span.spanType, "CHAT_MODEL");
      assert.equal(span.status.statusCode, "UNSET");
      assert.equal(span.endTimeNs, null);
      assert.equal(typeof span.startTimeNs, "bigint");
      assert.equal(span.events[0].timestamp, 1_700_000_000_000_000_123n);
      span.setOutputs("bye");
    }, { name: "setters" }),
  );
  // Getters keep working after the span ended.
  assert.equal(s.outputs, "bye");
  assert.equal(s.status.statusCode, "OK");
  assert.equal(typeof s.endTimeNs, "bigint");
  assert.equal(s.name, "setters");
  const st = span(t, "setters");
  assert.equal(attr(st, "model"), "m-1");
  assert.deepEqual(attr(st, "tags"), ["a"]);
  assert.equal(attr(st, "mlflow.spanType"), "CHAT_MODEL");
  assert.deepEqual(st.events[0], { name: "retry", time_unix_nano: st.events[0].time_unix_nano, attributes: { attempt: 2 } });
  assert.equal(BigInt(st.events[0].time_unix_nano) / 1000n, 1_700_000_000_000_000n);
});

test("setStatus, recordException and explicit end", async () => {
  const { trace: t } = await oneTrace(() =>
    withSpan(() => {
      const a = mlflow.startSpan({ name: "manual", spanType: SpanType.TOOL, inputs: { x: 1 } });
      a.setStatus(SpanStatusCode.ERROR, "gave up");
      a.end({ outputs: { y: 2 }, attributes: { extra: true } });
      a.end(); // twice: no-op
      a.setAttribute("late", 1); // after end: ignored
      const b = mlflow.startSpan({ name: "excepted" });
      b.recordException(new SyntaxError("bad json"));
      b.end({ status: new SpanStatus(SpanStatusCode.ERROR, "custom") });
      const c = mlflow.startSpan({ name: "timed", startTimeNs: 1_000_000_000_000_000_000n });
      c.end({ endTimeNs: 1_000_000_000_500_000_000n });
      return "done";
    }, { name: "parent" }),
  );
  const a = span(t, "manual");
  assert.equal(a.status.code, "STATUS_CODE_ERROR");
  assert.equal(a.status.message, "gave up");
  assert.deepEqual(attr(a, "mlflow.spanOutputs"), { y: 2 });
  assert.equal(attr(a, "extra"), true);
  assert.equal(attr(a, "late"), undefined);
  assert.equal(span(t, "parent").span_id, a.parent_span_id);
  const b = span(t, "excepted");
  assert.equal(b.status.message, "custom");
  assert.equal(b.events[0].attributes["exception.type"], "SyntaxError");
  const c = span(t, "timed");
  assert.equal(c.end_time_unix_nano - c.start_time_unix_nano, 500_000_000);
});

test("updateCurrentTrace: tags, metadata, client request id, previews, session, user", async () => {
  const f = trace(function handler(req) {
    mlflow.updateCurrentTrace({
      tags: { env: "test", n: 1 },
      metadata: { "app.version": "1.2.3" },
      clientRequestId: "req-42",
      requestPreview: "custom request",
      responsePreview: "custom response",
      sessionId: "session-7",
      user: "alice",
    });
    return req;
  });
  const { trace: t } = await oneTrace(() => f("x"));
  assert.equal(t.info.tags.env, "test");
  assert.equal(t.info.tags.n, "1");
  assert.equal(t.info.trace_metadata["app.version"], "1.2.3");
  assert.equal(t.info.trace_metadata["mlflow.trace.session"], "session-7");
  assert.equal(t.info.trace_metadata["mlflow.trace.user"], "alice");
  assert.equal(t.info.client_request_id, "req-42");
  assert.equal(t.info.request_preview, "custom request");
  assert.equal(t.info.response_preview, "custom response");
  // process metadata, set once at load
  assert.equal(t.info.trace_metadata["mlflow.source.type"], "LOCAL");
  assert.ok(t.info.trace_metadata["mlflow.source.name"]);
  assert.ok(t.info.trace_metadata["mlflow.user"]);
});

test("updateCurrentTrace warns outside a span and after the trace ended", async () => {
  const outside = await warnings(() => mlflow.updateCurrentTrace({ tags: { a: "b" } }));
  assert.equal(outside.length, 1);
  assert.match(outside[0], /no active trace/);
  // A timer started inside a span runs in its context after the trace has ended.
  const after = await new Promise((resolve) => {
    withSpan(() => {
      setTimeout(() => resolve(warnings(() => mlflow.updateCurrentTrace({ tags: { a: "b" } }))), 5);
    }, { name: "ended" });
  });
  assert.equal(after.length, 1);
  assert.match(after[0], /already ended/);
  assert.throws(
    () => withSpan(() => mlflow.updateCurrentTrace({ requestPreview: 5 }), { name: "bad" }),
    /requestPreview/,
  );
});

test("getLastActiveTraceId follows the most recent trace", async () => {
  const { trace: t1 } = await oneTrace(() => withSpan(() => 1, { name: "first" }));
  assert.equal(mlflow.getLastActiveTraceId(), t1.info.trace_id);
  const { trace: t2 } = await oneTrace(() => withSpan(() => 2, { name: "second" }));
  assert.equal(mlflow.getLastActiveTraceId(), t2.info.trace_id);
  assert.notEqual(t1.info.trace_id, t2.info.trace_id);
});

test("flushTraces resolves after delivery; stats count it", async () => {
  const before = mlflow.stats();
  mlflow.testing.clearMemoryTraces();
  const f = trace(function many(i) { return i; });
  for (let i = 0; i < 50; i++) f(i);
  const p = mlflow.flushTraces();
  assert.ok(p instanceof Promise);
  assert.equal(await p, true);
  assert.equal(mlflow.testing.memoryTraces().length, 50);
  const after = mlflow.stats();
  assert.equal(after.traces_exported - before.traces_exported, 50);
  assert.equal(after.spans_started - before.spans_started, 50);
  assert.equal(after.queue_depth, 0);
  assert.equal(after.traces_dropped, 0);
  for (const k of ["spans_ended", "traces_started", "export_batches", "dropped_traces"]) assert.ok(k in after);
  // Delivery counters: nothing spilled or replayed with the memory destination, queue empty.
  assert.equal(after.traces_spilled, 0);
  assert.equal(after.traces_replayed, 0);
  assert.equal(after.queue_bytes, 0);
  for (const k of ["export_retries", "traces_pending", "export_latency_us_max"]) assert.ok(k in after);
});

test("token usage on LLM spans is summed into trace metadata", async () => {
  const llm = trace(function llm(p) {
    mlflow.getCurrentActiveSpan().setAttribute("mlflow.chat.tokenUsage", { input_tokens: 3, output_tokens: 4, total_tokens: 7 });
    return p;
  }, { spanType: SpanType.LLM });
  const { trace: t } = await oneTrace(() => withSpan(() => [llm("a"), llm("b")], { name: "agent" }));
  assert.deepEqual(JSON.parse(t.info.trace_metadata["mlflow.trace.tokenUsage"]), {
    input_tokens: 6, output_tokens: 8, total_tokens: 14,
  });
});

test("configure switches to a local store folder and back", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferrotrace-node-"));
  try {
    mlflow.configure({ destination: "local", localDir: dir });
    assert.equal(mlflow.getConfig().destination, "local");
    const f = trace(function stored(x) { return x + 1; });
    f(1);
    const id = mlflow.getLastActiveTraceId();
    assert.equal(await mlflow.flushTraces(), true);
    const { traces, warnings } = mlflow.testing.readLocalStore(dir);
    assert.deepEqual(warnings, []);
    assert.equal(traces.length, 1);
    assert.equal(traces[0].info.trace_id, id);
    assert.equal(attr(traces[0].data.spans[0], "mlflow.spanOutputs"), 2);
  } finally {
    mlflow.configure({ destination: "memory" });
    fs.rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(mlflow.getConfig().destination, "memory");
});

test("configure rejects invalid values naming the setting", () => {
  assert.throws(() => mlflow.configure({ samplingRatio: 2 }), /samplingRatio/);
  assert.throws(() => mlflow.configure({ destination: "cloud" }), /destination/);
  assert.throws(() => mlflow.configure({ exitTimeout: -1 }), /exitTimeout/);
});

test("CAPS come from the core", () => {
  assert.equal(mlflow.CAPS.max_depth, 64);
  assert.equal(mlflow.CAPS.max_string_chars, 65536);
  assert.equal(mlflow.CAPS.max_items, 10000);
  assert.equal(mlflow.CAPS.max_value_bytes, 1048576);
});
