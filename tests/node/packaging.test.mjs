// The package as an application sees it, in child processes: `require` and `import` by name,
// the exit hook delivering to the local store, the committed dist/ matching ts/, and (opt-in,
// FERROTRACE_TEST_NPM_INSTALL=1) a real `npm install <folder>` into an empty project.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";

import { mlflow, PKG } from "./helpers.mjs";

function tmpdir() {
  return fs.mkdtempSync(path.join(os.tmpdir(), "ferrotrace-pkg-"));
}

/** A project whose node_modules/ferrotrace links to the package, as npm links a folder install. */
function project() {
  const dir = tmpdir();
  fs.mkdirSync(path.join(dir, "node_modules"));
  fs.symlinkSync(PKG, path.join(dir, "node_modules", "ferrotrace"), "dir");
  return dir;
}

function run(cwd, file, extraEnv = {}) {
  const env = { ...process.env, ...extraEnv };
  delete env.FERROTRACE_DESTINATION; // the child uses the local store, like an application
  delete env.NODE_TEST_CONTEXT;
  const res = spawnSync(process.execPath, [file], { cwd, env, encoding: "utf8", timeout: 60_000 });
  assert.equal(res.status, 0, `${file} failed:\n${res.stderr}`);
  return JSON.parse(res.stdout.trim().split("\n").at(-1));
}

const APP_BODY = `
const add = mlflow.trace(function add(a, b) { return a + b; }, { spanType: mlflow.SpanType.TOOL });
const sum = add(2, 3);
console.log(JSON.stringify({ sum, id: mlflow.getLastActiveTraceId(), keys: Object.keys(mlflow).filter((k) => k !== "default").sort() }));
`;

test("require('ferrotrace') works and the exit hook delivers to the local store", () => {
  const dir = project();
  try {
    fs.writeFileSync(path.join(dir, "app.cjs"), `const mlflow = require("ferrotrace");\n${APP_BODY}`);
    const out = run(dir, "app.cjs", { FERROTRACE_LOCAL_DIR: path.join(dir, "store") });
    assert.equal(out.sum, 5);
    assert.match(out.id, /^tr-[0-9a-f]{32}$/);
    const { traces } = mlflow.testing.readLocalStore(path.join(dir, "store"));
    assert.deepEqual(traces.map((t) => t.info.trace_id), [out.id]);
    const meta = traces[0].info.trace_metadata;
    assert.equal(meta["mlflow.source.name"], path.join(dir, "app.cjs"));
    assert.equal(meta["mlflow.source.type"], "LOCAL");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("import * as mlflow from 'ferrotrace' works, with the same exports, even after process.exit()", () => {
  const dir = project();
  try {
    fs.writeFileSync(path.join(dir, "app.cjs"), `const mlflow = require("ferrotrace");\n${APP_BODY}`);
    fs.writeFileSync(
      path.join(dir, "app.mjs"),
      `import * as mlflow from "ferrotrace";\nimport def from "ferrotrace";\n${APP_BODY}\nif (def.trace !== mlflow.trace) throw new Error("default export differs");\nprocess.exit(0);\n`,
    );
    const store = path.join(dir, "store");
    const esm = run(dir, "app.mjs", { FERROTRACE_LOCAL_DIR: store });
    const cjs = run(dir, "app.cjs", { FERROTRACE_LOCAL_DIR: tmpdir() });
    assert.equal(esm.sum, 5);
    assert.deepEqual(esm.keys, cjs.keys);
    for (const name of ["trace", "withSpan", "getCurrentActiveSpan", "getLastActiveTraceId", "updateCurrentTrace", "flushTraces", "stats", "SpanType", "SpanStatusCode", "SpanEvent"]) {
      assert.ok(esm.keys.includes(name), name);
    }
    const { traces } = mlflow.testing.readLocalStore(store);
    assert.deepEqual(traces.map((t) => t.info.trace_id), [esm.id]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("the committed dist/ is what tsc makes of ts/", (t) => {
  const tsc = path.join(PKG, "node_modules", "typescript", "bin", "tsc");
  if (!fs.existsSync(tsc)) return t.skip("typescript is not installed (npm install in bindings-node)");
  const out = tmpdir();
  try {
    const res = spawnSync(process.execPath, [tsc, "-p", path.join(PKG, "tsconfig.json"), "--outDir", out], { encoding: "utf8" });
    assert.equal(res.status, 0, res.stdout + res.stderr);
    for (const f of ["index.mjs", "openai.mjs", "anthropic.mjs"]) fs.copyFileSync(path.join(PKG, "ts", f), path.join(out, f));
    const files = fs.readdirSync(out).sort();
    assert.deepEqual(fs.readdirSync(path.join(PKG, "dist")).sort(), files, "run `npm run build:ts` in bindings-node");
    for (const f of files) {
      assert.equal(
        fs.readFileSync(path.join(PKG, "dist", f), "utf8"),
        fs.readFileSync(path.join(out, f), "utf8"),
        `dist/${f} is stale: run \`npm run build:ts\` in bindings-node`,
      );
    }
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});

test("npm install <folder> into an empty project builds and loads (opt-in)", (t) => {
  if (process.env.FERROTRACE_TEST_NPM_INSTALL !== "1") return t.skip("set FERROTRACE_TEST_NPM_INSTALL=1 (runs cargo)");
  const dir = tmpdir();
  try {
    const npm = (...args) => {
      const res = spawnSync("npm", args, { cwd: dir, encoding: "utf8", timeout: 20 * 60_000 });
      assert.equal(res.status, 0, res.stdout + res.stderr);
    };
    npm("init", "-y");
    npm("install", PKG);
    fs.writeFileSync(path.join(dir, "app.cjs"), `const mlflow = require("ferrotrace");\n${APP_BODY}`);
    fs.writeFileSync(path.join(dir, "app.mjs"), `import * as mlflow from "ferrotrace";\n${APP_BODY}`);
    const env = { FERROTRACE_LOCAL_DIR: path.join(dir, "store") };
    assert.equal(run(dir, "app.cjs", env).sum, 5);
    assert.equal(run(dir, "app.mjs", env).sum, 5);
    assert.equal(mlflow.testing.readLocalStore(path.join(dir, "store")).traces.length, 2);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
