// Hooks, streams, distributed traces, getTrace, assessment edits and resetDestination against a
// real MLflow server (started once for this file). Traced apps run in child processes; what the
// server stores is read back with MLflow's own Python client.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { before, describe, test } from "node:test";

import { childEnv, IMPORT, mlflowServer, python, runApp, skip, tmp, uniqueName } from "./mlflow_support.mjs";

/** MLflow's view of traces: spans (decoded), info, assessments. */
const READ_TRACES = `
import json, sys
import mlflow

mlflow.set_tracking_uri(sys.argv[1])

def span(s):
    return {
        "name": s.name, "span_id": s.span_id, "parent_id": s.parent_id, "trace_id": s.trace_id,
        "span_type": s.span_type, "inputs": s.inputs, "outputs": s.outputs,
        "status": s.status.status_code.value, "attributes": s.attributes,
        "events": [{"name": e.name, "attributes": e.attributes} for e in s.events],
    }

def assessment(a):
    return {"id": a.assessment_id, "name": a.name, "kind": type(a).__name__, "value": getattr(a, "value", None),
            "rationale": getattr(a, "rationale", None), "valid": a.valid, "overrides": a.overrides,
            "source_type": a.source.source_type}

out = {}
for tid in sys.argv[2:]:
    t = mlflow.get_trace(tid)
    out[tid] = None if t is None else {
        "state": t.info.state.value, "experiment_id": t.info.experiment_id, "tags": t.info.tags,
        "experiment_name": mlflow.get_experiment(t.info.experiment_id).name,
        "metadata": t.info.trace_metadata, "request_preview": t.info.request_preview,
        "response_preview": t.info.response_preview,
        "assessments": [assessment(a) for a in t.info.assessments],
        "spans": [span(s) for s in t.data.spans],
    }
print(json.dumps(out, default=str))
`;

const readTraces = (uri, ids) => python(READ_TRACES, [uri, ...ids]);

/** A traced Python client (ferrotrace's Python binding) sending its traceparent to a Node server. */
const PY_CLIENT = `
import json, sys, urllib.request
import ferrotrace as mlflow

uri, experiment, port = sys.argv[1:4]
mlflow.set_tracking_uri(uri)
mlflow.set_experiment(experiment)

@mlflow.trace(span_type="AGENT")
def py_ask(q):
    headers = mlflow.tracing.get_tracing_context_headers_for_http_request()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/answer", data=json.dumps({"q": q}).encode(), headers=headers, method="POST")
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read())

py_ask("from python")
mlflow.flush()
print(json.dumps({"traceId": mlflow.get_last_active_trace_id()}))
`;
const byName = (spans) => Object.fromEntries(spans.map((s) => [s.name, s]));

describe("hooks, streams, distributed traces and assessments on a real MLflow server", { skip }, () => {
  const serverUri = mlflowServer();
  let uri;
  before(() => (uri = serverUri()));

  test("an end hook redacts inputs, outputs and attributes before export; previews follow", async () => {
    const body = `
      const EMAIL = /[\\w.+-]+@[\\w-]+(\\.[\\w-]+)+/g;
      const scrub = (v) => (v === undefined ? v : JSON.parse(JSON.stringify(v).replace(EMAIL, "<email>")));
      mlflow.init({ trackingUri: process.argv[2], experimentName: process.argv[3] });
      mlflow.registerOnSpanStartHook((span) => span.setAttribute("app.hooked", span.name));
      mlflow.registerOnSpanEndHook((span) => {
        span.setInputs(scrub(span.inputs));
        span.setOutputs(scrub(span.outputs));
        if (span.getAttribute("user.contact") !== undefined) span.setAttribute("user.contact", "<email>");
      });
      mlflow.registerOnSpanEndHook(() => { throw new Error("a broken hook"); }); // skipped, never seen by the app
      const lookup = mlflow.trace(function lookup(who) {
        mlflow.getCurrentActiveSpan().setAttribute("user.contact", who);
        return { owner: who, note: "write to " + who };
      }, { spanType: mlflow.SpanType.TOOL });
      const answer = mlflow.trace(async function answer(question) {
        return "ask " + lookup("alice@example.com").owner;
      });
      const result = await answer("who owns bob.smith@corp.example.org?");
      console.log(JSON.stringify({ traceId: mlflow.getLastActiveTraceId(), result }));
    `;
    const { out, stderr } = await runApp(body, [uri, uniqueName("ferrotrace-hooks")]);
    assert.equal(out.result, "ask alice@example.com", "the app's own values are untouched");
    assert.match(stderr, /a broken hook/);
    const t = (await readTraces(uri, [out.traceId]))[out.traceId];
    const text = JSON.stringify(t);
    assert.ok(!/@example\.com|@corp\.example\.org/.test(text), `an address reached the server: ${text}`);
    const spans = byName(t.spans);
    assert.deepEqual(spans.answer.inputs, { question: "who owns <email>?" });
    assert.equal(spans.answer.outputs, "ask <email>");
    assert.deepEqual(spans.lookup.inputs, { who: "<email>" });
    assert.deepEqual(spans.lookup.outputs, { owner: "<email>", note: "write to <email>" });
    assert.equal(spans.lookup.attributes["user.contact"], "<email>");
    assert.equal(spans.lookup.attributes["app.hooked"], "lookup");
    assert.equal(spans.answer.attributes["app.hooked"], "answer");
    assert.equal(t.request_preview, '{"question":"who owns <email>?"}');
    assert.equal(t.response_preview, '"ask <email>"');
    assert.equal(t.metadata["mlflow.traceInputs"], '{"question":"who owns <email>?"}');
  });

  test("streams: chunk events, outputs, an early return(), a failing stream, withSpan's iterable", async () => {
    const body = `
      mlflow.init({ trackingUri: process.argv[2], experimentName: process.argv[3] });
      const { SpanType } = mlflow;
      const llm = mlflow.trace(async function* llm(prompt) {
        for (const t of ["Hel", "lo", "!"]) yield { delta: t };
      }, { spanType: SpanType.LLM });
      const counter = mlflow.trace(function* counter(start) {
        try { for (let i = start; ; i++) yield i; } finally { mlflow.withSpan(() => "cleanup", { name: "cleanup" }); }
      });
      const flaky = mlflow.trace(async function* flaky(n) {
        yield "first";
        throw new TypeError("stream broke after " + n);
      }, { spanType: SpanType.LLM });
      const chat = mlflow.trace(async function chat(message) {
        let text = "";
        for await (const c of llm(message)) text += c.delta;
        const seen = [];
        for (const i of counter(10)) { if (seen.push(i) === 2) break; }
        let error = null;
        try { for await (const x of flaky(1)) seen.push(x); } catch (e) { error = e.message; }
        const words = mlflow.withSpan(async () => (async function* () { yield "a"; yield "b"; })(), { name: "words" });
        for await (const w of await words) seen.push(w);
        return { text, seen, error };
      }, { spanType: SpanType.CHAIN });
      const result = await chat("hi");
      console.log(JSON.stringify({ traceId: mlflow.getLastActiveTraceId(), result }));
    `;
    const { out } = await runApp(body, [uri, uniqueName("ferrotrace-streams")]);
    assert.deepEqual(out.result, { text: "Hello!", seen: [10, 11, "first", "a", "b"], error: "stream broke after 1" });
    const t = (await readTraces(uri, [out.traceId]))[out.traceId];
    assert.equal(t.state, "OK");
    const spans = byName(t.spans);
    assert.deepEqual(Object.keys(spans).sort(), ["chat", "cleanup", "counter", "flaky", "llm", "words"]);
    for (const n of ["llm", "counter", "flaky", "words"]) assert.equal(spans[n].parent_id, spans.chat.span_id, n);
    // The generator's finally runs inside its span: spans started there are its children.
    assert.equal(spans.cleanup.parent_id, spans.counter.span_id);

    const llm = spans.llm;
    assert.equal(llm.status, "OK");
    assert.deepEqual(llm.inputs, { prompt: "hi" });
    assert.deepEqual(llm.outputs, [{ delta: "Hel" }, { delta: "lo" }, { delta: "!" }]);
    assert.deepEqual(
      llm.events.map((e) => [e.name, JSON.parse(e.attributes["mlflow.chunk.value"])]),
      [["mlflow.chunk.item.0", { delta: "Hel" }], ["mlflow.chunk.item.1", { delta: "lo" }], ["mlflow.chunk.item.2", { delta: "!" }]],
    );
    // Abandoned by break: ended (OK) with the items taken.
    assert.equal(spans.counter.status, "OK");
    assert.deepEqual(spans.counter.outputs, [10, 11]);
    assert.deepEqual(spans.counter.events.map((e) => e.name), ["mlflow.chunk.item.0", "mlflow.chunk.item.1"]);
    // A stream that throws: ERROR, its item, then the exception.
    assert.equal(spans.flaky.status, "ERROR");
    assert.deepEqual(spans.flaky.events.map((e) => e.name), ["mlflow.chunk.item.0", "exception"]);
    assert.equal(spans.flaky.events[1].attributes["exception.message"], "stream broke after 1");
    // withSpan whose callback resolves to an async iterable: one span for the iteration.
    assert.deepEqual(spans.words.outputs, ["a", "b"]);
    assert.equal(spans.words.events.length, 2);
    assert.deepEqual(spans.chat.outputs, out.result);
  });

  test("distributed traces: Node and Python clients and a Node server joined by traceparent, one trace each on the server", async () => {
    const experiment = uniqueName("ferrotrace-distributed");
    const dir = tmp("ferrotrace-service-");
    const serverFile = path.join(dir, "service.mjs");
    fs.writeFileSync(
      serverFile,
      `import * as mlflow from ${IMPORT};
      import * as http from "node:http";
      mlflow.init({ trackingUri: process.argv[2], experimentName: process.argv[3] });
      const retrieve = mlflow.trace(async function retrieve(q) { return ["doc-" + q.length]; }, { spanType: mlflow.SpanType.RETRIEVER });
      let served = 0;
      const server = http.createServer((req, res) => {
        let body = "";
        req.on("data", (d) => (body += d));
        req.on("end", () =>
          mlflow.withTracingContextFromHeadersAsync(req.headers, () =>
            mlflow.withSpan(async (span) => {
              span.setInputs(JSON.parse(body));
              const docs = await retrieve(JSON.parse(body).q);
              res.end(JSON.stringify({ docs }));
              // Work after answering (logging, cleanup): this part ends after the client's
              // trace is exported, and must not replace the client's trace info.
              await new Promise((r) => setTimeout(r, 500));
              return { docs };
            }, { name: "handle", spanType: mlflow.SpanType.CHAIN }),
          ).finally(() => ++served === 2 && server.close()), // two requests, then exit (the exit hook delivers)
        );
      });
      server.listen(0, "127.0.0.1", () => console.log(server.address().port));
      `,
    );
    const service = spawn(process.execPath, [serverFile, uri, experiment], { env: childEnv(), cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    let serviceErr = "";
    service.stderr.on("data", (d) => (serviceErr += d));
    const exited = new Promise((resolve) => service.on("close", resolve));
    try {
      const port = await new Promise((resolve, reject) => {
        service.stdout.once("data", (d) => resolve(Number(String(d).trim())));
        service.once("close", () => reject(new Error(`the service exited: ${serviceErr}`)));
      });
      const client = `
        mlflow.init({ trackingUri: process.argv[2], experimentName: process.argv[3] });
        let headers;
        const ask = mlflow.trace(async function ask(q) {
          return mlflow.withSpan(async () => {
            headers = mlflow.getTracingContextHeadersForHttpRequest();
            const r = await fetch("http://127.0.0.1:" + process.argv[4] + "/answer", { method: "POST", headers, body: JSON.stringify({ q }) });
            return r.json();
          }, { name: "http_call", spanType: mlflow.SpanType.TOOL });
        }, { spanType: mlflow.SpanType.AGENT });
        const result = await ask("what is tracing?");
        console.log(JSON.stringify({ traceId: mlflow.getLastActiveTraceId(), headers, result }));
      `;
      const { out } = await runApp(client, [uri, experiment, String(port)]);
      // A Python client (ferrotrace's Python binding) calls the same Node server.
      const py = await python(PY_CLIENT, [uri, experiment, String(port)]);
      assert.equal(await exited, 0, serviceErr);
      assert.deepEqual(out.result, { docs: ["doc-16"] });
      const [, traceHex, parentHex] = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(out.headers.traceparent);
      assert.equal(out.traceId, `tr-${traceHex}`);

      const both = await readTraces(uri, [out.traceId, py.traceId]);
      const t = both[out.traceId];
      assert.ok(t, "the server has the trace");
      const spans = byName(t.spans);
      assert.deepEqual(Object.keys(spans).sort(), ["ask", "handle", "http_call", "retrieve"]);
      for (const s of t.spans) assert.equal(s.trace_id, out.traceId, s.name);
      assert.equal(spans.ask.parent_id, null);
      assert.equal(spans.http_call.parent_id, spans.ask.span_id);
      assert.equal(spans.http_call.span_id, parentHex);
      // The server process's spans hang under the client's span that sent the request.
      assert.equal(spans.handle.parent_id, spans.http_call.span_id);
      assert.equal(spans.retrieve.parent_id, spans.handle.span_id);
      assert.deepEqual(spans.handle.inputs, { q: "what is tracing?" });
      assert.deepEqual(spans.retrieve.outputs, ["doc-16"]);
      assert.deepEqual(spans.ask.outputs, { docs: ["doc-16"] });
      // The trace info is the client's (the origin's), whichever process reported last.
      assert.equal(t.tags["mlflow.traceName"], "ask");
      assert.equal(t.state, "OK");
      assert.equal(t.request_preview, '{"q":"what is tracing?"}');

      // Python client -> Node server: one trace, the Node span under the Python span.
      const p = both[py.traceId];
      const pySpans = byName(p.spans);
      assert.deepEqual(Object.keys(pySpans).sort(), ["handle", "py_ask", "retrieve"]);
      assert.equal(pySpans.py_ask.parent_id, null);
      assert.equal(pySpans.handle.parent_id, pySpans.py_ask.span_id);
      assert.equal(pySpans.retrieve.parent_id, pySpans.handle.span_id);
      assert.deepEqual(pySpans.py_ask.outputs, { docs: ["doc-11"] });
      assert.equal(p.tags["mlflow.traceName"], "py_ask");
      assert.equal(p.state, "OK");
    } finally {
      if (service.exitCode === null) service.kill("SIGKILL");
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("getTrace, getAssessment, updateAssessment, deleteAssessment and overrideFeedback", async () => {
    const experiment = uniqueName("ferrotrace-assessments");
    const body = `
      mlflow.init({ trackingUri: process.argv[2], experimentName: process.argv[3] });
      const llm = mlflow.trace(function llm(prompt) {
        mlflow.getCurrentActiveSpan().setAttribute("mlflow.chat.tokenUsage", { input_tokens: 3, output_tokens: 4, total_tokens: 7 });
        return "four";
      }, { spanType: mlflow.SpanType.LLM });
      const agent = mlflow.trace(function agent(question) { return llm("q: " + question); }, { spanType: mlflow.SpanType.AGENT });
      agent("2 + 2?");
      const traceId = mlflow.getLastActiveTraceId();
      const local = await mlflow.getTrace(traceId);
      const judge = { sourceType: "LLM_JUDGE", sourceId: "judge-1" };
      const fb = await mlflow.logFeedback({ traceId, name: "correct", value: false, rationale: "judge says no", source: judge });
      const got = await mlflow.getAssessment(traceId, fb.assessmentId);
      const rated = await mlflow.logFeedback({ traceId, name: "score", value: 0.5, metadata: { run: "1" } });
      const updated = await mlflow.updateAssessment(traceId, rated.assessmentId, { value: 0.25, rationale: "re-scored" });
      const ex = await mlflow.logExpectation({ traceId, name: "expected", value: "4" });
      const exUpdated = await mlflow.updateAssessment(traceId, ex.assessmentId, { value: "four" });
      const fixed = await mlflow.overrideFeedback({
        traceId, assessmentId: fb.assessmentId, value: true, rationale: "it is four",
        source: { sourceType: "HUMAN", sourceId: "alice" },
      });
      const old = await mlflow.getAssessment(traceId, fb.assessmentId);
      const temp = await mlflow.logFeedback({ traceId, name: "temp", value: 1 });
      await mlflow.deleteAssessment(traceId, temp.assessmentId);
      const afterDelete = await mlflow.getAssessment(traceId, temp.assessmentId).then(() => "found", (e) => e.message);
      const notFeedback = await mlflow.overrideFeedback({ traceId, assessmentId: ex.assessmentId, value: 1 }).then(() => "ok", (e) => e.message);
      const missing = await mlflow.getTrace("tr-00000000000000000000000000000000", { silent: true });
      const summary = (t) => ({
        traceId: t.info.traceId, state: t.info.state, tags: t.info.tags, tokenUsage: t.info.tokenUsage,
        experimentId: t.info.traceLocation.mlflowExperiment?.experimentId,
        assessments: t.info.assessments.map((a) => [a.name, a.value, a.valid ?? null]).sort(),
        spans: t.data.spans.map((s) => ({
          name: s.name, spanId: s.spanId, parentId: s.parentId, spanType: s.spanType, inputs: s.inputs,
          outputs: s.outputs, status: s.status.statusCode, startIsBigint: typeof s.startTimeNs === "bigint",
          ordered: s.endTimeNs > s.startTimeNs, traceId: s.traceId,
        })),
      });
      console.log(JSON.stringify({ traceId, local: summary(local), fb, got, rated, updated, exUpdated, fixed, old, afterDelete, notFeedback, missing }));
    `;
    const { out } = await runApp(body, [uri, experiment]);
    const { traceId } = out;

    // getTrace right after the call: found in this process, spans decoded.
    const local = out.local;
    assert.equal(local.traceId, traceId);
    assert.equal(local.state, "OK");
    assert.deepEqual(local.tokenUsage, { input_tokens: 3, output_tokens: 4, total_tokens: 7 });
    const [agent, llm] = local.spans;
    assert.deepEqual([agent.name, llm.name], ["agent", "llm"]);
    assert.equal(llm.parentId, agent.spanId);
    assert.equal(agent.parentId, null);
    assert.match(agent.spanId, /^[0-9a-f]{16}$/);
    assert.deepEqual([agent.inputs, agent.outputs, agent.spanType, agent.status], [{ question: "2 + 2?" }, "four", "AGENT", "OK"]);
    for (const s of local.spans) assert.ok(s.startIsBigint && s.ordered && s.traceId === traceId);
    assert.equal(out.missing, null);

    // The assessment calls.
    assert.deepEqual(out.got, out.fb);
    assert.equal(out.updated.assessmentId, out.rated.assessmentId);
    assert.equal(out.updated.value, 0.25);
    assert.equal(out.updated.rationale, "re-scored");
    assert.deepEqual(out.updated.metadata, { run: "1" });
    assert.equal(out.exUpdated.value, "four");
    assert.equal(out.exUpdated.name, "expected");
    assert.equal(out.fixed.overrides, out.fb.assessmentId);
    assert.equal(out.fixed.name, "correct");
    assert.equal(out.fixed.value, true);
    assert.deepEqual(out.fixed.source, { sourceType: "HUMAN", sourceId: "alice" });
    assert.equal(out.old.valid, false);
    assert.match(out.afterDelete, /HTTP 404/);
    assert.match(out.notFeedback, /is not a feedback assessment/);

    // What the server stores, read by MLflow's client ...
    const t = (await readTraces(uri, [traceId]))[traceId];
    const stored = Object.fromEntries(t.assessments.map((a) => [a.id, a]));
    assert.equal(stored[out.fb.assessmentId].valid, false);
    assert.equal(stored[out.fb.assessmentId].value, false);
    assert.deepEqual(
      [stored[out.fixed.assessmentId].value, stored[out.fixed.assessmentId].overrides, stored[out.fixed.assessmentId].source_type],
      [true, out.fb.assessmentId, "HUMAN"],
    );
    assert.deepEqual([stored[out.updated.assessmentId].value, stored[out.updated.assessmentId].rationale], [0.25, "re-scored"]);
    assert.equal(stored[out.exUpdated.assessmentId].kind, "Expectation");
    assert.equal(stored[out.exUpdated.assessmentId].value, "four");
    assert.ok(!t.assessments.some((a) => a.name === "temp"), "the deleted assessment is gone");

    // ... and by getTrace in another process, which has to ask the server.
    const reader = `
      mlflow.init({ trackingUri: process.argv[2] });
      const t = await mlflow.getTrace(process.argv[3]);
      console.log(JSON.stringify({
        names: t.data.spans.map((s) => s.name), state: t.info.state, usage: t.info.tokenUsage,
        traceName: t.info.tags["mlflow.traceName"], experimentId: t.info.traceLocation.mlflowExperiment?.experimentId,
        assessments: t.info.assessments.map((a) => [a.name, a.value, a.valid ?? null, a.overrides ?? null]),
        preview: t.info.requestPreview,
      }));
    `;
    const { out: remote } = await runApp(reader, [uri, traceId]);
    assert.deepEqual(remote.names, ["agent", "llm"]);
    assert.equal(remote.state, "OK");
    assert.equal(remote.traceName, "agent");
    assert.equal(remote.experimentId, t.experiment_id);
    assert.deepEqual(remote.usage, { input_tokens: 3, output_tokens: 4, total_tokens: 7 });
    assert.equal(remote.preview, '{"question":"2 + 2?"}');
    assert.deepEqual(
      remote.assessments.sort(),
      [
        ["correct", false, false, null],
        ["correct", true, true, out.fb.assessmentId],
        ["expected", "four", true, null], // the server marks every assessment valid until overridden
        ["score", 0.25, true, null],
      ].sort(),
    );
  });

  test("setDestination sends traces to another experiment; resetDestination returns to init's", async () => {
    const body = `
      const [uri, first, , secondId] = process.argv.slice(2);
      mlflow.init({ trackingUri: uri, experimentName: first });
      const f = mlflow.trace(function f(tag) { return tag; });
      f("before");
      const firstTrace = mlflow.getLastActiveTraceId();
      await mlflow.flushTraces();
      mlflow.setDestination(mlflow.createTraceLocationFromExperimentId(secondId));
      const during = mlflow.getDestination();
      f("during");
      const secondTrace = mlflow.getLastActiveTraceId();
      mlflow.resetDestination();
      const afterReset = mlflow.getDestination() ?? null;
      f("after");
      const thirdTrace = mlflow.getLastActiveTraceId();
      await mlflow.flushTraces();
      console.log(JSON.stringify({ firstTrace, secondTrace, thirdTrace, during, afterReset, stats: mlflow.stats() }));
    `;
    const first = uniqueName("ferrotrace-dest-a");
    const second = uniqueName("ferrotrace-dest-b");
    const { exp_id: secondId } = await python(
      "import json, sys, mlflow\nmlflow.set_tracking_uri(sys.argv[1])\nprint(json.dumps({'exp_id': mlflow.create_experiment(sys.argv[2])}))",
      [uri, second],
    );
    const { out, stderr } = await runApp(body, [uri, first, second, secondId]);
    assert.equal(out.stats.traces_exported, 3, stderr);
    assert.deepEqual(out.during, { type: "MLFLOW_EXPERIMENT", mlflowExperiment: { experimentId: secondId } });
    assert.equal(out.afterReset, null, "back to the experiment init named (by name: no id to show)");
    const traces = await readTraces(uri, [out.firstTrace, out.secondTrace, out.thirdTrace]);
    const firstId = traces[out.firstTrace].experiment_id;
    assert.equal(traces[out.firstTrace].experiment_name, first);
    assert.equal(traces[out.secondTrace].experiment_id, secondId);
    assert.equal(traces[out.thirdTrace].experiment_id, firstId);
  });
});
