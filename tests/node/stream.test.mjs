// Traced functions that return a stream: generators, async generators and async iterables get
// one span for the whole iteration, with chunk events and the items as outputs.
import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { test } from "node:test";
import * as v8 from "node:v8";
import * as vm from "node:vm";

import { attr, clearMemory, collect, mlflow, oneTrace, parentName, sleep, span } from "./helpers.mjs";

const { trace, getCurrentActiveSpan } = mlflow;

/** The chunk events of a stored span: [index, decoded value]. */
function chunks(s) {
  return s.events.map((e) => {
    const m = /^mlflow\.chunk\.item\.(\d+)$/.exec(e.name);
    assert.ok(m, `unexpected event ${e.name}`);
    return [Number(m[1]), JSON.parse(e.attributes["mlflow.chunk.value"])];
  });
}

const count = trace(function* count(n) {
  for (let i = 0; i < n; i++) yield { i, current: getCurrentActiveSpan()?.name };
  return "finished";
});

test("a generator: one span, an event per item, outputs the items, the return value passes through", async () => {
  const { trace: t, result } = await oneTrace(() =>
    trace(function consumer() {
      const g = count(3);
      assert.equal(Object.prototype.toString.call(g), "[object Generator]");
      const seen = [];
      let r;
      while (!(r = g.next()).done) {
        // The consumer's code runs in its own span, not the generator's.
        assert.equal(getCurrentActiveSpan().name, "consumer");
        seen.push(r.value);
      }
      return { seen, returned: r.value };
    })(),
  );
  assert.equal(result.returned, "finished");
  const s = span(t, "count");
  assert.equal(parentName(t, s), "consumer");
  assert.deepEqual(attr(s, "mlflow.spanInputs"), { n: 3 });
  // The generator's body ran with its own span current.
  const items = [0, 1, 2].map((i) => ({ i, current: "count" }));
  assert.deepEqual(attr(s, "mlflow.spanOutputs"), items);
  assert.deepEqual(chunks(s), items.map((v, i) => [i, v]));
  // The stored value is the item's JSON text, as a string (as MLflow and the Python binding).
  assert.equal(s.events[0].attributes["mlflow.chunk.value"], JSON.stringify(items[0]));
  assert.equal(s.status.code, "STATUS_CODE_OK");
  assert.ok(s.end_time_unix_nano >= s.events[2].time_unix_nano);
});

test("an async generator: spans started in its body are its children; break ends it early", async () => {
  const lookup = trace(async function lookup(word) {
    await sleep(1);
    return word.toUpperCase();
  });
  let cleaned = false;
  const words = trace(async function* words(text) {
    try {
      for (const w of text.split(" ")) yield await lookup(w);
    } finally {
      cleaned = true;
    }
  });
  const { trace: t, result } = await oneTrace(
    trace(async function main() {
      const out = [];
      for await (const w of words("a b c d")) {
        out.push(w);
        if (out.length === 2) break;
      }
      return out;
    }),
  );
  assert.deepEqual(result, ["A", "B"]);
  assert.ok(cleaned, "return() reached the generator's finally");
  const s = span(t, "words");
  assert.equal(parentName(t, s), "main");
  assert.deepEqual(attr(s, "mlflow.spanOutputs"), ["A", "B"]);
  assert.deepEqual(chunks(s), [[0, "A"], [1, "B"]]);
  assert.equal(s.status.code, "STATUS_CODE_OK");
  const lookups = t.data.spans.filter((x) => x.name === "lookup");
  assert.equal(lookups.length, 2);
  for (const l of lookups) assert.equal(parentName(t, l), "words");
  // The stream ended before its parent.
  assert.ok(s.end_time_unix_nano <= span(t, "main").end_time_unix_nano);
});

test("an error inside the stream is recorded after the items so far, and rethrown", async () => {
  const bad = trace(async function* bad() {
    yield 1;
    throw new TypeError("stream broke");
  });
  const { trace: t } = await oneTrace(async () => {
    const got = [];
    await assert.rejects(async () => {
      for await (const x of bad()) got.push(x);
    }, /stream broke/);
    assert.deepEqual(got, [1]);
  });
  const s = t.data.spans[0];
  assert.equal(s.status.code, "STATUS_CODE_ERROR");
  assert.equal(s.status.message, "TypeError: stream broke");
  assert.deepEqual(s.events.map((e) => e.name), ["mlflow.chunk.item.0", "exception"]);
  assert.equal(t.info.state, "ERROR");
});

test("throw() and return() from the consumer are forwarded to the generator", async () => {
  const resilient = trace(function* resilient() {
    let n = 0;
    for (;;) {
      try {
        yield n++;
      } catch (e) {
        yield `caught ${e.message}`;
      }
    }
  });
  const { trace: t } = await oneTrace(() => {
    const g = resilient();
    assert.deepEqual(g.next(), { value: 0, done: false });
    assert.deepEqual(g.throw(new Error("x")), { value: "caught x", done: false });
    assert.deepEqual(g.return("bye"), { value: "bye", done: true });
    assert.deepEqual(g.next(), { value: undefined, done: true });
  });
  assert.deepEqual(attr(t.data.spans[0], "mlflow.spanOutputs"), [0, "caught x"]);
});

class TokenStream {
  #tokens;
  constructor(tokens) {
    this.#tokens = tokens;
    this.controller = { aborted: false };
  }
  get size() {
    return this.#tokens.length;
  }
  remaining() {
    return this.#tokens.length;
  }
  async *[Symbol.asyncIterator]() {
    for (const tok of this.#tokens) {
      await sleep(1);
      yield { delta: tok, span: getCurrentActiveSpan()?.name };
    }
  }
}

test("an async iterable returned through a Promise (an LLM client's stream) stays that object", async () => {
  const chat = trace(async function chat(prompt) {
    await sleep(1);
    return new TokenStream(["Hel", "lo"]);
  }, { spanType: mlflow.SpanType.CHAT_MODEL });
  const { trace: t, result } = await oneTrace(async () => {
    const stream = await chat("hi");
    // The caller still has the client's object: class, fields, private state, methods.
    assert.ok(stream instanceof TokenStream);
    assert.equal(stream.size, 2);
    assert.equal(stream.remaining(), 2);
    assert.equal(stream.controller.aborted, false);
    let text = "";
    for await (const c of stream) text += c.delta;
    return text;
  });
  assert.equal(result, "Hello");
  const s = t.data.spans[0];
  assert.equal(s.name, "chat");
  assert.deepEqual(attr(s, "mlflow.spanInputs"), { prompt: "hi" });
  assert.deepEqual(attr(s, "mlflow.spanOutputs"), [
    { delta: "Hel", span: "chat" },
    { delta: "lo", span: "chat" },
  ]);
  assert.equal(s.events.length, 2);
});

test("Node and web streams and plain iterables are values, not streams: the span ends at return", async () => {
  const make = trace(function make() {
    return { readable: Readable.from(["a"]), web: new ReadableStream(), list: [1, 2], map: new Map() };
  });
  const readable = trace(() => Readable.from(["a", "b"]), { name: "readable" });
  const iter = trace(() => [1, 2].values(), { name: "iter" });
  const { traces } = await collect(() => {
    make();
    assert.ok(readable() instanceof Readable);
    assert.deepEqual([...iter()], [1, 2]);
  });
  assert.deepEqual(traces.map((t) => t.data.spans[0].name).sort(), ["iter", "make", "readable"]);
  for (const t of traces) assert.deepEqual(t.data.spans[0].events, []);
});

test("with tracing off in scope the generator is returned untouched", async () => {
  await clearMemory();
  const g = mlflow.tracingContext({ enabled: false }, () => count(2));
  assert.deepEqual([...g].map((x) => x.i), [0, 1]);
  await mlflow.flushTraces(10_000);
  assert.equal(mlflow.testing.memoryTraces().length, 0);
});

test("items past the cap are counted in the outputs, without events", async () => {
  const max = mlflow.CAPS.max_items;
  const many = trace(function* many() {
    for (let i = 0; i < max + 3; i++) yield i;
  });
  const { trace: t } = await oneTrace(() => {
    let n = 0;
    for (const _ of many()) n++;
    assert.equal(n, max + 3);
  });
  const s = t.data.spans[0];
  assert.equal(s.events.length, max);
  const out = attr(s, "mlflow.spanOutputs");
  assert.equal(out.length, max + 1);
  assert.equal(out[max], "[truncated 3 items]");
});

test("a stream that is dropped without being consumed ends its span when collected", async () => {
  v8.setFlagsFromString("--expose-gc");
  const gc = vm.runInNewContext("gc");
  await clearMemory();
  (() => {
    const g = count(5);
    g.next(); // one item, then abandoned
  })();
  for (let i = 0; i < 50 && mlflow.testing.memoryTraces().length === 0; i++) {
    gc();
    await sleep(20);
    await mlflow.flushTraces(10_000);
  }
  const [t] = mlflow.testing.memoryTraces();
  assert.ok(t, "the span was not ended after garbage collection");
  assert.deepEqual(attr(t.data.spans[0], "mlflow.spanOutputs"), [{ i: 0, current: "count" }]);
});

test("withSpan whose callback returns a stream: one span for the iteration (sync, async, via a Promise)", async () => {
  const { withSpan } = mlflow;
  const { trace: t, result } = await oneTrace(() =>
    trace(async function consumer() {
      const seen = [];
      for (const x of withSpan(function* () { yield 1; yield 2; }, { name: "sync_stream" })) seen.push(x);
      const asyncStream = withSpan(async function* () {
        yield "a";
        yield "b";
      }, { name: "async_stream" });
      for await (const x of asyncStream) {
        seen.push(x);
        break; // abandoned after one item: the span ends with it
      }
      const later = withSpan({ name: "promised_stream" }, async () => (async function* () { yield { n: 3 }; })());
      for await (const x of await later) seen.push(x);
      withSpan((span) => span.setOutputs("kept"), { name: "plain" });
      return seen;
    })(),
  );
  assert.deepEqual(result, [1, 2, "a", { n: 3 }]);
  assert.deepEqual(attr(span(t, "sync_stream"), "mlflow.spanOutputs"), [1, 2]);
  assert.deepEqual(chunks(span(t, "sync_stream")), [[0, 1], [1, 2]]);
  assert.deepEqual(attr(span(t, "async_stream"), "mlflow.spanOutputs"), ["a"]);
  assert.deepEqual(chunks(span(t, "promised_stream")), [[0, { n: 3 }]]);
  assert.equal(attr(span(t, "plain"), "mlflow.spanOutputs"), "kept");
  for (const n of ["sync_stream", "async_stream", "promised_stream", "plain"]) {
    assert.equal(parentName(t, span(t, n)), "consumer", n);
    assert.equal(span(t, n).status.code, "STATUS_CODE_OK", n);
  }
});
