// OTLP export to any collector from Node: a loopback receiver built on the `opentelemetry-proto`
// Python package (tests/support/otlp_receiver.py, from .venv) decodes what ferrotrace sends,
// configured through init options (in this process) and through OTEL_* variables (a child).
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import { pathToFileURL } from "node:url";

import { clearMemory, mlflow, PKG, REPO } from "./helpers.mjs";

const PY = path.join(REPO, ".venv", "bin", "python");
const RECEIVER = path.join(REPO, "tests", "support", "otlp_receiver.py");
const IMPORT = JSON.stringify(pathToFileURL(path.join(PKG, "dist", "index.mjs")).href);

function missing() {
  if (!fs.existsSync(PY)) return `${PY} not found: run \`make python\``;
  const r = spawnSync(PY, ["-c", "import opentelemetry.proto.collector.trace.v1.trace_service_pb2"]);
  return r.status === 0 ? false : "opentelemetry-proto is not installed in .venv: run `make python`";
}
const skip = missing();

const tmp = (prefix) => fs.mkdtempSync(path.join(os.tmpdir(), prefix));

/** What the receiver decoded so far: one object per request. */
function received(file) {
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
}

const spansOf = (reqs, traceHex) =>
  Object.fromEntries(reqs.flatMap((r) => r.spans).filter((s) => s.trace_id === traceHex).map((s) => [s.name, s]));

describe("OTLP export", { skip }, () => {
  let dir;
  let out;
  let receiver;
  let uri;

  before(async () => {
    dir = tmp("ferrotrace-otlp-");
    out = path.join(dir, "received.jsonl");
    receiver = spawn(PY, [RECEIVER, out], { stdio: ["pipe", "pipe", "inherit"] });
    uri = await new Promise((resolve, reject) => {
      let text = "";
      receiver.stdout.on("data", (d) => {
        text += d;
        if (text.includes("\n")) resolve(text.trim());
      });
      receiver.on("error", reject);
      receiver.on("exit", (code) => reject(new Error(`receiver exited with ${code}`)));
    });
  });

  after(() => {
    receiver.stdin.end();
    receiver.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("init options: dual export, headers, gzip; the trace decodes as OTLP", async () => {
    await clearMemory();
    mlflow.init({
      otlpEndpoint: uri,
      otlpHeaders: { "x-api-key": "n0de-key" },
      otlpCompression: "gzip",
      otlpServiceName: "node-svc",
      otlpDualExport: true,
    });
    try {
      assert.equal(mlflow.getConfig().otlpEndpoint, `${uri}/v1/traces`);
      const tool = mlflow.trace(
        (x) => {
          throw new Error(`bad ${x}`);
        },
        { name: "tool", spanType: "TOOL" },
      );
      const agent = mlflow.trace(
        (question) => {
          try {
            tool(1);
          } catch {
            // the tool's failure is recorded on its span
          }
          return "answer";
        },
        { name: "agent", spanType: "AGENT" },
      );
      agent("hi");
      assert.ok(await mlflow.flushTraces(10_000));
      const [trace] = mlflow.testing.memoryTraces();
      const tid = trace.info.trace_id;
      const reqs = received(out);
      assert.ok(reqs.length >= 1);
      const req = reqs.at(-1);
      assert.equal(req.path, "/v1/traces");
      assert.equal(req.gzip, true);
      assert.equal(req.headers["x-api-key"], "n0de-key");
      assert.equal(req.resource["service.name"], "node-svc");
      assert.equal(req.resource["telemetry.sdk.language"], "nodejs");
      const spans = spansOf(reqs, tid.slice(3));
      assert.deepEqual(Object.keys(spans).sort(), ["agent", "tool"]);
      assert.equal(spans.agent.parent_id, null);
      assert.equal(spans.tool.parent_id, spans.agent.span_id);
      // A collector gets what MLflow's OTLP exporter sends: each value as its JSON text.
      assert.equal(spans.agent.attributes["mlflow.spanType"], '"AGENT"');
      assert.equal(spans.agent.attributes["mlflow.spanOutputs"], '"answer"');
      assert.equal(spans.agent.attributes["mlflow.traceRequestId"], JSON.stringify(tid));
      assert.deepEqual([spans.agent.kind, spans.agent.flags, spans.agent.scope], [1, 256, "mlflow.tracing.provider"]);
      assert.equal(spans.tool.status.code, 2);
      assert.match(spans.tool.status.message, /bad 1/);
      assert.equal(spans.tool.events[0].name, "exception");
    } finally {
      mlflow.configure({ otlpEndpoint: "" });
    }
    assert.equal(mlflow.getConfig().otlpEndpoint, null);
  });

  test("invalid OTLP options are errors naming them", () => {
    assert.throws(() => mlflow.init({ otlpEndpoint: "collector:4317" }), /otlpEndpoint/);
    assert.throws(() => mlflow.init({ otlpHeaders: { k: 1 } }), /otlpHeaders/);
    assert.throws(() => mlflow.configure({ otlpCompression: "br" }), /otlpCompression/);
    // A value no HTTP request can carry is refused here, once, naming the header, not its value.
    for (const bad of ["s3cr3t\r\nX-Injected: 1", "s3cr3t\n", "s3cr3t\r"]) {
      assert.throws(
        () => mlflow.init({ otlpEndpoint: uri, otlpHeaders: { "x-ok": "v", "x-bad": bad } }),
        (e) => /otlpHeaders/.test(e.message) && /x-bad/.test(e.message) && !e.message.includes("s3cr3t"),
      );
    }
    assert.equal(mlflow.getConfig().otlpEndpoint, null);
  });

  test("otlpSemconv picks the attributes a collector gets; an unknown value is an error naming it", async () => {
    await clearMemory();
    mlflow.init({ otlpEndpoint: uri, otlpDualExport: true, otlpSemconv: "openinference" });
    try {
      assert.equal(mlflow.getConfig().otlpSemconv, "openinference");
      mlflow.withSpan(
        (span) => {
          span.setInputs({ messages: [{ role: "user", content: "hi" }], temperature: 0.5 });
          span.setOutputs("hello");
        },
        { name: "llm call", spanType: "CHAT_MODEL" },
      );
      assert.ok(await mlflow.flushTraces(10_000));
      const [trace] = mlflow.testing.memoryTraces();
      const attrs = spansOf(received(out), trace.info.trace_id.slice(3))["llm call"].attributes;
      assert.equal(attrs["openinference.span.kind"], "LLM");
      assert.equal(attrs["llm.input_messages.0.message.content"], "hi");
      assert.equal(attrs["llm.output_messages.0.message.content"], "hello");
      assert.deepEqual(JSON.parse(attrs["llm.invocation_parameters"]), { temperature: 0.5 });
    } finally {
      mlflow.configure({ otlpEndpoint: "", otlpSemconv: "mlflow" });
    }
    assert.equal(mlflow.getConfig().otlpSemconv, "mlflow");
    assert.throws(() => mlflow.configure({ otlpEndpoint: uri, otlpSemconv: "phoenix" }), /otlpSemconv/);
    assert.equal(mlflow.getConfig().otlpEndpoint, null);
    assert.equal(mlflow.getConfig().otlpSemconv, "mlflow");
  });

  test("init reads OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as is, even without a path", () => {
    const saved = process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
    process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = uri;
    try {
      mlflow.init({});
      assert.equal(mlflow.getConfig().otlpEndpoint, uri);
      // An option given in code keeps the option's rule: no path gets /v1/traces.
      mlflow.init({ otlpEndpoint: uri });
      assert.equal(mlflow.getConfig().otlpEndpoint, `${uri}/v1/traces`);
    } finally {
      if (saved === undefined) delete process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
      else process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = saved;
      mlflow.configure({ otlpEndpoint: "" });
    }
    assert.equal(mlflow.getConfig().otlpEndpoint, null);
  });

  test("OTEL_* variables in a fresh process: OTLP replaces the local store", async () => {
    const app = path.join(dir, "app.mjs");
    fs.writeFileSync(
      app,
      `import * as mlflow from ${IMPORT};
const f = mlflow.trace((x) => x * 2, { name: "from_env" });
f(21);
await mlflow.flushTraces(10000);
console.log(JSON.stringify({ tid: mlflow.getLastActiveTraceId() }));
`,
    );
    const env = {};
    for (const [k, v] of Object.entries(process.env)) {
      if (!/^(FERROTRACE_|MLFLOW_|OTEL_)/.test(k) && k !== "NODE_TEST_CONTEXT") env[k] = v;
    }
    Object.assign(env, {
      FERROTRACE_LOCAL_DIR: path.join(dir, "store"),
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${uri}/env/traces`,
      OTEL_EXPORTER_OTLP_HEADERS: "authorization=Bearer%20env-token",
      OTEL_RESOURCE_ATTRIBUTES: "deployment.environment=ci",
    });
    const r = spawnSync(process.execPath, [app], { env, cwd: dir, encoding: "utf8", timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(!r.stderr.includes("env-token"));
    const { tid } = JSON.parse(r.stdout.trim().split("\n").at(-1));
    const reqs = received(out).filter((q) => q.path === "/env/traces");
    assert.equal(reqs.length, 1);
    assert.equal(reqs[0].headers.authorization, "Bearer env-token");
    assert.equal(reqs[0].resource["deployment.environment"], "ci");
    assert.equal(reqs[0].resource["service.name"], "unknown_service");
    const spans = spansOf(reqs, tid.slice(3));
    assert.equal(spans.from_env.attributes["mlflow.spanInputs"], '{"x":21}');
    assert.equal(spans.from_env.attributes["mlflow.spanOutputs"], "42");
    assert.ok(!fs.existsSync(path.join(dir, "store")), "nothing went to the local store");
  });

  test("a header with CR/LF in OTEL_EXPORTER_OTLP_HEADERS: one warning, that header left out, sends succeed", () => {
    const app = path.join(dir, "app_crlf.mjs");
    fs.writeFileSync(
      app,
      `import * as mlflow from ${IMPORT};
const f = mlflow.trace((x) => x, { name: "crlf" });
for (let i = 0; i < 3; i++) { f(i); await mlflow.flushTraces(10000); }
console.log(JSON.stringify(mlflow.stats()));
`,
    );
    const env = {};
    for (const [k, v] of Object.entries(process.env)) {
      if (!/^(FERROTRACE_|MLFLOW_|OTEL_)/.test(k) && k !== "NODE_TEST_CONTEXT") env[k] = v;
    }
    Object.assign(env, {
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${uri}/crlf/traces`,
      OTEL_EXPORTER_OTLP_HEADERS: "x-ok=fine,x-bad=s3cr3t%0D%0AX-Injected:%201",
    });
    const r = spawnSync(process.execPath, [app], { env, cwd: dir, encoding: "utf8", timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    const warnings = r.stderr.split("\n").filter((l) => l.includes("OTEL_EXPORTER_OTLP_HEADERS"));
    assert.equal(warnings.length, 1, r.stderr);
    assert.match(warnings[0], /x-bad/);
    assert.ok(!r.stderr.includes("s3cr3t"), r.stderr);
    const stats = JSON.parse(r.stdout.trim().split("\n").at(-1));
    assert.deepEqual([stats.export_errors, stats.traces_dropped, stats.traces_exported], [0, 0, 3], JSON.stringify(stats));
    const reqs = received(out).filter((q) => q.path === "/crlf/traces");
    assert.equal(reqs.length, 3);
    for (const q of reqs) {
      assert.equal(q.headers["x-ok"], "fine");
      assert.equal(q.headers["x-bad"], undefined);
    }
  });

  test("a collector gets from Node what MLflow's own OTLP exporter sends for the same spans", () => {
    // The same spans made by MLflow's Python SDK (its OTLP exporter) and by ferrotrace in Node.
    const inputs = '{"a.b": 1, "a": {"b": 2}, "empty": {}, "none": None, "list": [], "text": "x"}';
    const py = `import mlflow
with mlflow.start_span("agent", span_type="AGENT") as root:
    root.set_inputs({"question": "hi"})
    with mlflow.start_span("odd values", span_type="PARSER") as span:
        span.set_inputs(${inputs})
        span.set_attribute("custom", {"k": [1, 2.5, True]})
        span.set_outputs(None)
    root.set_outputs("answer")
`;
    const app = path.join(dir, "app_same.mjs");
    fs.writeFileSync(
      app,
      `import * as mlflow from ${IMPORT};
mlflow.withSpan((root) => {
  root.setInputs({ question: "hi" });
  mlflow.withSpan((span) => {
    span.setInputs(${inputs.replace("None", "null")});
    span.setAttribute("custom", { k: [1, 2.5, true] });
    span.setOutputs(null);
  }, { name: "odd values", spanType: "PARSER" });
  root.setOutputs("answer");
}, { name: "agent", spanType: "AGENT" });
await mlflow.flushTraces(10000);
`,
    );
    const env = {};
    for (const [k, v] of Object.entries(process.env)) {
      if (!/^(FERROTRACE_|MLFLOW_|OTEL_)/.test(k) && k !== "NODE_TEST_CONTEXT") env[k] = v;
    }
    Object.assign(env, {
      MLFLOW_DISABLE_TELEMETRY: "true",
      DO_NOT_TRACK: "true",
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "http/protobuf",
      OTEL_SERVICE_NAME: "same-app",
    });
    const run = (cmd, args, where) =>
      spawnSync(cmd, args, {
        env: { ...env, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${uri}/${where}/traces` },
        cwd: dir,
        encoding: "utf8",
        timeout: 120_000,
      });
    const m = run(PY, ["-c", py], "mlflow");
    assert.equal(m.status, 0, m.stderr);
    const n = run(process.execPath, [app], "node");
    assert.equal(n.status, 0, n.stderr);
    const spans = (where) =>
      Object.fromEntries(
        received(out)
          .filter((q) => q.path === `/${where}/traces`)
          .flatMap((q) => q.spans)
          .map((s) => [s.name, s]),
      );
    const want = spans("mlflow");
    const got = spans("node");
    assert.deepEqual(Object.keys(got).sort(), ["agent", "odd values"]);
    // Node writes JSON text as JSON.stringify does (as MLflow's TypeScript SDK holds it), Python
    // with `json.dumps`'s spaces: the same strings but for the separators.
    const shape = (s) => {
      const attributes = {};
      for (const [k, v] of Object.entries(s.attributes)) {
        if (k === "mlflow.traceRequestId") continue;
        assert.equal(typeof v, "string", k);
        attributes[k] = JSON.parse(v);
      }
      return { attributes, kind: s.kind, flags: s.flags, scope: s.scope, status: s.status, parent: s.parent_id !== null };
    };
    for (const name of Object.keys(want)) assert.deepEqual(shape(got[name]), shape(want[name]), name);
    assert.equal(got["odd values"].attributes["mlflow.spanInputs"], JSON.stringify(JSON.parse(inputs.replace("None", "null"))));
    assert.match(received(out).find((q) => q.path === "/node/traces").resource["service.name"], /^same-app$/);
  });
});
