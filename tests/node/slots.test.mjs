// The span of a traced call that had a child is held by the addon under a number while the
// call runs (src/slots.rs) and kept in the recent ring once it ends: late children still join
// its trace, spans handed to user code keep working after their end, and a full table falls
// back to the usual handles.
import assert from "node:assert/strict";
import { test } from "node:test";

import { collect, hex, mlflow, oneTrace, parentName, sleep, span } from "./helpers.mjs";

const { trace, withSpan, getCurrentActiveSpan, registerOnSpanEndHook } = mlflow;

const leaf = trace(function leaf(i) { return i; });

/**
 * A traced `parent` (with a child, so it exists natively) whose timer starts a child `late`
 * after `between` other spans ended, while the root still runs. Returns the stored trace and
 * how many spans were counted as `parent_expired` meanwhile.
 */
async function lateChild(between) {
  let done;
  const finished = new Promise((r) => (done = r));
  const late = trace(function late() { return "late"; });
  const parent = trace(function parent() {
    leaf(0);
    setTimeout(() => {
      late();
      done();
    }, 20);
    return "p";
  });
  const expired = () => mlflow.stats().dropped_spans?.parent_expired ?? 0;
  const before = expired();
  const { trace: t } = await oneTrace(() =>
    withSpan(async () => {
      parent();
      for (let i = 0; i < between; i++) leaf(i);
      await finished;
    }, { name: "root" }),
  );
  return { t, expired: expired() - before };
}

test("a child started after its parent ended joins the parent while the root runs, even much later", async () => {
  // 1,500 spans ended in between: more than the ring keeps records of (256), fewer than ids.
  const { t, expired } = await lateChild(1500);
  assert.equal(parentName(t, span(t, "parent")), "root");
  assert.equal(parentName(t, span(t, "late")), "parent");
  assert.equal(t.data.spans.filter((s) => s.name === "leaf").length, 1501);
  assert.equal(expired, 0);
});

test("a span from getCurrentActiveSpan and one kept by an end hook read the same after their end", async () => {
  const kept = [];
  const off = registerOnSpanEndHook((s) => {
    if (s.name === "hooked") kept.push(s);
  });
  let seen;
  const outer = trace(function outer(x) {
    leaf(x);
    seen = getCurrentActiveSpan();
    return x + 1;
  });
  const hooked = trace(function hooked() { return leaf(1); });
  try {
    const { traces } = await collect(() => {
      outer(41);
      hooked();
      // Far past what the ring keeps: these spans hold their own handles.
      for (let i = 0; i < 1000; i++) leaf(i);
    });
    const t = traces.find((tr) => tr.data.spans.some((s) => s.name === "outer"));
    assert.equal(seen.spanId, hex(span(t, "outer").span_id));
    assert.deepEqual([seen.name, seen.inputs, seen.outputs], ["outer", { x: 41 }, 42]);
    assert.notEqual(seen.endTimeNs, null);
    assert.equal(kept.length, 1);
    const h = traces.find((tr) => tr.data.spans.some((s) => s.name === "hooked"));
    assert.deepEqual([kept[0].spanId, kept[0].name, kept[0].outputs], [hex(span(h, "hooked").span_id), "hooked", 1]);
  } finally {
    off();
  }
});

test("more calls running at once than the table holds all record whole traces", async () => {
  // 5,000 async calls with a child each wait together: past the 4,096 slots, spans get the
  // usual handles.
  let release;
  const gate = new Promise((r) => (release = r));
  const waiter = trace(async function waiter(i) {
    leaf(i);
    await gate;
    leaf(-i);
    return i;
  });
  const { traces } = await collect(async () => {
    const all = Array.from({ length: 5000 }, (_, i) => waiter(i));
    await sleep(1);
    release();
    await Promise.all(all);
  });
  assert.equal(traces.length, 5000);
  for (const t of traces) {
    assert.deepEqual(t.data.spans.map((s) => s.name).sort(), ["leaf", "leaf", "waiter"]);
    for (const s of t.data.spans.filter((x) => x.name === "leaf")) assert.equal(parentName(t, s), "waiter");
  }
});

test("a child started under a parent the addon no longer keeps is counted, not lost silently", async () => {
  // More spans end after the parent than the addon keeps (4,096).
  const { t, expired } = await lateChild(5000);
  assert.equal(t.data.spans.filter((s) => s.name === "late").length, 0);
  assert.equal(expired, 1);
});

test("siblings kept for a batch land under their parent, also when it is handed out meanwhile", async () => {
  let seen;
  const parent = trace(function parent(n) {
    for (let i = 0; i < n; i++) leaf(i); // all but the first wait for a batch
    seen = getCurrentActiveSpan(); // frees the parent's slot: the kept siblings go first
    for (let i = n; i < 2 * n; i++) leaf(i);
    return n;
  });
  const { traces } = await collect(() =>
    withSpan(() => {
      parent(100);
      for (let i = 0; i < 150; i++) leaf(1000 + i); // siblings under the root, several batches
    }, { name: "root" }),
  );
  assert.equal(traces.length, 1);
  const t = traces[0];
  const under = (name) => t.data.spans.filter((s) => s.name === "leaf" && parentName(t, s) === name);
  assert.deepEqual(under("parent").map((s) => mlflow.testing.attribute(s, "mlflow.spanOutputs")).sort((a, b) => a - b), Array.from({ length: 200 }, (_, i) => i));
  assert.equal(under("root").length, 150);
  assert.equal(seen.spanId, hex(span(t, "parent").span_id));
});
