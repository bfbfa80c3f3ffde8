// trace() and withSpan(): span trees, names, types, inputs, outputs, errors, `this`, ids.
import assert from "node:assert/strict";
import { test } from "node:test";

import { attr, hex, mlflow, oneTrace, parentName, sleep, span } from "./helpers.mjs";

const { trace, withSpan, SpanType } = mlflow;

test("nested async calls across await form one tree", async () => {
  const retrieve = trace(async function retrieve(query) {
    await sleep(2);
    return [`doc about ${query}`];
  }, { spanType: SpanType.RETRIEVER });
  const llm = trace(async function llm(prompt) {
    await sleep(1);
    return `answer to ${prompt}`;
  }, { spanType: "LLM" });
  const agent = trace(async function agent(question) {
    const docs = await retrieve(question);
    await sleep(1);
    return llm(`${question} ${docs.length}`);
  }, { spanType: SpanType.AGENT });

  const { trace: t, result } = await oneTrace(() => agent("rust"));
  assert.equal(result, "answer to rust 1");
  assert.deepEqual(t.data.spans.map((s) => s.name).sort(), ["agent", "llm", "retrieve"]);
  assert.equal(parentName(t, span(t, "agent")), null);
  assert.equal(parentName(t, span(t, "retrieve")), "agent");
  assert.equal(parentName(t, span(t, "llm")), "agent");
  assert.equal(attr(span(t, "agent"), "mlflow.spanType"), "AGENT");
  assert.equal(attr(span(t, "retrieve"), "mlflow.spanType"), "RETRIEVER");
  assert.equal(attr(span(t, "llm"), "mlflow.spanType"), "LLM");
  assert.deepEqual(attr(span(t, "retrieve"), "mlflow.spanInputs"), { query: "rust" });
  assert.deepEqual(attr(span(t, "retrieve"), "mlflow.spanOutputs"), ["doc about rust"]);
  assert.equal(attr(span(t, "agent"), "mlflow.spanOutputs"), "answer to rust 1");
  assert.equal(t.info.state, "OK");
  assert.equal(t.info.tags["mlflow.traceName"], "agent");
  for (const s of t.data.spans) assert.equal(s.status.code, "STATUS_CODE_OK");
});

test("concurrent traces keep their own context", async () => {
  const child = trace(async function child(i) {
    await sleep(3 - i);
    return i;
  });
  const root = trace(async function root(i) {
    await sleep(i);
    return child(i);
  });
  mlflow.testing.clearMemoryTraces();
  await Promise.all([root(0), root(1), root(2)]);
  await mlflow.flushTraces();
  const traces = mlflow.testing.memoryTraces();
  assert.equal(traces.length, 3);
  for (const t of traces) {
    const r = span(t, "root");
    const c = span(t, "child");
    assert.equal(c.parent_span_id, r.span_id);
    assert.deepEqual(attr(r, "mlflow.spanInputs"), attr(c, "mlflow.spanInputs"));
  }
});

test("inputs are keyed by parameter names; destructured and rest are skipped", async () => {
  const f = trace(function f(a, { b }, c = Math.max(1, 2), ...rest) {
    return a + b + c + rest.length;
  });
  const { trace: t, result } = await oneTrace(() => f(1, { b: 2 }, 3, 4, 5));
  assert.equal(result, 8);
  assert.deepEqual(attr(span(t, "f"), "mlflow.spanInputs"), { a: 1, c: 3 });

  const arrow = trace((x, y) => x * y, { name: "mul" });
  const { trace: t2 } = await oneTrace(() => arrow(6, 7));
  assert.deepEqual(attr(span(t2, "mul"), "mlflow.spanInputs"), { x: 6, y: 7 });
  assert.equal(attr(span(t2, "mul"), "mlflow.spanOutputs"), 42);

  const bare = trace(async (s) => s.toUpperCase(), { name: "bare" });
  const { trace: t3 } = await oneTrace(() => bare("q"));
  assert.deepEqual(attr(span(t3, "bare"), "mlflow.spanInputs"), { s: "q" });
});

test("arguments fall back to {args: [...]} when no parameter has a name", async () => {
  const f = trace(({ a }, [b]) => a + b, { name: "destructured" });
  const { trace: t } = await oneTrace(() => f({ a: 1 }, [2]));
  assert.deepEqual(attr(span(t, "destructured"), "mlflow.spanInputs"), { args: [{ a: 1 }, [2]] });
  const bound = trace(function (x) { return x; }.bind(null), { name: "bound" });
  const { trace: t2 } = await oneTrace(() => bound(9));
  assert.deepEqual(attr(span(t2, "bound"), "mlflow.spanInputs"), { args: [9] });
});

test("a throw is recorded as ERROR plus an exception event and rethrown unchanged", async () => {
  class QuotaError extends Error {
    constructor(m) {
      super(m);
      this.name = "QuotaError";
    }
  }
  const thrown = new QuotaError("out of tokens");
  const f = trace(function fails(x) {
    throw thrown;
  });
  const { trace: t } = await oneTrace(() => {
    assert.throws(() => f(1), (e) => e === thrown);
  });
  const s = span(t, "fails");
  assert.equal(s.status.code, "STATUS_CODE_ERROR");
  assert.equal(s.status.message, "QuotaError: out of tokens");
  const ev = s.events.find((e) => e.name === "exception");
  assert.equal(ev.attributes["exception.type"], "QuotaError");
  assert.equal(ev.attributes["exception.message"], "out of tokens");
  assert.match(ev.attributes["exception.stacktrace"], /QuotaError: out of tokens\n\s+at /);
  assert.equal(attr(s, "mlflow.spanOutputs"), undefined);
  assert.equal(t.info.state, "ERROR");
});

test("a rejection is recorded and the same error rejects the caller", async () => {
  const err = new TypeError("bad input");
  const f = trace(async function rejects() {
    await sleep(1);
    throw err;
  });
  const { trace: t } = await oneTrace(async () => {
    await assert.rejects(f(), (e) => e === err);
  });
  const s = span(t, "rejects");
  assert.equal(s.status.message, "TypeError: bad input");
  assert.equal(s.events[0].attributes["exception.type"], "TypeError");
});

test("non-Error throws are recorded too", async () => {
  const f = trace(function throwsString() {
    throw "plain string";
  });
  const { trace: t } = await oneTrace(() => assert.throws(() => f(), (e) => e === "plain string"));
  assert.equal(span(t, "throwsString").status.message, "string: plain string");
});

test("a caught child error leaves the parent OK", async () => {
  let calls = 0;
  const flaky = trace(function flaky() {
    if (calls++ === 0) throw new Error("first try fails");
    return "ok";
  });
  const parent = trace(function parent() {
    try {
      return flaky();
    } catch {
      return flaky();
    }
  });
  const { trace: t } = await oneTrace(() => parent());
  const flakies = t.data.spans.filter((s) => s.name === "flaky");
  assert.deepEqual(flakies.map((s) => s.status.code).sort(), ["STATUS_CODE_ERROR", "STATUS_CODE_OK"]);
  assert.equal(span(t, "parent").status.code, "STATUS_CODE_OK");
  assert.equal(t.info.state, "OK");
});

test("this, name, length and own properties are preserved", async () => {
  const obj = {
    factor: 3,
    scale: trace(function scale(x, y) {
      return this.factor * x + y;
    }),
  };
  assert.equal(obj.scale.name, "scale");
  assert.equal(obj.scale.length, 2);
  const { result } = await oneTrace(() => obj.scale(2, 1));
  assert.equal(result, 7);

  function withProp(a) { return a; }
  withProp.meta = "kept";
  assert.equal(trace(withProp).meta, "kept");

  class Service {
    constructor() { this.prefix = "svc"; }
    async run(q) { return `${this.prefix}:${q}`; }
  }
  Service.prototype.run = trace(Service.prototype.run, { spanType: SpanType.TOOL });
  const { trace: t, result: r2 } = await oneTrace(() => new Service().run("x"));
  assert.equal(r2, "svc:x");
  assert.equal(span(t, "run").name, "run");
});

test("outputs set in the body win over the return value", async () => {
  const f = trace(function f() {
    mlflow.getCurrentActiveSpan().setOutputs({ custom: true });
    return "ignored";
  });
  const { trace: t, result } = await oneTrace(() => f());
  assert.equal(result, "ignored");
  assert.deepEqual(attr(span(t, "f"), "mlflow.spanOutputs"), { custom: true });
});

test("withSpan accepts callback-first and options-first, default name 'span'", async () => {
  const { trace: t, result } = await oneTrace(() =>
    withSpan(async (root) => {
      root.setInputs({ q: 1 });
      const a = withSpan({ name: "opts-first", spanType: SpanType.PARSER }, (s) => {
        s.setAttribute("k", [1, 2]);
        return "a";
      });
      const b = await withSpan(async () => "b");
      return a + b;
    }, { name: "root", spanType: SpanType.CHAIN }),
  );
  assert.equal(result, "ab");
  assert.deepEqual(attr(span(t, "root"), "mlflow.spanInputs"), { q: 1 });
  assert.equal(attr(span(t, "root"), "mlflow.spanOutputs"), "ab");
  assert.equal(attr(span(t, "opts-first"), "mlflow.spanType"), "PARSER");
  assert.deepEqual(attr(span(t, "opts-first"), "k"), [1, 2]);
  assert.equal(parentName(t, span(t, "span")), "root");
  assert.equal(attr(span(t, "span"), "mlflow.spanType"), "UNKNOWN");
});

test("withSpan records errors and rethrows", async () => {
  const err = new RangeError("too far");
  const { trace: t } = await oneTrace(() =>
    assert.throws(() => withSpan(() => { throw err; }, { name: "boom" }), (e) => e === err),
  );
  assert.equal(span(t, "boom").status.message, "RangeError: too far");
});

test("all span types are stored as given", async () => {
  const types = Object.values(SpanType);
  assert.equal(types.length, 15);
  const { trace: t } = await oneTrace(() =>
    withSpan(() => {
      for (const ty of types) withSpan(() => null, { name: `t-${ty}`, spanType: ty });
    }, { name: "types" }),
  );
  for (const ty of types) assert.equal(attr(span(t, `t-${ty}`), "mlflow.spanType"), ty);
});

test("trace ids are tr- + 32 hex, span ids 16 hex, and match the store", async () => {
  let live;
  const { trace: t } = await oneTrace(() =>
    withSpan((root) => {
      live = root;
      withSpan((c) => {
        assert.equal(c.parentId, root.spanId);
        assert.equal(c.traceId, root.traceId);
      }, { name: "c" });
    }, { name: "r" }),
  );
  assert.match(live.traceId, /^tr-[0-9a-f]{32}$/);
  assert.match(live.spanId, /^[0-9a-f]{16}$/);
  assert.equal(live.parentId, null);
  assert.equal(t.info.trace_id, live.traceId);
  assert.equal(hex(span(t, "r").span_id), live.spanId);
  assert.equal(`tr-${hex(span(t, "r").trace_id)}`, live.traceId);
  assert.equal(mlflow.getLastActiveTraceId(), live.traceId);
});

test("thenables that are not Promises are returned untouched", async () => {
  let thenCalled = false;
  const lazy = { then() { thenCalled = true; } };
  const f = trace(function builder() { return lazy; });
  const { result } = await oneTrace(() => ({ r: f() }));
  assert.equal(result.r, lazy);
  assert.equal(thenCalled, false);
});
