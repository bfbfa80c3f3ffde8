// The one-crossing path of trace(): a span nothing looks at while it runs is started and ended
// natively when the call returns; one that something needs (a child, its ids) starts then.
import assert from "node:assert/strict";
import { test } from "node:test";

import { attr, clearMemory, collect, hex, mlflow, oneTrace, parentName, sleep, span } from "./helpers.mjs";

const { trace, withSpan, getCurrentActiveSpan } = mlflow;

/** Busy-waits `ms` without yielding: the span's duration must cover it. */
function spin(ms) {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

const ns = (s, k) => BigInt(s[k]);

test("a leaf root keeps inputs, outputs, type and a start time taken when the call began", async () => {
  const add = trace(function add(a, b) {
    spin(5);
    return a + b;
  }, { spanType: "TOOL" });
  const before = BigInt(Date.now()) * 1_000_000n;
  const { trace: t, result } = await oneTrace(() => add(2, 3));
  const after = BigInt(Date.now()) * 1_000_000n;
  assert.equal(result, 5);
  const s = span(t, "add");
  assert.deepEqual(attr(s, "mlflow.spanInputs"), { a: 2, b: 3 });
  assert.equal(attr(s, "mlflow.spanOutputs"), 5);
  assert.equal(attr(s, "mlflow.spanType"), "TOOL");
  assert.equal(s.status.code, "STATUS_CODE_OK");
  const [start, end] = [ns(s, "start_time_unix_nano"), ns(s, "end_time_unix_nano")];
  // Wall-clock bounds (ms resolution) and the busy wait inside the call.
  assert.ok(start >= before - 2_000_000n && end <= after + 2_000_000n, `${before} ${start} ${end} ${after}`);
  assert.ok(end - start >= 4_000_000n, `duration ${end - start} ns`);
});

test("leaves nest under a parent that starts natively when its first child starts", async () => {
  const l4 = trace(function l4(x) {
    spin(1);
    return x + 1;
  });
  const l3 = trace(function l3(x) { return l4(x) + 1; });
  const l2 = trace(function l2(x) { return l3(x) + 1; });
  const l1 = trace(function l1(x) { return l2(x) + 1; });
  const { trace: t, result } = await oneTrace(() => l1(0));
  assert.equal(result, 4);
  assert.equal(parentName(t, span(t, "l1")), null);
  assert.equal(parentName(t, span(t, "l2")), "l1");
  assert.equal(parentName(t, span(t, "l3")), "l2");
  assert.equal(parentName(t, span(t, "l4")), "l3");
  for (const [outer, inner] of [["l1", "l2"], ["l2", "l3"], ["l3", "l4"]]) {
    const [o, i] = [span(t, outer), span(t, inner)];
    assert.ok(ns(i, "start_time_unix_nano") >= ns(o, "start_time_unix_nano"), `${inner} starts after ${outer}`);
    assert.ok(ns(i, "end_time_unix_nano") <= ns(o, "end_time_unix_nano"), `${inner} ends before ${outer}`);
    assert.deepEqual(attr(i, "mlflow.spanInputs"), { x: 0 });
  }
  assert.equal(attr(span(t, "l4"), "mlflow.spanOutputs"), 1);
  assert.equal(attr(span(t, "l1"), "mlflow.spanOutputs"), 4);
});

test("a leaf under withSpan and sibling leaves share the trace", async () => {
  const leaf = trace(function leaf(i) { return i * 2; });
  const { trace: t } = await oneTrace(() => withSpan(() => [leaf(1), leaf(2)], { name: "outer" }));
  const leaves = t.data.spans.filter((s) => s.name === "leaf");
  assert.equal(leaves.length, 2);
  for (const l of leaves) assert.equal(l.parent_span_id, span(t, "outer").span_id);
  assert.deepEqual(leaves.map((l) => attr(l, "mlflow.spanOutputs")).sort(), [2, 4]);
});

test("ids read inside a traced call are the stored ones", async () => {
  let seen;
  const f = trace(function f() {
    const s = getCurrentActiveSpan();
    seen = { spanId: s.spanId, traceId: s.traceId, name: s.name };
    return 1;
  });
  const { trace: t } = await oneTrace(() => f());
  const s = span(t, "f");
  assert.equal(seen.spanId, hex(s.span_id));
  assert.equal(seen.traceId, t.info.trace_id);
  assert.equal(seen.name, "f");
});

test("setting outputs or attributes in the body starts the span natively and keeps them", async () => {
  const f = trace(function f() {
    getCurrentActiveSpan().setAttribute("k", "v");
    getCurrentActiveSpan().setOutputs({ custom: true });
    return "ignored";
  });
  const { trace: t } = await oneTrace(() => f());
  assert.equal(attr(span(t, "f"), "k"), "v");
  assert.deepEqual(attr(span(t, "f"), "mlflow.spanOutputs"), { custom: true });
});

test("a throw in a leaf is recorded and rethrown unchanged", async () => {
  const err = new TypeError("bad input");
  const f = trace(function f(x) { throw err; });
  const { trace: t } = await oneTrace(() => {
    assert.throws(() => f(1), (e) => e === err);
  });
  const s = span(t, "f");
  assert.equal(s.status.code, "STATUS_CODE_ERROR");
  assert.equal(s.status.message, "TypeError: bad input");
  assert.deepEqual(attr(s, "mlflow.spanInputs"), { x: 1 });
  assert.equal(attr(s, "mlflow.spanOutputs"), undefined);
  const ev = s.events.find((e) => e.name === "exception");
  assert.equal(ev.attributes["exception.type"], "TypeError");
  assert.equal(ev.attributes["exception.message"], "bad input");
  assert.equal(t.info.state, "ERROR");
});

test("a leaf returning a promise ends when it settles, resolved or rejected", async () => {
  const ok = trace(async function ok(x) {
    await sleep(2);
    return { x };
  });
  const bad = trace(async function bad() {
    await sleep(1);
    throw new RangeError("late");
  });
  const { traces } = await collect(async () => {
    assert.deepEqual(await ok(7), { x: 7 });
    await assert.rejects(bad(), RangeError);
  });
  assert.equal(traces.length, 2);
  const s = traces.map((t) => t.data.spans[0]);
  const okSpan = s.find((x) => x.name === "ok");
  const badSpan = s.find((x) => x.name === "bad");
  assert.deepEqual(attr(okSpan, "mlflow.spanOutputs"), { x: 7 });
  assert.ok(BigInt(okSpan.end_time_unix_nano) - BigInt(okSpan.start_time_unix_nano) >= 1_000_000n);
  assert.equal(badSpan.status.code, "STATUS_CODE_ERROR");
  assert.equal(badSpan.status.message, "RangeError: late");
});

test("a callback that runs after its leaf ended still reads it and nests children under it", async () => {
  const child = trace(function child() { return "c"; });
  let late;
  let done;
  const finished = new Promise((r) => (done = r));
  const leaf = trace(function leaf() {
    setTimeout(() => {
      const s = getCurrentActiveSpan();
      late = { spanId: s.spanId, name: s.name, ended: s.endTimeNs !== null };
      child();
      done();
    }, 1);
    return "l";
  });
  const { trace: t } = await oneTrace(() =>
    withSpan(async () => {
      leaf();
      await finished;
    }, { name: "root" }),
  );
  const l = span(t, "leaf");
  assert.equal(late.spanId, hex(l.span_id));
  assert.equal(late.name, "leaf");
  assert.equal(late.ended, true);
  assert.equal(parentName(t, span(t, "child")), "leaf");
  assert.equal(parentName(t, l), "root");
});

test("the primitive fast paths write exactly what the general capture writes", async () => {
  const path = await import("node:path");
  const { PKG } = await import("./helpers.mjs");
  const { primitiveJson, toJsonText } = await import(path.join(PKG, "dist", "capture.js"));
  const { inputKeys, inputsFor, primitiveInputs } = await import(path.join(PKG, "dist", "params.js"));
  const values = [0, -0, 1.5, -3, 1e21, 1e-7, NaN, Infinity, -Infinity, true, false, null, "", "plain",
    'quo"te', "back\\slash", "tab\there", "é ünïcode ✓", "\u2028", "\ud83d\ude00", "\ud800", "x".repeat(64), "x".repeat(65)];
  for (const v of values) {
    const fast = primitiveJson(v);
    if (fast !== undefined) assert.equal(fast, JSON.stringify(v), `value ${JSON.stringify(String(v))}`);
    assert.equal(toJsonText(v), fast ?? toJsonText([v]).slice(1, -1));
  }
  assert.equal(primitiveJson(undefined), undefined);
  assert.equal(primitiveJson({}), undefined);
  assert.equal(primitiveJson(1n), undefined);
  const names = ["a", "b", "c"];
  const keys = inputKeys(names);
  for (const args of [[], [1], [1, "x"], [1, "x", null], [1, 2, 3, 4], [true, "é", -0]]) {
    assert.equal(primitiveInputs(keys, args, primitiveJson), toJsonText(inputsFor(names, args)));
  }
  // A string that needs escaping leaves the fast path.
  assert.equal(primitiveInputs(keys, [true, 'q"'], primitiveJson), undefined);
  assert.equal(primitiveInputs(keys, [1, undefined], primitiveJson), undefined);
  assert.equal(primitiveInputs(keys, [{ a: 1 }], primitiveJson), undefined);
  assert.equal(inputKeys(["a", null]), null);
  assert.equal(inputKeys(["a", "a"]), null);
  assert.equal(inputKeys(["__proto__"]), null);
  assert.equal(inputKeys([]), null);
});

// Ended leaves reach the core in batches (ts/leaves.ts): nothing that reads the core may see a
// batch still kept in JavaScript, and every leaf keeps its own times.

test("a burst of leaves (several batches and a partial one) is recorded whole and in order", async () => {
  const add = trace(function add(a, b) { return a + b; });
  const { traces } = await collect(() => {
    for (let i = 0; i < 150; i++) add(i, 1);
  });
  assert.equal(traces.length, 150);
  const seen = traces.map((t) => attr(t.data.spans[0], "mlflow.spanInputs").a).sort((x, y) => x - y);
  assert.deepEqual(seen, Array.from({ length: 150 }, (_, i) => i));
  const byStart = [...traces].sort((x, y) => Number(ns(x.data.spans[0], "start_time_unix_nano") - ns(y.data.spans[0], "start_time_unix_nano")));
  for (const [i, t] of byStart.entries()) {
    const s = t.data.spans[0];
    assert.equal(attr(s, "mlflow.spanOutputs"), i + 1);
    assert.ok(ns(s, "end_time_unix_nano") >= ns(s, "start_time_unix_nano"));
  }
});

test("the last trace id, stats and getTrace see a leaf right after it returns", async () => {
  const f = trace(function f(x) { return x; });
  await clearMemory();
  const before = mlflow.stats().traces_started;
  f(1);
  const id = mlflow.getLastActiveTraceId();
  assert.equal(mlflow.stats().traces_started, before + 1);
  const t = await mlflow.getTrace(id);
  assert.equal(t.info.traceId, id);
  assert.deepEqual(t.data.spans.map((s) => s.inputs), [{ x: 1 }]);
});

test("the last trace id follows the order traces ended, kept leaves included", async () => {
  const leaf = trace(function leaf() { return 1; });
  const child = trace(function child() { return 2; });
  const parent = trace(function parent() { return child(); });
  await clearMemory();
  leaf(); // kept
  parent(); // started natively (it has a child), ends after the leaf
  const id = mlflow.getLastActiveTraceId();
  const t = await mlflow.getTrace(id);
  assert.deepEqual(t.data.spans.map((s) => s.name).sort(), ["child", "parent"]);
});

test("children are in their trace when the parent ends, also in the same turn", async () => {
  const leaf = trace(function leaf(i) { return i; });
  const outer = trace(function outer() {
    leaf(0); // makes `outer` start natively
    for (let i = 1; i < 70; i++) leaf(i);
    return "done";
  });
  const dropped = mlflow.stats().dropped_spans?.span_after_root_ended ?? 0;
  const { trace: t } = await oneTrace(() => outer());
  assert.equal(t.data.spans.filter((s) => s.name === "leaf").length, 70);
  for (const s of t.data.spans.filter((x) => x.name === "leaf")) assert.equal(parentName(t, s), "outer");
  assert.equal(mlflow.stats().dropped_spans?.span_after_root_ended ?? 0, dropped);
});

test("a leaf read from a microtask before its batch is recorded is the stored span", async () => {
  const child = trace(function child() { return "c"; });
  let late;
  const leaf = trace(function leaf() {
    // Runs after `leaf` returned, before the next turn of the event loop.
    Promise.resolve().then(() => {
      const s = getCurrentActiveSpan();
      late = { spanId: s.spanId, traceId: s.traceId, outputs: s.outputs };
      child();
    });
    return "l";
  });
  const { trace: t } = await oneTrace(() =>
    withSpan(async () => {
      leaf();
      await sleep(1);
    }, { name: "root" }),
  );
  assert.equal(late.spanId, hex(span(t, "leaf").span_id));
  assert.equal(late.traceId, t.info.trace_id);
  assert.equal(late.outputs, "l");
  assert.equal(parentName(t, span(t, "child")), "leaf");
});

test("a root leaf read after its batch was recorded is the stored span, and a late child is counted", async () => {
  // Root leaves are recorded a batch at a time; a callback that outlives one reads it back
  // from the batch (ids, inputs, outputs, type, times) and a child it starts is counted as
  // ended after its root, as for any root that has ended.
  const late = [];
  let done;
  const finished = new Promise((r) => (done = r));
  const child = trace(function child() { return "c"; });
  const leaf = trace(function leaf(x) {
    setTimeout(() => {
      const s = getCurrentActiveSpan();
      late.push({ spanId: s.spanId, traceId: s.traceId, inputs: s.inputs, outputs: s.outputs, type: s.spanType, ended: s.endTimeNs !== null });
      child();
      if (late.length === 3) done();
    }, 5);
    return { y: x * 2 };
  }, { spanType: "TOOL" });
  const dropped = mlflow.stats().dropped_spans?.span_after_root_ended ?? 0;
  const { traces } = await collect(async () => {
    for (let x = 0; x < 3; x++) leaf(x);
    await finished;
  });
  assert.equal(traces.length, 3);
  for (const [x, got] of late.entries()) {
    const t = traces.find((tr) => tr.info.trace_id === got.traceId);
    assert.ok(t, `trace ${got.traceId} stored`);
    assert.deepEqual(t.data.spans.map((s) => s.name), ["leaf"]);
    assert.equal(got.spanId, hex(t.data.spans[0].span_id));
    assert.deepEqual([got.inputs, got.outputs, got.type, got.ended], [{ x }, { y: 2 * x }, "TOOL", true]);
  }
  assert.equal((mlflow.stats().dropped_spans?.span_after_root_ended ?? 0) - dropped, 3);
});

test("leaves kept at process.exit() are delivered by the exit hook", async () => {
  const { spawnSync } = await import("node:child_process");
  const fs = await import("node:fs");
  const os = await import("node:os");
  const path = await import("node:path");
  const { PKG } = await import("./helpers.mjs");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferrotrace-leaf-exit-"));
  try {
    const app = `const m = require(${JSON.stringify(path.join(PKG, "dist", "index.js"))});
      const f = m.trace(function f(i) { return i; });
      for (let i = 0; i < 10; i++) f(i);
      process.exit(0);`;
    const res = spawnSync(process.execPath, ["-e", app], {
      env: { ...process.env, FERROTRACE_DESTINATION: "local", FERROTRACE_LOCAL_DIR: dir },
      encoding: "utf8",
    });
    assert.equal(res.status, 0, res.stderr);
    const { traces } = mlflow.testing.readLocalStore(dir);
    assert.deepEqual(traces.map((t) => attr(t.data.spans[0], "mlflow.spanOutputs")).sort(), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("in synchronous export mode a root leaf is in the store when its call returns", async () => {
  // MLFLOW_ENABLE_ASYNC_TRACE_LOGGING=false: no leaf waits for a batch, so the store has the
  // trace before the caller's next line, without any other call into the addon.
  const { spawnSync } = await import("node:child_process");
  const fs = await import("node:fs");
  const os = await import("node:os");
  const path = await import("node:path");
  const { PKG } = await import("./helpers.mjs");
  const app = `const fs = require("node:fs"), path = require("node:path");
    const m = require(${JSON.stringify(path.join(PKG, "dist", "index.js"))});
    const dir = process.env.FERROTRACE_LOCAL_DIR;
    const size = () => fs.readdirSync(dir, { recursive: true })
      .map((f) => path.join(dir, f)).filter((f) => fs.statSync(f).isFile())
      .reduce((n, f) => n + fs.statSync(f).size, 0);
    const f = m.trace(function f(i) { return i; });
    f(1);
    console.log(size() > 0 ? "stored" : "not yet");`;
  for (const [async, want] of [["false", "stored"], ["true", "not yet"]]) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferrotrace-leaf-sync-"));
    try {
      const res = spawnSync(process.execPath, ["-e", app], {
        env: { ...process.env, FERROTRACE_DESTINATION: "local", FERROTRACE_LOCAL_DIR: dir, MLFLOW_ENABLE_ASYNC_TRACE_LOGGING: async },
        encoding: "utf8",
      });
      assert.equal(res.status, 0, res.stderr);
      assert.equal(res.stdout.trim(), want, `async logging ${async}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
});
