// Value capture (any JS value -> JSON text, with the core's caps) and parameter-name parsing.
import assert from "node:assert/strict";
import * as path from "node:path";
import { createRequire } from "node:module";
import { test } from "node:test";

import { attr, mlflow, oneTrace, PKG, span } from "./helpers.mjs";

const { toJsonText, trace } = mlflow;
const { parameterNames } = createRequire(import.meta.url)(path.join(PKG, "dist", "params.js"));
const cap = (v) => JSON.parse(toJsonText(v));

test("plain data is written exactly as JSON.stringify writes it", () => {
  const values = [
    null, true, 0, -0, 1.5, 1e21, "", "é😀\n\"", [], {}, [1, "a", null, [2, { b: [] }]],
    { a: 1, "k-2": { nested: [true, false] }, 3: "num key" },
  ];
  for (const v of values) assert.equal(toJsonText(v), JSON.stringify(v));
  // The same plain parts next to a value that needs the slow path.
  const mixed = { big: 1n, plain: values };
  assert.equal(toJsonText(mixed), `{"big":"1","plain":${JSON.stringify(values)}}`);
});

test("cycles become [Circular] in place; shared references are not cycles", () => {
  const a = { x: 1 };
  a.self = a;
  assert.equal(toJsonText(a), '{"x":1,"self":"[Circular]"}');
  const arr = [1];
  arr.push(arr);
  assert.equal(toJsonText(arr), '[1,"[Circular]"]');
  const shared = { v: 1 };
  assert.equal(toJsonText({ a: shared, b: [shared] }), '{"a":{"v":1},"b":[{"v":1}]}');
  const m = new Map();
  m.set("me", m);
  assert.equal(toJsonText(m), '{"me":"[Circular]"}');
});

test("BigInt, Date, Map, Set, Error, typed arrays, functions, symbols", () => {
  assert.equal(toJsonText(12345678901234567890n), '"12345678901234567890"');
  assert.equal(toJsonText(new Date(0)), '"1970-01-01T00:00:00.000Z"');
  assert.equal(toJsonText(new Date(NaN)), "null");
  assert.deepEqual(cap(new Map([["a", 1], [2, { b: 2n }], [{}, "o"]])), { a: 1, 2: { b: "2" }, "[object Object]": "o" });
  assert.deepEqual(cap(new Set([1, "x", 1n])), [1, "x", "1"]);
  const e = cap(new TypeError("boom"));
  assert.equal(e.name, "TypeError");
  assert.equal(e.message, "boom");
  assert.match(e.stack, /^TypeError: boom\n/);
  assert.deepEqual(cap(new Uint8Array([1, 2, 255])), [1, 2, 255]);
  assert.deepEqual(cap(new Float64Array([1.5, NaN])), [1.5, null]);
  assert.deepEqual(cap(new BigInt64Array([5n])), ["5"]);
  assert.deepEqual(cap(Buffer.from("hi")), [104, 105]);
  assert.deepEqual(cap(new Uint8Array([7, 8, 9]).buffer), [7, 8, 9]);
  assert.deepEqual(cap(new DataView(new Uint8Array([1, 2, 3]).buffer, 1)), [2, 3]);
  assert.equal(toJsonText(function namedFn() {}), '"[Function: namedFn]"');
  assert.equal(toJsonText([() => 1][0]), '"[Function (anonymous)]"');
  assert.deepEqual(cap({ f: Math.max }), { f: "[Function: max]" });
  assert.equal(toJsonText(Symbol("sym")), '"sym"');
  assert.deepEqual(cap([Symbol(), new String("boxed"), new Number(3)]), ["", "boxed", 3]);
  class Point {
    constructor() { this.x = 1; this.y = 2n; }
    norm() { return 0; }
  }
  assert.deepEqual(cap(new Point()), { x: 1, y: "2" });
});

test("undefined, NaN and Infinity follow JSON.stringify", () => {
  assert.equal(toJsonText(undefined), "null");
  assert.equal(toJsonText({ a: undefined, b: 1, c: 1n }), '{"b":1,"c":"1"}');
  assert.equal(toJsonText([undefined, NaN, Infinity, -Infinity, 1n]), '[null,null,null,null,"1"]');
  assert.equal(toJsonText(NaN), "null");
});

test("strings are cut at 65536 code points with a visible suffix", () => {
  const s = "a".repeat(70_000);
  const out = cap(s);
  assert.equal(out, `${"a".repeat(65_536)}…[truncated 4464 chars]`);
  const emoji = "😀".repeat(70_000); // 140000 UTF-16 units, 70000 code points
  assert.equal(cap(emoji), `${"😀".repeat(65_536)}…[truncated 4464 chars]`);
  const ok = "😀".repeat(40_000); // over 65536 units but under 65536 code points: kept whole
  assert.equal(cap(ok), ok);
});

test("lists, objects, maps and sets keep 10000 items plus a marker", () => {
  const arr = Array.from({ length: 10_005 }, (_, i) => i);
  const a = cap(arr);
  assert.equal(a.length, 10_001);
  assert.equal(a[9_999], 9_999);
  assert.equal(a[10_000], "[truncated 5 items]");
  const obj = Object.fromEntries(Array.from({ length: 10_002 }, (_, i) => [`k${i}`, i]));
  const o = cap(obj);
  assert.equal(Object.keys(o).length, 10_001);
  assert.equal(o["…"], "[truncated 2 items]");
  const m = cap(new Map(arr.map((i) => [i, i])));
  assert.equal(m["…"], "[truncated 5 items]");
  const st = cap(new Set(arr));
  assert.equal(st.at(-1), "[truncated 5 items]");
  const ta = cap(new Uint8Array(20_000));
  assert.equal(ta.length, 10_001);
  assert.equal(ta[10_000], "[truncated 10000 items]");
});

test("nesting deeper than 64 is replaced by a marker", () => {
  let deep = "leaf";
  for (let i = 0; i < 100; i++) deep = { a: deep };
  let v = cap(deep);
  for (let i = 0; i < 64; i++) v = v.a;
  assert.equal(v, "[Truncated: depth > 64]");
  let list = [];
  for (let i = 0; i < 100; i++) list = [list];
  assert.match(toJsonText(list), /\[\[\[.*"\[Truncated: depth > 64\]".*\]\]\]/);
  let shallow = "leaf";
  for (let i = 0; i < 64; i++) shallow = { a: shallow };
  assert.equal(toJsonText(shallow), JSON.stringify(shallow));
});

test("a value past about 1 MiB ends in [Truncated: size] and stays valid JSON", () => {
  const chunk = "x".repeat(60_000);
  const huge = Array.from({ length: 100 }, () => chunk); // 6 MB of text
  const text = toJsonText(huge);
  assert.ok(text.length < 1.2 * 1024 * 1024, `got ${text.length} chars`);
  const v = JSON.parse(text);
  assert.equal(v.length, 100);
  assert.equal(v[0], chunk);
  assert.equal(v.at(-1), "[Truncated: size]");
});

test("user code that throws while being read is reported, never rethrown", () => {
  const bad = {
    ok: 1,
    get boom() { throw new Error("getter"); },
  };
  assert.equal(toJsonText(bad), '{"ok":1,"boom":"[Unserializable: Error]"}');
  assert.equal(toJsonText({ toJSON() { throw new RangeError("no"); } }), '"[Unserializable: RangeError]"');
  assert.equal(toJsonText({ toJSON() { return { z: 1n }; } }), '{"z":"1"}');
  const selfJson = { toJSON() { return this; } };
  assert.equal(toJsonText(selfJson), '"[Circular]"');
  const hostile = new Proxy({}, { ownKeys() { throw new Error("trap"); } });
  assert.equal(toJsonText(hostile), '"[Unserializable: Error]"');
  const revoked = Proxy.revocable({}, {});
  revoked.revoke();
  assert.doesNotThrow(() => JSON.parse(toJsonText({ p: revoked.proxy })));
});

test("traced calls capture odd inputs and outputs without throwing", async () => {
  const cyc = { name: "cyc" };
  cyc.me = cyc;
  const f = trace(function odd(a, b, c) {
    return { echo: c, big: 2n ** 70n };
  });
  const { trace: t } = await oneTrace(() => f(cyc, new Map([["k", new Set([1])]]), "z".repeat(70_000)));
  const s = span(t, "odd");
  const inputs = attr(s, "mlflow.spanInputs");
  assert.deepEqual(inputs.a, { name: "cyc", me: "[Circular]" });
  assert.deepEqual(inputs.b, { k: [1] });
  assert.match(inputs.c, /…\[truncated 4464 chars\]$/);
  const out = attr(s, "mlflow.spanOutputs");
  assert.equal(out.big, "1180591620717411303424");
  assert.equal(s.status.code, "STATUS_CODE_OK");
});

test("a Proxy is read as far as its traps allow; a revoked one becomes a marker", () => {
  // Traps that work are used: the proxy reads as the object it presents.
  const open = new Proxy({ a: 1, b: [1, 2] }, {});
  assert.equal(toJsonText(open), '{"a":1,"b":[1,2]}');
  // getPrototypeOf throws, but its keys and values can still be read.
  const noProto = new Proxy({ a: 1, b: "x" }, { getPrototypeOf() { throw new Error("proto"); } });
  assert.equal(toJsonText(noProto), '{"a":1,"b":"x"}');
  // One key's read throws: that key alone is a marker.
  const oneBad = new Proxy({ ok: 1, bad: 2 }, {
    get(t, k) {
      if (k === "bad") throw new TypeError("draft finalized");
      return Reflect.get(t, k);
    },
  });
  assert.equal(toJsonText(oneBad), '{"ok":1,"bad":"[Unserializable: TypeError]"}');
  const arr = new Proxy([1, "two", { three: 3 }], { getPrototypeOf() { throw new Error("x"); } });
  assert.equal(toJsonText(arr), '[1,"two",{"three":3}]');
  const { proxy, revoke } = Proxy.revocable({ a: 1 }, {});
  revoke();
  assert.equal(toJsonText(proxy), '"[Unserializable: revoked Proxy]"');
  assert.equal(toJsonText({ draft: proxy, n: 1 }), '{"draft":"[Unserializable: revoked Proxy]","n":1}');
  const allThrow = new Proxy({}, new Proxy({}, { get() { return () => { throw new Error("every trap"); }; } }));
  assert.equal(toJsonText(allThrow), '"[Unserializable: Error]"');
});

test("a traced call returning or taking a hostile Proxy returns it unchanged and never throws", async () => {
  const traps = new Proxy({}, new Proxy({}, { get() { return () => { throw new Error("every trap"); }; } }));
  const { proxy: revoked, revoke } = Proxy.revocable({ item: "draft" }, {});
  revoke(); // as an Immer draft once produce() has returned
  const promiseProxy = new Proxy(Promise.resolve(1), {});
  for (const [label, value, want] of [
    ["throwing traps", traps, "[Unserializable: Error]"],
    ["revoked", revoked, "[Unserializable: revoked Proxy]"],
    ["proxy of a promise", promiseProxy, {}],
  ]) {
    const echo = trace(function echo(x) { return x; });
    let got;
    const { trace: t } = await oneTrace(() => { got = echo(value); });
    assert.equal(got, value, label);
    const s = span(t, "echo");
    assert.deepEqual(attr(s, "mlflow.spanInputs"), { x: want }, label);
    assert.deepEqual(attr(s, "mlflow.spanOutputs"), want, label);
    assert.equal(s.status.code, "STATUS_CODE_OK", label);
    // The same through withSpan.
    const { trace: w } = await oneTrace(() => { got = mlflow.withSpan(() => value, { name: "ws" }); });
    assert.equal(got, value, label);
    assert.deepEqual(attr(span(w, "ws"), "mlflow.spanOutputs"), want, label);
  }
});

test("a huge BigInt is capped like a huge string, without a long conversion", async () => {
  assert.equal(toJsonText(-(2n ** 70n)), '"-1180591620717411303424"');
  const tenK = 10n ** 9000n;
  assert.equal(cap(tenK), tenK.toString(), "up to ~9,900 digits are written whole");
  const huge = 1n << 4_000_000n; // 1.2 million digits: seconds to write in decimal
  const t0 = performance.now();
  const text = toJsonText({ huge, neg: -huge });
  const ms = performance.now() - t0;
  assert.deepEqual(JSON.parse(text), {
    huge: "[Truncated: BigInt of 4000001 bits, ~1204121 digits]",
    neg: "[Truncated: BigInt of 4000001 bits, ~1204121 digits]",
  });
  assert.ok(ms < 1000, `took ${ms} ms`);
  const f = trace(function big(n) { return n * 2n; });
  let got;
  const { trace: t } = await oneTrace(() => { got = f(huge); });
  assert.equal(got, huge * 2n);
  assert.match(attr(span(t, "big"), "mlflow.spanOutputs"), /^\[Truncated: BigInt of 4000002 bits/);
});

test("parameter names are parsed from source", () => {
  const cases = [
    [function f(a, b) {}, ["a", "b"]],
    [async function g(a, /* comment, here */ b = "x,)", c = f(1, [2, 3])) {}, ["a", "b", "c"]],
    [(x) => x, ["x"]],
    [async (x, y) => x, ["x", "y"]],
    [async (q) => q, ["q"]],
    [function* gen(a, ...rest) {}, ["a", null]],
    [({ a }, [b], c) => c, [null, null, "c"]],
    [{ method(p1, p2) {} }.method, ["p1", "p2"]],
    [{ async m(p) {} }.m, ["p"]],
    [function (a, // line comment
      b) {}, ["a", "b"]],
    [function (ünïcode, $d, _u) {}, ["ünïcode", "$d", "_u"]],
    [() => 1, []],
    [class C {}, []],
    [Math.max, []],
    [function (a) {}.bind(null), []],
  ];
  for (const [fn, want] of cases) assert.deepEqual(parameterNames(fn), want, fn.toString());
});
