// The trace-level API on the local store, across processes: a Node process traces, tags and
// logs feedback; another Node process (and a Python-free reader: the same core) reads the
// stored trace back with them folded in, and searches with MLflow's filter grammar.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";

import { PKG } from "./helpers.mjs";

const INDEX = JSON.stringify(path.join(PKG, "dist", "index.mjs"));

const WRITER = `
const mlflow = await import(${INDEX});
const agent = mlflow.trace(function agent(q) { return helper(q) + "!"; }, { spanType: "AGENT" });
const helper = mlflow.trace(function helper(q) { return q.toUpperCase(); }, { spanType: "RETRIEVER" });
const ids = [];
for (const q of ["billing", "shipping"]) {
  agent(q);
  ids.push(mlflow.getLastActiveTraceId());
  await new Promise((r) => setTimeout(r, 10)); // distinct start times: newest first
}
await mlflow.setTraceTag(ids[0], "topic", "billing");
await mlflow.setTraceTag(ids[1], "tmp", "x");
await mlflow.deleteTraceTag(ids[1], "tmp");
const fb = await mlflow.logFeedback({ traceId: ids[0], name: "helpful", value: true, source: { sourceType: "HUMAN", sourceId: "ann" } });
const ex = await mlflow.logExpectation({ traceId: ids[0], name: "answer", value: "BILLING!" });
const fixed = await mlflow.overrideFeedback({ traceId: ids[0], assessmentId: fb.assessmentId, value: false });
const got = await mlflow.getAssessment(ids[0], fixed.assessmentId);
if (got.value !== false || got.overrides !== fb.assessmentId) throw new Error("override: " + JSON.stringify(got));
const upd = await mlflow.updateAssessment(ids[0], ex.assessmentId, { value: "BILLING?" });
if (upd.value !== "BILLING?") throw new Error("update: " + JSON.stringify(upd));
const t = await mlflow.getTrace(ids[0]);
if (t.info.tags.topic !== "billing" || t.info.assessments.length !== 3) throw new Error("same process: " + JSON.stringify(t.info));
console.log(JSON.stringify({ ids, fb: fb.assessmentId, fixed: fixed.assessmentId }));
`;

const READER = `
const mlflow = await import(${INDEX});
const info = JSON.parse(process.argv[1]);
const [a, b] = info.ids;
const t = await mlflow.getTrace(a);
const valid = Object.fromEntries(t.info.assessments.map((x) => [x.assessmentId, x.valid]));
const names = t.data.spans.map((s) => s.name);
const found = async (f) => (await mlflow.searchTraces({ filterString: f })).map((x) => x.info.traceId);
const tmp = "tmp" in (await mlflow.getTrace(b)).info.tags;
const billing = await found("tags.topic = 'billing'");
const retriever = await found("span.type = 'RETRIEVER'");
const notHelpful = await found("feedback.helpful = 'false'");
await mlflow.deleteAssessment(a, info.fixed);
const after = (await mlflow.getTrace(a)).info.assessments.length;
const deleted = await mlflow.deleteTraces({ traceIds: [b] });
console.log(JSON.stringify({
  tag: t.info.tags.topic, valid, names, tmp, billing, retriever, notHelpful,
  after, deleted, gone: await mlflow.getTrace(b, { silent: true }),
  rejected: await mlflow.searchTraces({ filterString: "trace.name = 'a' OR trace.name = 'b'" }).then(() => "no", (e) => e.message),
}));
`;

function run(code, dir, args = []) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("FERROTRACE_") && !k.startsWith("MLFLOW_")));
  env.FERROTRACE_LOCAL_DIR = dir;
  const res = spawnSync(process.execPath, ["--input-type=module", "-e", code, ...args], { env, encoding: "utf8", timeout: 120_000 });
  assert.equal(res.status, 0, res.stderr);
  return JSON.parse(res.stdout.trim().split("\n").pop());
}

test("every trace-level call works on the local store, read back by another process", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ft-local-api-"));
  try {
    const info = run(WRITER, dir);
    const out = run(READER, dir, [JSON.stringify(info)]);
    const [a, b] = info.ids;
    assert.equal(out.tag, "billing");
    assert.equal(out.valid[info.fb], false);
    assert.equal(out.valid[info.fixed], true);
    assert.deepEqual(out.names, ["agent", "helper"]);
    assert.equal(out.tmp, false);
    assert.deepEqual(out.billing, [a]);
    assert.deepEqual(out.retriever, [b, a]);
    assert.deepEqual(out.notHelpful, [a]);
    assert.equal(out.after, 2);
    assert.equal(out.deleted, 1);
    assert.equal(out.gone, null);
    assert.match(out.rejected, /Invalid clause/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

function cli(args, env = {}) {
  return spawnSync(process.execPath, [path.join(PKG, "scripts", "cli.js"), ...args], { encoding: "utf8", timeout: 120_000, env: { ...process.env, ...env } });
}

test("npx ferrotrace traces list / show / store compact, as the Python command line", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ft-local-cli-"));
  try {
    const info = run(WRITER, dir);
    const [a, b] = info.ids;
    const listed = cli(["traces", "list", "--dir", dir]);
    assert.equal(listed.status, 0, listed.stderr);
    const lines = listed.stdout.trim().split("\n");
    assert.deepEqual(lines[0].split(/\s+/).slice(0, 3), ["TRACE", "ID", "NAME"]);
    assert.ok(lines.some((l) => l.startsWith(a)) && lines.some((l) => l.startsWith(b)), listed.stdout);
    // A unique end of the id is enough; the tag set after the trace ended is folded in.
    const shown = cli(["traces", "show", a.slice(-8)], { FERROTRACE_LOCAL_DIR: dir });
    assert.equal(shown.status, 0, shown.stderr);
    assert.match(shown.stdout, new RegExp(`Trace ${a}\\s+agent\\s+OK`));
    assert.match(shown.stdout, /tag topic = billing/);
    assert.match(shown.stdout, /helper \[RETRIEVER\]/);
    const ambiguous = cli(["traces", "show", "tr-", "--dir", dir]);
    assert.equal(ambiguous.status, 2);
    assert.match(ambiguous.stderr, /matches 2 traces/);
    const missing = cli(["traces", "show", "tr-ffff", "--dir", dir]);
    assert.equal(missing.status, 1);
    const compacted = cli(["store", "compact", dir]);
    assert.equal(compacted.status, 0, compacted.stderr);
    assert.match(compacted.stdout, /^compacted \d+ segment\(s\)/);
    assert.equal(cli(["nonsense"]).status, 2);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
