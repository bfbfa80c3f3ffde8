// Shared by the wrapped-client tests (tracedOpenAI, tracedAnthropic): the fake provider server
// (tests/support/fake_llm.py, run with .venv's Python on a free 127.0.0.1 port, stopped by the
// pid started here) and MLflow's view of stored traces.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as path from "node:path";
import { after, before } from "node:test";

import { PKG, REPO } from "./helpers.mjs";
import { childEnv, PY, python } from "./mlflow_support.mjs";

/** Lines an app puts before its body to load the real clients from the package's devDependencies. */
export const CLIENTS = `
import { createRequire } from "node:module";
const requireHere = createRequire(${JSON.stringify(path.join(PKG, "package.json"))});
const OpenAI = requireHere("openai").default;
const Anthropic = requireHere("@anthropic-ai/sdk").default;
`;

/** Registers hooks (inside a `describe`) that run the fake provider server; returns a getter of its root URL. */
export function fakeLlm() {
  let child;
  let url;
  before(async () => {
    child = spawn(PY, [path.join(REPO, "tests", "support", "fake_llm.py")], { env: childEnv(), stdio: ["ignore", "pipe", "inherit"] });
    url = await new Promise((resolve, reject) => {
      let out = "";
      child.stdout.on("data", (d) => {
        out += d;
        if (out.includes("\n")) resolve(out.trim().split("\n")[0]);
      });
      child.on("error", reject);
      child.on("exit", (code) => reject(new Error(`fake_llm.py exited (${code})`)));
    });
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
  });
  after(() => {
    if (child && child.exitCode === null) child.kill("SIGTERM");
  });
  return () => url;
}

const READ = `
import json, sys
import mlflow

mlflow.set_tracking_uri(sys.argv[1])
out = {}
for tid in sys.argv[2:]:
    t = mlflow.get_trace(tid)
    out[tid] = None if t is None else {
        "state": t.info.state.value, "metadata": t.info.trace_metadata,
        "spans": [{
            "name": s.name, "span_id": s.span_id, "parent_id": s.parent_id, "span_type": s.span_type, "inputs": s.inputs,
            "outputs": s.outputs, "status": s.status.status_code.value,
            "description": s.status.description, "attributes": s.attributes,
            "events": [{"name": e.name, "attributes": e.attributes} for e in s.events],
        } for s in t.data.spans],
    }
print(json.dumps(out, default=str))
`;

/** The traces as MLflow's Python client reads them from the server. */
export const readTraces = (uri, ids) => python(READ, [uri, ...ids]);

/** The only span of a one-span trace. */
export function onlySpan(trace) {
  assert.ok(trace, "trace not found on the server");
  assert.equal(trace.spans.length, 1);
  return trace.spans[0];
}
