// examples/node/*.mjs run as documented and store the traces they describe.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";

import { attr, mlflow, parentName, REPO } from "./helpers.mjs";

test("the quickstart traces an agent with retrieval, LLM token usage and a retried tool", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferrotrace-example-"));
  try {
    const env = { ...process.env };
    delete env.FERROTRACE_DESTINATION;
    delete env.FERROTRACE_LOCAL_DIR; // the default, ./ferrotrace-traces in the working directory
    delete env.NODE_TEST_CONTEXT;
    const res = spawnSync(process.execPath, [path.join(REPO, "examples", "node", "quickstart.mjs")], {
      cwd: dir, env, encoding: "utf8", timeout: 60_000,
    });
    assert.equal(res.status, 0, res.stderr);
    const id = /trace (tr-[0-9a-f]{32})/.exec(res.stdout)[1];
    const { traces } = mlflow.testing.readLocalStore(path.join(dir, "ferrotrace-traces"));
    assert.equal(traces.length, 1);
    const t = traces[0];
    assert.equal(t.info.trace_id, id);
    assert.equal(t.info.state, "OK");
    const byName = (n) => t.data.spans.filter((s) => s.name === n);
    const [agent] = byName("agent");
    assert.equal(attr(agent, "mlflow.spanType"), "AGENT");
    assert.equal(parentName(t, agent), null);
    assert.equal(attr(byName("retrieve")[0], "mlflow.spanType"), "RETRIEVER");
    const [llm] = byName("callLlm");
    assert.equal(attr(llm, "mlflow.spanType"), "LLM");
    assert.deepEqual(Object.keys(attr(llm, "mlflow.chat.tokenUsage")), ["input_tokens", "output_tokens", "total_tokens"]);
    const tools = byName("wordCount");
    assert.deepEqual(tools.map((s) => s.status.code), ["STATUS_CODE_ERROR", "STATUS_CODE_OK"]);
    for (const s of t.data.spans) if (s !== agent) assert.equal(parentName(t, s), "agent");
    assert.ok(t.info.trace_metadata["mlflow.trace.tokenUsage"]);
    assert.equal(t.info.tags.app, "quickstart");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("the streaming example: a stream span with chunk events, redaction, scope tags, a traceparent", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferrotrace-example-"));
  try {
    const env = { ...process.env };
    delete env.FERROTRACE_DESTINATION;
    delete env.FERROTRACE_LOCAL_DIR;
    delete env.NODE_TEST_CONTEXT;
    const res = spawnSync(process.execPath, [path.join(REPO, "examples", "node", "streaming_service.mjs")], {
      cwd: dir, env, encoding: "utf8", timeout: 60_000,
    });
    assert.equal(res.status, 0, res.stderr);
    assert.match(res.stdout, /^Sure, I will write to you\.$/m);
    const id = /trace (tr-[0-9a-f]{32})/.exec(res.stdout)[1];
    const { traces } = mlflow.testing.readLocalStore(path.join(dir, "ferrotrace-traces"));
    assert.deepEqual(traces.map((t) => t.info.trace_id), [id]);
    const t = traces[0];
    assert.equal(t.info.tags.tenant, "acme");
    assert.equal(t.info.trace_metadata["mlflow.trace.session"], "session-1");
    const byName = (n) => t.data.spans.find((s) => s.name === n);
    const stream = byName("streamAnswer");
    assert.equal(parentName(t, stream), "handleChat");
    assert.deepEqual(attr(stream, "mlflow.spanOutputs"), ["Sure", ", ", "I will ", "write ", "to you."]);
    assert.deepEqual(stream.events.map((e) => e.name), [0, 1, 2, 3, 4].map((i) => `mlflow.chunk.item.${i}`));
    assert.doesNotMatch(JSON.stringify(t.data.spans), /ann@example\.com/);
    assert.deepEqual(attr(byName("notify"), "mlflow.spanInputs"), { user: "<email>" });
    const tp = attr(byName("notify"), "mlflow.spanOutputs").traceparent;
    assert.equal(tp, `00-${id.slice(3)}-${Buffer.from(byName("notify").span_id, "base64").toString("hex")}-01`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
