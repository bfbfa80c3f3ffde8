// Distributed tracing with W3C traceparent: headers of the current span, continuing a remote
// trace from request headers (also over real HTTP between two servers in this process, where
// the continued spans join the caller's open trace, as in MLflow).
import assert from "node:assert/strict";
import * as http from "node:http";
import { test } from "node:test";

import { collect, hex, mlflow, parentName, span } from "./helpers.mjs";

const {
  trace,
  withSpan,
  getCurrentActiveSpan,
  getTracingContextHeadersForHttpRequest: headersOut,
  withTracingContextFromHeaders: fromHeaders,
  withTracingContextFromHeadersAsync: fromHeadersAsync,
} = mlflow;

const TP = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/;

test("the headers name the current span; outside any span they are {} with a warning", () => {
  withSpan((s) => {
    const h = headersOut();
    assert.deepEqual(Object.keys(h), ["traceparent"]);
    const [, traceHex, spanHex] = TP.exec(h.traceparent);
    assert.equal(`tr-${traceHex}`, s.traceId);
    assert.equal(spanHex, s.spanId);
  });
  const seen = [];
  const orig = console.warn;
  console.warn = (...a) => seen.push(a.join(" "));
  try {
    assert.deepEqual(headersOut(), {});
  } finally {
    console.warn = orig;
  }
  assert.match(seen[0], /without an active span/);
});

test("spans started inside join the remote trace as children of the remote span", async () => {
  let sent;
  const server = trace(function server(q) {
    return withSpan(() => q.toUpperCase(), { name: "work" });
  });
  const { traces } = await collect(() =>
    withSpan((client) => {
      sent = { ...headersOut(), client };
      // The receiving side: keys in any case, array values, in another "service".
      const res = fromHeaders({ TraceParent: [sent.traceparent, "ignored"], host: "x" }, () => {
        assert.equal(getCurrentActiveSpan(), null, "the local span is not the parent inside");
        return server("hi");
      });
      assert.equal(res, "HI");
      assert.equal(getCurrentActiveSpan(), client, "restored after the callback");
    }, { name: "client" }),
  );
  // In one process, while the client's trace is open, the continued spans join it (as in
  // MLflow): one trace, the server's span under the client's.
  assert.equal(traces.length, 1);
  const [t] = traces;
  assert.deepEqual(t.data.spans.map((s) => s.name).sort(), ["client", "server", "work"]);
  const root = span(t, "server");
  assert.equal(hex(root.parent_span_id), sent.client.spanId);
  assert.equal(parentName(t, span(t, "work")), "server");
});

test("the async form, Headers objects, and headers passed on without a local span", async () => {
  const remote = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  const { traces } = await collect(async () => {
    const inner = await fromHeadersAsync(new Headers({ traceparent: remote }), async () => {
      // No local span yet: the remote parent is what goes downstream.
      assert.deepEqual(headersOut(), { traceparent: remote });
      return trace(async function step() {
        return headersOut().traceparent;
      })();
    });
    assert.match(inner, /^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/);
    // A Map and [key, value] pairs are accepted as well.
    fromHeaders(new Map([["traceparent", remote]]), () => withSpan(() => 1, { name: "m" }));
    fromHeaders([["Traceparent", remote]], () => withSpan(() => 1, { name: "p" }));
  });
  assert.deepEqual(traces.map((t) => t.info.trace_id), Array(3).fill("tr-0af7651916cd43dd8448eb211c80319c"));
  for (const t of traces) assert.equal(hex(t.data.spans[0].parent_span_id), "b7ad6b7169203331");
});

test("a missing or invalid traceparent throws (the async form rejects)", async () => {
  assert.throws(() => fromHeaders({ host: "x" }, () => 1), /'traceparent' header is required/);
  assert.throws(() => fromHeaders({ traceparent: "00-xyz" }, () => 1), /Invalid 'traceparent'/);
  assert.throws(() => fromHeaders({ traceparent: `00-${"0".repeat(32)}-${"1".repeat(16)}-01` }, () => 1), /Invalid/);
  assert.throws(() => fromHeaders(null, () => 1), TypeError);
  await assert.rejects(fromHeadersAsync({}, async () => 1), /required/);
});

test("an unsampled remote parent (flags 00) keeps this service's spans out too", async () => {
  const { traces } = await collect(() =>
    fromHeaders({ traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00" }, () =>
      withSpan(() => 1, { name: "dropped" }),
    ),
  );
  assert.equal(traces.length, 0);
});

test("over HTTP: a traced client calls a traced server, one trace id end to end", async () => {
  const srv = http.createServer((req, res) =>
    fromHeadersAsync(req.headers, async () => {
      const answer = await trace(async function handleRequest(path) {
        return `served ${path}`;
      })(req.url);
      res.end(answer);
    }).catch((e) => {
      res.statusCode = 400;
      res.end(String(e.message));
    }),
  );
  await new Promise((r) => srv.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${srv.address().port}/docs`;
  try {
    const { traces, result } = await collect(() =>
      trace(async function callService() {
        const r = await fetch(url, { headers: headersOut() });
        return r.text();
      })(),
    );
    assert.equal(result, "served /docs");
    // Both servers run in this process and the client's trace is open while the request is
    // served: the server's span joins it (as in MLflow), one trace end to end.
    assert.equal(traces.length, 1);
    const [t] = traces;
    assert.equal(span(t, "handleRequest").parent_span_id, span(t, "callService").span_id);
    assert.ok(!span(t, "callService").parent_span_id, "the client span is the root");
    // Without the header the server answers 400 (the callback is not run).
    const bad = await fetch(url);
    assert.equal(bad.status, 400);
  } finally {
    srv.close();
  }
});
