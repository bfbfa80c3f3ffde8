// startSpan (detached spans, explicit parents, no-op fallback), the rest of the span object
// (links, log level, times, toJson, status forms) and MLflow's constants.
import assert from "node:assert/strict";
import { test } from "node:test";

import { attr, collect, hex, mlflow, oneTrace, parentName, span } from "./helpers.mjs";

const { startSpan, withSpan, getCurrentActiveSpan, SpanLogLevel, SpanStatusCode, SpanType } = mlflow;

test("startSpan is never made current; an explicit parent wins over the current span", async () => {
  const { trace: t } = await oneTrace(() =>
    withSpan((outer) => {
      const a = startSpan({ name: "a", spanType: SpanType.TOOL, inputs: { x: 1 }, attributes: { k: "v" } });
      assert.equal(getCurrentActiveSpan(), outer, "startSpan does not change the current span");
      // Explicit parent: a child of `a`, not of the current span.
      const b = startSpan({ name: "b", parent: a, startTimeNs: 1_700_000_000_000_000_000n });
      assert.equal(b.parentId, a.spanId);
      assert.equal(b.traceId, a.traceId);
      b.end({ outputs: "b-out", endTimeNs: 1_700_000_000_500_000_000n });
      a.end({ outputs: { y: 2 }, status: "OK" });
    }, { name: "outer" }),
  );
  const a = span(t, "a");
  const b = span(t, "b");
  assert.equal(parentName(t, a), "outer");
  assert.equal(parentName(t, b), "a");
  assert.deepEqual(attr(a, "mlflow.spanInputs"), { x: 1 });
  assert.equal(attr(a, "k"), "v");
  assert.equal(attr(a, "mlflow.spanType"), "TOOL");
  assert.equal(attr(b, "mlflow.spanOutputs"), "b-out");
  assert.equal(b.end_time_unix_nano - b.start_time_unix_nano, 500_000_000);
});

test("a root startSpan outside any span is its own trace, ended by end()", async () => {
  const { trace: t } = await oneTrace(() => {
    const root = startSpan({ name: "job" });
    assert.equal(root.parentId, null);
    assert.equal(getCurrentActiveSpan(), null);
    const child = startSpan({ name: "step", parent: root });
    child.end();
    root.end({ outputs: 1 });
  });
  assert.equal(t.data.spans.length, 2);
  assert.equal(t.info.trace_id, hex(t.data.spans[0].trace_id).replace(/^/, "tr-"));
  assert.equal(parentName(t, span(t, "step")), "job");
});

test("a span that cannot start is a no-op: every method works, nothing is stored", async () => {
  const { traces } = await collect(() => {
    // Not a span: starting the child fails inside, and a no-op comes back instead of a throw.
    const bad = startSpan({ name: "orphan", parent: { _native: {} } });
    assert.equal(bad.traceId, mlflow.NO_OP_SPAN_TRACE_ID);
    assert.equal(bad.spanId, "");
    // Children of a no-op are no-ops, not new traces.
    const child = startSpan({ name: "child", parent: bad });
    assert.equal(child.traceId, mlflow.NO_OP_SPAN_TRACE_ID);
    for (const s of [bad, child]) {
      s.setInputs(1);
      s.setOutputs(2);
      s.setAttribute("a", 1);
      s.setLogLevel(SpanLogLevel.ERROR);
      s.addLink({ traceId: "tr-" + "1".repeat(32), spanId: "2".repeat(16) });
      s.recordException(new Error("x"));
      s.setStatus("ERROR", "x");
      assert.deepEqual(s.toJson(), {});
      assert.deepEqual(s.links, []);
      s.end();
    }
  });
  assert.equal(traces.length, 0);
});

test("the span object: log level, links, HrTime, status forms, toJson", async () => {
  let live;
  const { trace: t } = await oneTrace(() =>
    withSpan((s) => {
      live = s;
      assert.equal(s.logLevel, undefined);
      s.setLogLevel(SpanLogLevel.WARNING);
      assert.equal(s.logLevel, 30);
      s.setLogLevel("critical");
      assert.equal(s.logLevel, SpanLogLevel.CRITICAL);
      s.addLink({ traceId: "tr-" + "a".repeat(32), spanId: "b".repeat(16), attributes: { why: "batch" } });
      // OpenTelemetry's shape, and a bare 32-hex trace id.
      s.addLink({ context: { traceId: "c".repeat(32), spanId: "d".repeat(16) } });
      assert.deepEqual(s.links, [
        { traceId: "tr-" + "a".repeat(32), spanId: "b".repeat(16), attributes: { why: "batch" } },
        { traceId: "tr-" + "c".repeat(32), spanId: "d".repeat(16), attributes: {} },
      ]);
      const [sec, nanos] = s.startTime;
      assert.equal(BigInt(sec) * 1_000_000_000n + BigInt(nanos), s.startTimeNs);
      assert.equal(s.endTime, null);
      s.setStatus("ERROR", "handled");
      assert.equal(s.status.statusCode, SpanStatusCode.ERROR);
      s.setStatus(new mlflow.SpanStatus(SpanStatusCode.OK));
      s.setStatus("UNSET");
      assert.equal(s.status.statusCode, "UNSET");
      s.setInputs({ q: "hi" });
      const json = s.toJson();
      assert.equal(json.name, "parts");
      assert.equal(json.end_time_unix_nano, null);
      assert.equal(typeof json.start_time_unix_nano, "bigint");
      assert.equal(json.start_time_unix_nano, s.startTimeNs);
      assert.equal(hex(json.span_id), s.spanId);
      assert.equal(json.attributes["mlflow.spanInputs"], '{"q":"hi"}');
      return "done";
    }, { name: "parts", spanType: SpanType.LLM }),
  );
  // After end: getters keep working; UNSET became OK.
  assert.equal(live.status.statusCode, "OK");
  assert.equal(live.endTime[0] * 1e9 + live.endTime[1] > 0, true);
  assert.deepEqual(live.toJson().end_time_unix_nano, live.endTimeNs);
  const s = t.data.spans[0];
  assert.equal(attr(s, "mlflow.spanLogLevel"), 50);
  assert.deepEqual(s.links, [
    { trace_id: "tr-" + "a".repeat(32), span_id: "b".repeat(16), attributes: { why: "batch" } },
    { trace_id: "tr-" + "c".repeat(32), span_id: "d".repeat(16), attributes: {} },
  ]);
  // What toJson gives after the end is what was stored (times aside: bigint there).
  const json = live.toJson();
  for (const key of ["trace_id", "span_id", "parent_span_id", "name", "status", "attributes", "events", "links"]) {
    assert.deepEqual(json[key], s[key], key);
  }
});

test("invalid log levels and links warn and change nothing", async () => {
  const seen = [];
  const orig = console.warn;
  console.warn = (...a) => seen.push(a.join(" "));
  try {
    await oneTrace(() =>
      withSpan((s) => {
        s.setLogLevel("LOUD");
        s.addLink({ traceId: "nope", spanId: "x" });
        assert.equal(s.logLevel, undefined);
        assert.deepEqual(s.links, []);
      }),
    );
  } finally {
    console.warn = orig;
  }
  assert.equal(seen.length, 2);
  assert.match(seen[0], /invalid log level "LOUD"/);
  assert.match(seen[1], /invalid span link ignored/);
});

test("constants are the keys the core writes", async () => {
  const { SpanAttributeKey: A, TraceMetadataKey: M, TraceTagKey: T, TokenUsageKey: U } = mlflow;
  assert.equal(mlflow.TRACE_ID_PREFIX, "tr-");
  assert.equal(mlflow.TRACE_ID_V4_PREFIX, "trace:/");
  const { trace: long } = await oneTrace(() => mlflow.trace(function big(text) { return text; })("x".repeat(5000)));
  assert.equal(long.info.request_preview.length, mlflow.REQUEST_RESPONSE_PREVIEW_MAX_LENGTH);
  assert.equal(long.info.response_preview.length, mlflow.REQUEST_RESPONSE_PREVIEW_MAX_LENGTH);
  assert.equal(mlflow.DEFAULT_SPAN_NAME, "span");
  assert.equal(mlflow.NO_OP_SPAN_TRACE_ID, "no-op-span-trace-id");
  assert.deepEqual(
    [SpanLogLevel.DEBUG, SpanLogLevel.INFO, SpanLogLevel.WARNING, SpanLogLevel.ERROR, SpanLogLevel.CRITICAL],
    [10, 20, 30, 40, 50],
  );
  assert.ok(Object.isFrozen(A));
  const { trace: t } = await oneTrace(() =>
    mlflow.trace(function answer(q) {
      mlflow.updateCurrentTrace({ sessionId: "s", user: "u" });
      withSpan((s) => {
        s.setAttribute(A.TOKEN_USAGE, { [U.INPUT_TOKENS]: 3, [U.OUTPUT_TOKENS]: 4, [U.TOTAL_TOKENS]: 7 });
      }, { spanType: SpanType.LLM });
      return q;
    })("x"),
  );
  const root = span(t, "answer");
  const llm = span(t, mlflow.DEFAULT_SPAN_NAME);
  assert.deepEqual(attr(root, A.INPUTS), { q: "x" });
  assert.equal(attr(root, A.OUTPUTS), "x");
  assert.equal(attr(root, A.TRACE_ID), t.info.trace_id);
  assert.equal(A.REQUEST_ID, A.TRACE_ID);
  assert.equal(attr(llm, A.SPAN_TYPE), "LLM");
  assert.equal(attr(llm, A.LOG_LEVEL), SpanLogLevel.INFO);
  assert.equal(attr(root, A.LOG_LEVEL), SpanLogLevel.DEBUG);
  assert.ok(t.info.trace_id.startsWith(mlflow.TRACE_ID_PREFIX));
  const meta = t.info.trace_metadata;
  assert.equal(meta[M.SCHEMA_VERSION], mlflow.TRACE_SCHEMA_VERSION);
  assert.equal(meta[M.TRACE_SESSION], "s");
  assert.equal(meta[M.TRACE_USER], "u");
  assert.equal(JSON.parse(meta[M.TOKEN_USAGE])[U.TOTAL_TOKENS], 7);
  assert.equal(meta[M.INPUTS], '{"q":"x"}');
  assert.equal(meta[M.OUTPUTS], '"x"');
  assert.equal(t.info.tags[T.TRACE_NAME], "answer");
});
