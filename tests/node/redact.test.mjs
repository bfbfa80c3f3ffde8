// Redaction in the core, reached from Node: secrets never reach the local store's files, PII and
// user rules come from init/configure options, an end hook redacts on the JS thread first, and
// the tail-sampling rule is set the same way.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";

import { attr, collect, mlflow, oneTrace, span } from "./helpers.mjs";

const { trace, withSpan, updateCurrentTrace, registerOnSpanEndHook } = mlflow;

const OPENAI = "sk-proj-Nd42abcdefghijklmnopqrstuv";
const AWS = "AKIAND42ABCDEFGHIJKL";
const PASSWORD = "hunter2-nd42";
const GITHUB = "ghp_Nd42abcdefghijklmnopqrstuvwxyz012345";

function readAll(dir) {
  const chunks = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) chunks.push(fs.readFileSync(path.join(e.parentPath ?? e.path, e.name)));
  }
  return Buffer.concat(chunks).toString("latin1");
}

test("secrets in inputs, outputs, attributes, tags and errors never reach the local store", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferrotrace-redact-"));
  try {
    mlflow.configure({ destination: "local", localDir: dir });
    const login = trace(function login(user, password) {
      throw new Error(`rejected ${GITHUB}`);
    });
    const agent = trace(function agent(question, apiKey) {
      updateCurrentTrace({ tags: { deploy_token: GITHUB, env: `uses ${OPENAI}` }, metadata: { note: `aws ${AWS}` } });
      withSpan((s) => {
        s.setAttribute("headers", { authorization: `Bearer ${OPENAI}`, accept: "json" });
        s.setAttribute("note", `aws ${AWS}`);
      }, { name: "http" });
      try {
        login("bob", PASSWORD);
      } catch {}
      return { content: `echo ${OPENAI}` };
    });
    agent(`my key is ${OPENAI}`, OPENAI);
    assert.equal(await mlflow.flushTraces(), true);
    const raw = readAll(dir);
    assert.ok(raw.length > 0);
    for (const secret of [OPENAI, AWS, PASSWORD, GITHUB]) assert.ok(!raw.includes(secret), secret);
    const { traces, warnings } = mlflow.testing.readLocalStore(dir);
    assert.deepEqual(warnings, []);
    const t = traces[0];
    assert.deepEqual(attr(span(t, "http"), "headers"), { authorization: "[REDACTED:secret_key]", accept: "json" });
    assert.equal(t.info.tags.deploy_token, "[REDACTED:secret_key]");
    assert.equal(t.info.trace_metadata.note, "aws [REDACTED:aws_access_key]");
    assert.ok(mlflow.stats().redactions >= 8, JSON.stringify(mlflow.stats()));
  } finally {
    mlflow.configure({ destination: "memory" });
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("PII and user rules from options; bad patterns throw naming the option", async () => {
  assert.throws(() => mlflow.configure({ redactPatterns: { bad: "(" } }), /redactPatterns/);
  assert.throws(() => mlflow.init({ redact: "everything" }), /redact/);
  assert.throws(() => mlflow.configure({ samplingKeepErrors: "yes" }), /samplingKeepErrors/);
  try {
    mlflow.configure({ redact: "secrets,pii", redactPatterns: { order: "ORD-\\d+" } });
    const echo = trace(function echo(x) { return x; });
    const { trace: t } = await oneTrace(() => echo("bob@example.com ORD-7 4111 1111 1111 1111"));
    assert.equal(
      attr(t.data.spans[0], "mlflow.spanOutputs"),
      "[REDACTED:email] [REDACTED:order] [REDACTED:card_number]",
    );
  } finally {
    mlflow.configure({ redact: "secrets", redactPatterns: {} });
  }
});

test("an end hook redacts on the JS thread; built-in rules still apply after it", async () => {
  const off = registerOnSpanEndHook((s) => {
    const inputs = s.inputs;
    if (inputs && inputs.customer) s.setInputs({ ...inputs, customer: "[REDACTED]" });
  });
  try {
    const handle = trace(function handle(customer, apiKey) { return "ok"; });
    const { trace: t } = await oneTrace(() => handle("ACME", OPENAI));
    assert.deepEqual(attr(t.data.spans[0], "mlflow.spanInputs"), {
      customer: "[REDACTED]",
      apiKey: "[REDACTED:secret_key]",
    });
  } finally {
    off();
  }
});

test("the tail rule keeps failed traces the ratio drops", async () => {
  try {
    mlflow.configure({ samplingRatio: 0, samplingKeepErrors: true });
    const ok = trace(function fine() { return 1; });
    const bad = trace(function broken() { throw new Error("x"); });
    const { traces } = await collect(() => {
      ok();
      try { bad(); } catch {}
    });
    assert.deepEqual(traces.map((t) => t.data.spans[0].name), ["broken"]);
  } finally {
    mlflow.configure({ samplingRatio: 1, samplingKeepErrors: false });
  }
});

test("defaults keep MLflow's session data and catch secrets in names, keys and deep JSON", async () => {
  // MLflow's session-tracking shape: a conversation id argument, a user, a client request id.
  const chat = trace(function chat(message, session_id, user_id) {
    updateCurrentTrace({ sessionId: session_id, user: user_id, clientRequestId: "req-7f3a9c2e" });
    withSpan((s) => {
      s.addEvent(new mlflow.SpanEvent({ name: `retry with ${GITHUB}` }));
      s.setAttribute("cookie", "sid=abc");
    }, { name: `call ${OPENAI}` });
    let payload = JSON.stringify({ password: PASSWORD });
    for (let i = 0; i < 5; i++) payload = JSON.stringify({ password: PASSWORD, inner: payload });
    return { answer: "hi", keys: { [AWS]: "prod" }, payload, next_page_token: "p2", usage: { total_tokens: 7 } };
  });
  const { trace: t } = await oneTrace(() => chat("hello", "conv-20261207-42", "u-7"));
  const raw = JSON.stringify(t);
  for (const secret of [OPENAI, AWS, PASSWORD, GITHUB]) assert.ok(!raw.includes(secret), secret);
  const root = span(t, "chat");
  assert.deepEqual(attr(root, "mlflow.spanInputs"), { message: "hello", session_id: "conv-20261207-42", user_id: "u-7" });
  const out = attr(root, "mlflow.spanOutputs");
  assert.deepEqual(out.keys, { "[REDACTED:aws_access_key]": "prod" });
  assert.equal(out.next_page_token, "p2");
  assert.deepEqual(out.usage, { total_tokens: 7 });
  let level = JSON.parse(out.payload);
  for (let i = 0; i <= 5; i++) {
    assert.equal(level.password, "[REDACTED:secret_key]", `level ${i}`);
    if (i < 5) level = JSON.parse(level.inner);
  }
  const child = span(t, "call [REDACTED:openai_key]");
  assert.equal(child.events[0].name, "retry with [REDACTED:github_token]");
  assert.equal(attr(child, "cookie"), "[REDACTED:secret_key]");
  assert.equal(t.info.trace_metadata["mlflow.trace.session"], "conv-20261207-42");
  assert.equal(t.info.trace_metadata["mlflow.trace.user"], "u-7");
  assert.equal(t.info.client_request_id, "req-7f3a9c2e");
});
