// The configuration view comes from the core: Python's `config()` and Node's `getConfig()` show
// the same settings under the same keys (Node's in camelCase), for the same environment.
import assert from "node:assert/strict";
import * as path from "node:path";
import { test } from "node:test";

import { childEnv, PY, run, runApp, skip, tmp } from "./mlflow_support.mjs";

const snake = (k) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

const ENVIRONMENTS = {
  server: {
    // Nothing listens there: the view is read without a request.
    MLFLOW_TRACKING_URI: "http://user:secret@127.0.0.1:9",
    MLFLOW_EXPERIMENT_NAME: "view-check",
    MLFLOW_TRACE_SAMPLING_RATIO: "0.25",
    FERROTRACE_EXIT_TIMEOUT: "3",
  },
  local: { MLFLOW_EXPERIMENT_ID: "42" },
};

for (const [name, vars] of Object.entries(ENVIRONMENTS)) {
  test(`Python and Node show the same configuration (${name})`, { skip }, async () => {
    const dir = tmp("ferrotrace-config-view-");
    const env = { ...vars, FERROTRACE_LOCAL_DIR: path.join(dir, "store") };
    const py = await run(PY, ["-c", "import json; from ferrotrace import _native; print(json.dumps(_native.config()))"], {
      env: childEnv(env),
      cwd: dir,
    });
    assert.equal(py.status, 0, py.stderr);
    const fromPython = JSON.parse(py.stdout.trim().split("\n").at(-1));
    const { out } = await runApp("console.log(JSON.stringify(mlflow.getConfig()));", [], env);
    const fromNode = Object.fromEntries(Object.entries(out).map(([k, v]) => [snake(k), v]));
    assert.deepEqual(Object.keys(fromNode).sort(), Object.keys(fromPython).sort());
    assert.deepEqual(fromNode, fromPython);
    assert.ok(!JSON.stringify(fromPython).includes("secret"), "a credential is never shown");
    if (name === "server") {
      assert.equal(fromPython.destination, "mlflow");
      assert.equal(fromPython.tracking_uri, "http://127.0.0.1:9");
      assert.equal(fromPython.sampling_ratio, 0.25);
    } else {
      assert.equal(fromPython.destination, "local");
      assert.equal(fromPython.experiment_id, "42");
    }
  });
}
