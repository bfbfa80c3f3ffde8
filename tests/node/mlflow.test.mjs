// Export to a real MLflow tracking server (MLflow 3.17.2 from .venv, started once for this file;
// or the one named by FERROTRACE_TEST_MLFLOW_URI). Each traced app runs in its own node process
// (fresh tracer, real exit) and is read back with MLflow's own Python client, field by field.
import assert from "node:assert/strict";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { before, describe, test } from "node:test";
import * as zlib from "node:zlib";

import { REPO } from "./helpers.mjs";
import { childEnv, mlflowServer, python, run, runApp, skip, uniqueName } from "./mlflow_support.mjs";

/**
 * A loopback HTTP proxy in front of the server that records every request (method, path,
 * Authorization, body) and can demand one Authorization value: what a server behind auth sees.
 */
function authProxy(target, required) {
  const seen = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const auth = req.headers.authorization ?? null;
      seen.push({ method: req.method, path: req.url, auth, body, encoding: req.headers["content-encoding"] });
      if (required !== undefined && auth !== required) {
        const payload = '{"error_code": "UNAUTHENTICATED", "message": "You are not authenticated."}';
        res.writeHead(401, { "content-type": "application/json", "content-length": Buffer.byteLength(payload) });
        return res.end(payload);
      }
      const headers = { ...req.headers };
      for (const h of ["host", "authorization", "connection"]) delete headers[h];
      const up = http.request(target + req.url, { method: req.method, headers }, (ur) => {
        const out = [];
        ur.on("data", (c) => out.push(c));
        ur.on("end", () => {
          const data = Buffer.concat(out);
          const h = { ...ur.headers, "content-length": data.length };
          delete h["transfer-encoding"];
          delete h.connection;
          res.writeHead(ur.statusCode, h);
          res.end(data);
        });
      });
      up.on("error", (e) => {
        res.writeHead(502);
        res.end(String(e));
      });
      up.end(body);
    });
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({
        uri: `http://127.0.0.1:${server.address().port}`,
        seen,
        close: () => {
          server.closeAllConnections();
          return new Promise((r) => server.close(r));
        },
      }),
    ),
  );
}

const bodyText = (req) =>
  (req.encoding === "gzip" ? zlib.gunzipSync(req.body) : req.body).toString("latin1");

// ---- the traced application and what MLflow reads back -------------------------------------

const APP = `
const { SpanType } = mlflow;
const [uri, experimentName] = process.argv.slice(2);
const t0 = performance.now();
mlflow.init({ trackingUri: uri, experimentName });
mlflow.init({ trackingUri: uri, experimentName }); // twice is safe
const initMs = performance.now() - t0;
const started = Date.now();
let llmSpanId;

const retrieveDocs = mlflow.trace(async function retrieveDocs(query, k) {
  return [{ id: "d1", text: "MLflow is an ML platform" }].slice(0, k);
}, { spanType: SpanType.RETRIEVER });

const callLlm = mlflow.trace(async function callLlm(prompt) {
  const span = mlflow.getCurrentActiveSpan();
  llmSpanId = span.spanId;
  span.setAttribute("mlflow.chat.tokenUsage", { input_tokens: 12, output_tokens: 3, total_tokens: 15 });
  return { content: "answer" };
}, { spanType: SpanType.LLM, attributes: { model: "stub" } });

const flakyTool = mlflow.trace(function flakyTool(x) {
  throw new RangeError("tool failed");
}, { spanType: SpanType.TOOL });

const agentRun = mlflow.trace(async function agentRun(question) {
  mlflow.updateCurrentTrace({
    tags: { env: "wire-test" }, sessionId: "session-123", user: "alice", metadata: { "app.version": "1.2" },
  });
  const docs = await retrieveDocs(question, 2);
  mlflow.withSpan((s) => {
    s.setInputs({ raw: docs });
    s.addEvent(new mlflow.SpanEvent({ name: "checkpoint", attributes: { step: 1 } }));
    s.setOutputs("clean");
  }, { name: "postprocess", spanType: SpanType.PARSER });
  try { flakyTool(1); } catch {}
  return (await callLlm("q: " + question)).content;
}, { spanType: SpanType.AGENT });

const failingRun = mlflow.trace(async function failingRun(n) {
  throw new Error("boom " + n);
});

await agentRun("what is mlflow?");
const ok = mlflow.getLastActiveTraceId();
await failingRun(1).catch(() => {});
const err = mlflow.getLastActiveTraceId();

// Right after the traced calls: the traces may still be queued; logging delivers them first.
const fb = await mlflow.logFeedback({
  traceId: ok, name: "relevance", value: 0.9, rationale: "on topic",
  source: { sourceType: "llm_judge", sourceId: "gpt-judge" }, metadata: { judge_version: 1 },
});
const spanFb = await mlflow.logFeedback({
  traceId: ok, name: "thumbs", value: true, spanId: llmSpanId,
  source: { sourceType: mlflow.AssessmentSourceType.HUMAN, sourceId: "alice" },
});
const errFb = await mlflow.logFeedback({ traceId: err, name: "judge", error: new TypeError("judge timed out") });
const ex = await mlflow.logExpectation({ traceId: ok, name: "expected_answer", value: "MLflow is an ML platform" });
const exStruct = await mlflow.logExpectation({
  traceId: ok, name: "expected_facts", value: { facts: ["open source", "ml platform"] },
});
await mlflow.setTraceTag(ok, "reviewed", "yes");
await mlflow.setTraceTag(ok, "tmp", "x");
await mlflow.deleteTraceTag(ok, "tmp");
let unknown = null;
await mlflow.logFeedback({ traceId: "tr-00000000000000000000000000000000", value: 1 }).catch((e) => (unknown = e.message));
await mlflow.flushTraces();
console.log(JSON.stringify({
  ok, err, llmSpanId, initMs, started, ended: Date.now(), fb, spanFb, errFb, ex, exStruct, unknown,
  stats: mlflow.stats(), config: mlflow.getConfig(),
}));
`;

const READ_BACK = `
import json, sys
import mlflow

uri, ok, err, exp_name = sys.argv[1:5]
mlflow.set_tracking_uri(uri)
exp_id = mlflow.get_experiment_by_name(exp_name).experiment_id

def span(s):
    return {
        "name": s.name, "span_id": s.span_id, "parent_id": s.parent_id, "span_type": s.span_type,
        "inputs": s.inputs, "outputs": s.outputs, "status": s.status.status_code.value,
        "status_description": s.status.description, "model": s.get_attribute("model"),
        "events": [{"name": e.name, "attributes": e.attributes} for e in s.events],
    }

def assessment(a):
    err = getattr(a, "error", None)
    return {
        "kind": type(a).__name__, "id": a.assessment_id, "name": a.name,
        "source_type": a.source.source_type, "source_id": a.source.source_id,
        "rationale": getattr(a, "rationale", None), "metadata": a.metadata, "span_id": a.span_id,
        "create_time_ms": a.create_time_ms, "value": getattr(a, "value", None),
        "error": None if err is None else {"code": err.error_code, "message": err.error_message, "stack": err.stack_trace},
    }

def trace(tid):
    t = mlflow.get_trace(tid)
    i = t.info
    return {
        "info": {
            "trace_id": i.trace_id, "state": i.state.value, "experiment_id": i.experiment_id,
            "tags": i.tags, "metadata": i.trace_metadata, "request_preview": i.request_preview,
            "response_preview": i.response_preview, "token_usage": i.token_usage,
            "assessments": [assessment(a) for a in i.assessments],
        },
        "spans": [span(s) for s in t.data.spans],
    }

def search(f):
    found = mlflow.search_traces(locations=[exp_id], filter_string=f, return_type="list")
    return sorted(t.info.trace_id for t in found)

searches = ["trace.name = 'agentRun'", "span.type = 'LLM'", "tag.env = 'wire-test'", "trace.status = 'ERROR'", "tag.reviewed = 'yes'"]
print(json.dumps({"exp_id": exp_id, "ok": trace(ok), "err": trace(err), "searches": {f: search(f) for f in searches}}, default=str))
`;

describe("export to a real MLflow server", { skip }, () => {
  const serverUri = mlflowServer();
  let uri;
  before(() => (uri = serverUri()));

  // The app runs once; the tests below check what it reported and what the server holds.
  let traced;
  const app = () =>
    (traced ??= (async () => {
      const experiment = uniqueName("ferrotrace-node");
      const { out, stderr, file } = await runApp(APP, [uri, experiment]);
      const server = await python(READ_BACK, [uri, out.ok, out.err, experiment]);
      return { ...out, stderr, file, experiment, server };
    })());

  test("the app exported everything without loss, and init did not wait", async () => {
    const t = await app();
    assert.equal(t.stats.traces_exported, 2, JSON.stringify(t.stats));
    assert.equal(t.stats.traces_dropped, 0);
    assert.equal(t.stats.spans_dropped, 0);
    assert.deepEqual(t.stats.dropped_traces, {});
    assert.doesNotMatch(t.stderr, /WARNING/);
    assert.ok(t.initMs < 50, `init took ${t.initMs} ms`);
    assert.equal(t.config.destination, "mlflow");
    assert.equal(t.config.trackingUri, uri);
    assert.equal(t.config.experimentName, t.experiment);
  });

  test("the span tree: names, types, parents, inputs, outputs, status, events", async () => {
    const { server, llmSpanId } = await app();
    const spans = Object.fromEntries(server.ok.spans.map((s) => [s.name, s]));
    assert.deepEqual(Object.keys(spans).sort(), ["agentRun", "callLlm", "flakyTool", "postprocess", "retrieveDocs"]);
    const root = spans.agentRun;
    assert.equal(root.parent_id, null);
    for (const n of ["retrieveDocs", "postprocess", "flakyTool", "callLlm"]) assert.equal(spans[n].parent_id, root.span_id, n);
    assert.deepEqual(
      Object.fromEntries(Object.entries(spans).map(([n, s]) => [n, s.span_type])),
      { agentRun: "AGENT", retrieveDocs: "RETRIEVER", postprocess: "PARSER", flakyTool: "TOOL", callLlm: "LLM" },
    );
    assert.deepEqual(root.inputs, { question: "what is mlflow?" });
    assert.equal(root.outputs, "answer");
    assert.equal(root.status, "OK");
    assert.deepEqual(spans.retrieveDocs.inputs, { query: "what is mlflow?", k: 2 });
    assert.deepEqual(spans.retrieveDocs.outputs, [{ id: "d1", text: "MLflow is an ML platform" }]);
    assert.deepEqual(spans.callLlm.inputs, { prompt: "q: what is mlflow?" });
    assert.deepEqual(spans.callLlm.outputs, { content: "answer" });
    assert.equal(spans.callLlm.model, "stub");
    assert.equal(spans.callLlm.span_id, llmSpanId);
    assert.deepEqual(spans.postprocess.inputs, { raw: [{ id: "d1", text: "MLflow is an ML platform" }] });
    assert.equal(spans.postprocess.outputs, "clean");
    assert.deepEqual(spans.postprocess.events, [{ name: "checkpoint", attributes: { step: 1 } }]);
    const tool = spans.flakyTool;
    assert.equal(tool.status, "ERROR");
    assert.equal(tool.status_description, "RangeError: tool failed");
    assert.deepEqual(tool.inputs, { x: 1 });
    assert.equal(tool.events.length, 1);
    const exc = tool.events[0];
    assert.equal(exc.name, "exception");
    assert.equal(exc.attributes["exception.type"], "RangeError");
    assert.equal(exc.attributes["exception.message"], "tool failed");
    assert.match(exc.attributes["exception.stacktrace"], /RangeError: tool failed\n\s+at flakyTool/);
    for (const n of ["agentRun", "retrieveDocs", "postprocess", "callLlm"]) assert.equal(spans[n].status, "OK", n);
  });

  test("trace info: state, experiment, tags, metadata, previews, token usage", async () => {
    const { server, ok, err, experiment, file } = await app();
    const info = server.ok.info;
    assert.equal(info.trace_id, ok);
    assert.equal(info.state, "OK");
    assert.equal(info.experiment_id, server.exp_id);
    assert.ok(server.exp_id !== "0", `experiment ${experiment} was created`);
    assert.equal(info.tags["mlflow.traceName"], "agentRun");
    assert.equal(info.tags.env, "wire-test");
    assert.equal(info.tags.reviewed, "yes"); // setTraceTag after export
    assert.equal(info.tags.tmp, undefined); // deleteTraceTag
    const md = info.metadata;
    assert.equal(md["mlflow.trace.session"], "session-123");
    assert.equal(md["mlflow.trace.user"], "alice");
    assert.equal(md["app.version"], "1.2");
    assert.equal(md["mlflow.trace_schema.version"], "3");
    assert.equal(md["mlflow.source.type"], "LOCAL");
    assert.equal(md["mlflow.user"], os.userInfo().username);
    assert.equal(path.basename(md["mlflow.source.name"]), path.basename(file));
    // Node writes JSON as JSON.stringify does (compact), as MLflow's TypeScript SDK.
    assert.equal(md["mlflow.traceInputs"], '{"question":"what is mlflow?"}');
    assert.equal(md["mlflow.traceOutputs"], '"answer"');
    assert.equal(info.request_preview, '{"question":"what is mlflow?"}');
    assert.equal(info.response_preview, '"answer"');
    assert.deepEqual(info.token_usage, { input_tokens: 12, output_tokens: 3, total_tokens: 15 });
    const failed = server.err.info;
    assert.equal(failed.trace_id, err);
    assert.equal(failed.state, "ERROR");
    assert.equal(failed.tags["mlflow.traceName"], "failingRun");
    assert.equal(server.err.spans[0].status_description, "Error: boom 1");
  });

  test("feedback and expectations: what logFeedback/logExpectation return and MLflow reads back", async () => {
    const t = await app();
    const byName = Object.fromEntries(t.server.ok.info.assessments.map((a) => [a.name, a]));
    assert.deepEqual(Object.keys(byName).sort(), ["expected_answer", "expected_facts", "relevance", "thumbs"]);

    // The returned objects carry the server's ids.
    for (const a of [t.fb, t.spanFb, t.errFb, t.ex, t.exStruct]) assert.match(a.assessmentId, /^a-[0-9a-f]{32}$/);
    assert.deepEqual(
      { ...t.fb, assessmentId: undefined, createTime: undefined, lastUpdateTime: undefined },
      {
        assessmentId: undefined, createTime: undefined, lastUpdateTime: undefined,
        name: "relevance", traceId: t.ok, value: 0.9, rationale: "on topic",
        source: { sourceType: "LLM_JUDGE", sourceId: "gpt-judge" }, metadata: { judge_version: "1" }, valid: true,
      },
    );
    assert.match(t.fb.createTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    const fb = byName.relevance;
    assert.equal(fb.kind, "Feedback");
    assert.equal(fb.id, t.fb.assessmentId);
    assert.equal(fb.value, 0.9);
    assert.equal(fb.rationale, "on topic");
    assert.equal(fb.source_type, "LLM_JUDGE");
    assert.equal(fb.source_id, "gpt-judge");
    assert.deepEqual(fb.metadata, { judge_version: "1" });
    assert.equal(fb.span_id, null);
    assert.ok(fb.create_time_ms >= t.started && fb.create_time_ms <= t.ended, "create_time is the time of the call");

    const thumbs = byName.thumbs;
    assert.equal(thumbs.id, t.spanFb.assessmentId);
    assert.equal(thumbs.value, true);
    assert.equal(thumbs.span_id, t.llmSpanId);
    assert.equal(t.spanFb.spanId, t.llmSpanId);
    assert.deepEqual([thumbs.source_type, thumbs.source_id], ["HUMAN", "alice"]);

    const ex = byName.expected_answer;
    assert.equal(ex.kind, "Expectation");
    assert.equal(ex.id, t.ex.assessmentId);
    assert.equal(ex.value, "MLflow is an ML platform");
    assert.deepEqual([ex.source_type, ex.source_id], ["HUMAN", "default"]);
    assert.equal(t.ex.value, "MLflow is an ML platform");
    assert.deepEqual(byName.expected_facts.value, { facts: ["open source", "ml platform"] });
    assert.deepEqual(t.exStruct.value, { facts: ["open source", "ml platform"] });

    // Feedback that is an error, on the failed trace; the default source is CODE.
    const [judge] = t.server.err.info.assessments;
    assert.equal(judge.name, "judge");
    assert.equal(judge.id, t.errFb.assessmentId);
    assert.deepEqual([judge.source_type, judge.source_id], ["CODE", "default"]);
    assert.equal(judge.value, null);
    assert.equal(judge.error.code, "TypeError");
    assert.equal(judge.error.message, "judge timed out");
    assert.match(judge.error.stack, /^TypeError: judge timed out\n\s+at /);
    assert.equal(t.errFb.error.errorCode, "TypeError");
    assert.equal(t.errFb.value, undefined);

    // An unknown trace: the server's own message.
    assert.match(t.unknown, /not found \(HTTP 404\).*tr-00000000000000000000000000000000/);
  });

  test("server-side searches find the traces", async () => {
    const { server, ok, err } = await app();
    const s = server.searches;
    assert.deepEqual(s["trace.name = 'agentRun'"], [ok]);
    assert.deepEqual(s["span.type = 'LLM'"], [ok]);
    assert.deepEqual(s["tag.env = 'wire-test'"], [ok]);
    assert.deepEqual(s["tag.reviewed = 'yes'"], [ok]);
    assert.ok(s["trace.status = 'ERROR'"].includes(err));
  });

  test("examples/node/mlflow_feedback.mjs runs as documented", async () => {
    const experiment = uniqueName("ferrotrace-example");
    const r = await run(process.execPath, [path.join(REPO, "examples", "node", "mlflow_feedback.mjs")], {
      env: childEnv({ MLFLOW_TRACKING_URI: uri, MLFLOW_EXPERIMENT_NAME: experiment }),
      cwd: REPO,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /WARNING/);
    const traceId = /^trace (tr-[0-9a-f]{32}) on /m.exec(r.stdout)[1];
    const got = await python(
      `
import json, sys, mlflow
mlflow.set_tracking_uri(sys.argv[1])
t = mlflow.get_trace(sys.argv[2])
print(json.dumps({"spans": sorted(s.name for s in t.data.spans), "tags": t.info.tags, "usage": t.info.token_usage,
                  "experiment": mlflow.get_experiment(t.info.experiment_id).name,
                  "assessments": sorted([a.name, type(a).__name__, a.source.source_type, a.value] for a in t.info.assessments)}))
`,
      [uri, traceId],
    );
    assert.deepEqual(got.spans, ["answer", "llm"]);
    assert.equal(got.experiment, experiment);
    assert.equal(got.tags.reviewed, "true");
    assert.deepEqual(got.usage, { input_tokens: 7, output_tokens: 5, total_tokens: 12 });
    assert.deepEqual(got.assessments, [
      ["expected_answer", "Expectation", "HUMAN", "MLflow is an open source platform for managing the ML lifecycle."],
      ["user_satisfaction", "Feedback", "HUMAN", true],
    ]);
  });

  test("a server that is down never blocks: init returns at once, traced calls stay fast", async () => {
    const port = await new Promise((resolve) => {
      const srv = http.createServer().listen(0, "127.0.0.1", () => {
        const p = srv.address().port;
        srv.close(() => resolve(p)); // nothing listens there any more
      });
    });
    const down = `http://127.0.0.1:${port}`;
    const body = `
      const t0 = performance.now();
      mlflow.init({ trackingUri: process.argv[2], experimentName: "down" });
      const initMs = performance.now() - t0;
      mlflow.init({ trackingUri: process.argv[2], experimentName: "down" });
      const f = mlflow.trace(function f(x) { return x; });
      let worst = 0;
      for (let i = 0; i < 200; i++) { const a = performance.now(); f(i); worst = Math.max(worst, performance.now() - a); }
      console.log(JSON.stringify({ initMs, worst }));
    `;
    const { out, stderr, ms } = await runApp(body, [down], { FERROTRACE_EXIT_TIMEOUT: "1" });
    assert.ok(out.initMs < 20, `init took ${out.initMs} ms`);
    assert.ok(out.worst < 50, `a traced call took ${out.worst} ms`);
    assert.ok(ms < 10_000, `the app took ${ms} ms`); // the exit hook gives up after 1 s
    // One warning from init (two calls), naming the server.
    const initWarnings = stderr.split("\n").filter((l) => l.includes("WARNING: init:"));
    assert.equal(initWarnings.length, 1, stderr);
    assert.match(initWarnings[0], new RegExp(`the MLflow server at ${down} did not answer`));
  });

  test("an unknown experiment id: a clear warning at init and a counted drop (rejected)", async () => {
    const body = `
      mlflow.init({ trackingUri: process.argv[2], experimentId: "987654321" });
      mlflow.trace(function x() { return 1; })();
      await mlflow.flushTraces(20_000);
      console.log(JSON.stringify(mlflow.stats()));
    `;
    const { out, stderr } = await runApp(body, [uri]);
    assert.deepEqual(out.dropped_traces, { rejected: 1 });
    assert.equal(out.traces_exported, 0);
    assert.match(stderr, /WARNING: init: the MLflow experiment on .* cannot be used: .*987654321/);
    assert.match(stderr, /could not deliver 1 trace\(s\) to the mlflow destination: .*987654321/);
  });

  test("a bearer token from init reaches the server on every request; the wire is as Python's", async () => {
    const proxy = await authProxy(uri, "Bearer tok-123");
    const experiment = uniqueName("ferrotrace-auth");
    const body = `
      mlflow.init({ trackingUri: process.argv[2], experimentName: process.argv[3], trackingServerToken: "tok-123" });
      let spanId;
      mlflow.trace(function f(x) { spanId = mlflow.getCurrentActiveSpan().spanId; return x; })(1);
      const traceId = mlflow.getLastActiveTraceId();
      await mlflow.logFeedback({
        traceId, name: "relevance", value: 0.5, rationale: "half", spanId,
        source: { sourceType: "LLM_JUDGE", sourceId: "judge-1" }, metadata: { n: 2, s: "x" },
      });
      await mlflow.logFeedback({
        traceId, error: { errorCode: "TIMEOUT", errorMessage: "judge timed out", stackTrace: "at judge()" },
      });
      await mlflow.logExpectation({ traceId, name: "expected", value: ["a", 1, true], metadata: { k: "v" } });
      await mlflow.flushTraces();
      console.log(JSON.stringify({ traceId, spanId, stats: mlflow.stats() }));
    `;
    let run;
    try {
      run = await runApp(body, [proxy.uri, experiment]);
    } finally {
      await proxy.close();
    }
    const { out, stderr } = run;
    assert.equal(out.stats.traces_exported, 1, stderr);
    assert.ok(proxy.seen.length > 0);
    for (const r of proxy.seen) assert.equal(r.auth, "Bearer tok-123", `${r.method} ${r.path}`);
    assert.ok(!(stderr + JSON.stringify(out)).includes("tok-123"), "the token is never printed");

    // Spans report telemetry.sdk.language = nodejs, as MLflow's TypeScript SDK.
    const otlp = proxy.seen.filter((r) => r.path.startsWith("/v1/traces"));
    assert.equal(otlp.length, 1);
    assert.match(bodyText(otlp[0]), /telemetry\.sdk\.language[\s\S]{1,8}nodejs/);

    // The assessment bodies, key for key what ferrotrace's Python to_dictionary() sends.
    const sent = proxy.seen
      .filter((r) => r.method === "POST" && r.path.endsWith("/assessments"))
      .map((r) => JSON.parse(bodyText(r)).assessment);
    assert.equal(sent.length, 3);
    const expected = await python(
      `
import json, sys
from ferrotrace._assessment_entities import _parse_time
from ferrotrace.entities import AssessmentError, AssessmentSource, Expectation, Feedback
sent, trace_id, span_id = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
t = [_parse_time(s["create_time"]) for s in sent]
made = [
    Feedback(name="relevance", value=0.5, rationale="half", span_id=span_id, create_time_ms=t[0],
             source=AssessmentSource("LLM_JUDGE", "judge-1"), metadata={"n": 2, "s": "x"}),
    Feedback(error=AssessmentError("TIMEOUT", "judge timed out", "at judge()"), create_time_ms=t[1]),
    Expectation(name="expected", value=["a", 1, True], metadata={"k": "v"}, create_time_ms=t[2]),
]
out = []
for a in made:
    d = a.to_dictionary()
    d["trace_id"] = trace_id
    out.append(d)
print(json.dumps(out))
`,
      [JSON.stringify(sent), out.traceId, out.spanId],
    );
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(Object.keys(sent[i]), Object.keys(expected[i]), `key order of body ${i}`);
      assert.deepEqual(sent[i], expected[i], `body ${i}`);
    }
  });

  test("basic auth from the environment, with the server named in process.env after import", async () => {
    const want = "Basic " + Buffer.from("alice:s3cret-pw").toString("base64");
    const proxy = await authProxy(uri, want);
    const body = `
      // Set after ferrotrace was loaded (as a late dotenv would): init reads them when called.
      process.env.MLFLOW_TRACKING_URI = process.argv[2];
      process.env.MLFLOW_EXPERIMENT_NAME = process.argv[3];
      mlflow.init();
      mlflow.trace(function f(x) { return x; })(1);
      await mlflow.flushTraces();
      console.log(JSON.stringify({ stats: mlflow.stats(), config: mlflow.getConfig() }));
    `;
    let run;
    try {
      run = await runApp(body, [proxy.uri, uniqueName("ferrotrace-basic")], {
        MLFLOW_TRACKING_USERNAME: "alice",
        MLFLOW_TRACKING_PASSWORD: "s3cret-pw",
      });
    } finally {
      await proxy.close();
    }
    const { out, stderr } = run;
    assert.equal(out.stats.traces_exported, 1, stderr);
    assert.equal(out.config.trackingUri, proxy.uri);
    assert.ok(proxy.seen.some((r) => r.path.startsWith("/v1/traces")));
    for (const r of proxy.seen) assert.equal(r.auth, want);
    assert.ok(!(stderr + JSON.stringify(out)).includes("s3cret-pw"));
  });

  test("a rejected token: one clear warning naming the settings, never the secret", async () => {
    const proxy = await authProxy(uri, "Bearer right");
    const body = `
      mlflow.init({ trackingUri: process.argv[2], trackingServerToken: "wrong-token-xyz" });
      mlflow.trace(function f(x) { return x; })(1);
      await mlflow.flushTraces(20_000);
      console.log(JSON.stringify(mlflow.stats()));
    `;
    let run;
    try {
      run = await runApp(body, [proxy.uri]);
    } finally {
      await proxy.close();
    }
    const { out, stderr } = run;
    assert.equal(out.traces_exported, 0);
    assert.ok(out.dropped_traces.rejected >= 1, JSON.stringify(out)); // a 401 is final: not retried, not spilled
    assert.match(stderr, /WARNING: init: .*refused the credentials.*HTTP 401.*MLFLOW_TRACKING_TOKEN/);
    assert.ok(!(stderr + JSON.stringify(out)).includes("wrong-token-xyz"));
  });
});
