// tracingContext: metadata, tags, session and user for traces started in scope; nesting; tracing
// switched off in scope.
import assert from "node:assert/strict";
import { test } from "node:test";

import { collect, mlflow, oneTrace, sleep, span } from "./helpers.mjs";

const { trace, withSpan, startSpan, tracingContext, getCurrentActiveSpan } = mlflow;

const handle = trace(async function handle(q) {
  await sleep(1);
  return withSpan(() => q, { name: "inner" });
});

test("metadata, tags, session and user go to every trace started in scope, across await", async () => {
  const { traces } = await collect(() =>
    tracingContext(
      { metadata: { "app.version": "1.2", n: 3 }, tags: { tenant: "acme" }, sessionId: "s-9", user: "u-1" },
      async () => {
        await handle("a");
        await sleep(1);
        await Promise.all([handle("b"), handle("c")]);
        startSpan({ name: "detached" }).end();
      },
    ),
  );
  assert.equal(traces.length, 4);
  for (const t of traces) {
    const meta = t.info.trace_metadata;
    assert.equal(meta["app.version"], "1.2");
    assert.equal(meta.n, "3"); // not a string: stored as JSON text, as updateCurrentTrace does
    assert.equal(meta["mlflow.trace.session"], "s-9");
    assert.equal(meta["mlflow.trace.user"], "u-1");
    assert.equal(t.info.tags.tenant, "acme");
  }
});

test("scopes nest (inner keys win, outer ones stay) and end with their callback", async () => {
  const { traces } = await collect(async () => {
    await tracingContext({ metadata: { a: "outer", b: "outer" }, tags: { t: "1" }, user: "outer" }, async () => {
      await tracingContext({ metadata: { b: "inner" }, sessionId: "s" }, () => handle("nested"));
      await handle("outer-only");
    });
    await handle("no-scope");
  });
  const byInput = Object.fromEntries(traces.map((t) => [JSON.parse(span(t, "handle").attributes["mlflow.spanInputs"]).q, t.info]));
  assert.deepEqual(
    pick(byInput.nested.trace_metadata, ["a", "b", "mlflow.trace.user", "mlflow.trace.session"]),
    { a: "outer", b: "inner", "mlflow.trace.user": "outer", "mlflow.trace.session": "s" },
  );
  assert.equal(byInput.nested.tags.t, "1");
  assert.deepEqual(pick(byInput["outer-only"].trace_metadata, ["a", "b", "mlflow.trace.session"]), { a: "outer", b: "outer" });
  assert.deepEqual(pick(byInput["no-scope"].trace_metadata, ["a", "b", "mlflow.trace.user"]), {});
  assert.equal(byInput["no-scope"].tags.t, undefined);
});

function pick(o, keys) {
  return Object.fromEntries(keys.filter((k) => k in o).map((k) => [k, o[k]]));
}

test("only traces started in scope get its data, not a trace already running", async () => {
  const { trace: t } = await oneTrace(() =>
    withSpan(async () => {
      await tracingContext({ tags: { late: "yes" } }, () => handle("child"));
    }, { name: "started-outside" }),
  );
  assert.equal(t.data.spans.length, 3);
  assert.equal(t.info.tags.late, undefined);
});

test("enabled: false turns tracing off in scope only; the scope's result is returned", async () => {
  const seen = [];
  const { traces, result } = await collect(async () => {
    const r = await tracingContext({ enabled: false }, async () => {
      const out = await handle("quiet");
      await withSpan((s) => {
        seen.push(s.traceId);
        s.setAttribute("x", 1); // a no-op span: harmless
      }, { name: "ws" });
      const d = startSpan({ name: "detached" });
      seen.push(d.traceId);
      d.end();
      // An inner scope can switch it back on.
      await tracingContext({ enabled: true }, () => handle("loud"));
      return out;
    });
    await handle("after");
    return r;
  });
  assert.equal(result, "quiet");
  assert.deepEqual(seen, [mlflow.NO_OP_SPAN_TRACE_ID, mlflow.NO_OP_SPAN_TRACE_ID]);
  const roots = traces.map((t) => JSON.parse(span(t, "handle").attributes["mlflow.spanInputs"]).q).sort();
  assert.deepEqual(roots, ["after", "loud"]);
});

test("inside a span, a disabled scope leaves the current span as it is and adds no children", async () => {
  const { trace: t } = await oneTrace(() =>
    withSpan(async (outer) => {
      await tracingContext({ enabled: false }, async () => {
        assert.equal(getCurrentActiveSpan(), outer);
        await handle("skipped");
      });
    }, { name: "outer" }),
  );
  assert.deepEqual(t.data.spans.map((s) => s.name), ["outer"]);
});

test("tracingContext checks its arguments", () => {
  assert.throws(() => tracingContext({}, "not a function"), TypeError);
  assert.throws(() => tracingContext({ enabled: "no" }, () => 1), /enabled/);
  assert.equal(tracingContext(undefined, () => 7), 7);
});
