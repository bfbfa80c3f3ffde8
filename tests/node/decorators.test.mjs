// `@trace()` / `@trace({...})` as a method decorator, in both of TypeScript's decorator modes:
// the fixtures in fixtures/ are type-checked (--strict) and compiled here with the repository's
// TypeScript, once with `experimentalDecorators` (legacy) and once without (TC39, TypeScript 5),
// then run against the memory destination.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";

import { attr, mlflow, oneTrace, parentName, PKG, span } from "./helpers.mjs";

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures");
const TS = path.join(PKG, "node_modules", "typescript");
const require = createRequire(import.meta.url);

let out;
const compiled = {};

/** Type-checks and compiles each fixture; lib files are parsed once for both programs. */
function compile() {
  const ts = require(TS);
  out = fs.mkdtempSync(path.join(os.tmpdir(), "ferrotrace-decorators-"));
  // The compiled fixtures `require("ferrotrace")`, as an application would.
  fs.mkdirSync(path.join(out, "node_modules"));
  fs.symlinkSync(PKG, path.join(out, "node_modules", "ferrotrace"), "dir");
  const cache = new Map();
  for (const [mode, file, legacy] of [
    ["legacy", "decorators_legacy.ts", true],
    ["tc39", "decorators_tc39.ts", false],
  ]) {
    const options = {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.CommonJS,
      strict: true,
      experimentalDecorators: legacy,
      types: ["node"],
      typeRoots: [path.join(PKG, "node_modules", "@types")],
      paths: { ferrotrace: [path.join(PKG, "dist", "index.d.ts")] },
      outDir: out,
      noEmitOnError: true,
    };
    const host = ts.createCompilerHost(options);
    const read = host.getSourceFile.bind(host);
    host.getSourceFile = (name, lang, ...rest) => {
      if (name.startsWith(FIXTURES)) return read(name, lang, ...rest);
      if (!cache.has(name)) cache.set(name, read(name, lang, ...rest));
      return cache.get(name);
    };
    const program = ts.createProgram([path.join(FIXTURES, file)], options, host);
    const emitted = program.emit();
    const problems = ts
      .getPreEmitDiagnostics(program)
      .concat(emitted.diagnostics)
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
    assert.deepEqual(problems, [], `${file} does not type-check`);
    compiled[mode] = path.join(out, file.replace(/\.ts$/, ".js"));
  }
}

before(() => {
  if (fs.existsSync(TS)) compile();
});
after(() => {
  if (out) fs.rmSync(out, { recursive: true, force: true });
});

for (const mode of ["legacy", "tc39"]) {
  describe(`${mode} decorators`, () => {
    const load = (t) => {
      if (!compiled[mode]) {
        t.skip("typescript is not installed (npm install in bindings-node)");
        return null;
      }
      return require(compiled[mode]).Agent;
    };

    test("methods become spans named after the method (or options.name), nested by await", async (t) => {
      const Agent = load(t);
      if (!Agent) return;
      const agent = new Agent();
      const { trace, result } = await oneTrace(() => agent.run("what is mlflow"));
      assert.deepEqual(result, { text: "answer: what is mlflow", docs: ["what is mlflow-0", "what is mlflow-1"] });
      assert.deepEqual(trace.data.spans.map((s) => s.name).sort(), ["plain", "retrieve_docs", "run"]);
      const run = span(trace, "run");
      assert.equal(parentName(trace, run), null);
      assert.equal(attr(run, "mlflow.spanType"), "AGENT");
      assert.deepEqual(attr(run, "mlflow.spanInputs"), { question: "what is mlflow" });
      assert.deepEqual(attr(run, "mlflow.spanOutputs"), result);
      const retrieve = span(trace, "retrieve_docs");
      assert.equal(parentName(trace, retrieve), "run");
      assert.equal(attr(retrieve, "mlflow.spanType"), "RETRIEVER");
      assert.equal(attr(retrieve, "k"), 2);
      // A default that was not passed is not an input; `this` never is.
      assert.deepEqual(attr(retrieve, "mlflow.spanInputs"), { query: "what is mlflow" });
      const plain = span(trace, "plain");
      assert.equal(parentName(trace, plain), "run");
      // `this` was the instance: the method read this.prefix.
      assert.equal(attr(plain, "mlflow.spanOutputs"), "answer: what is mlflow");
      assert.deepEqual(attr(plain, "mlflow.spanInputs"), { question: "what is mlflow" });
    });

    test("the method keeps its name and arity; static methods and errors", async (t) => {
      const Agent = load(t);
      if (!Agent) return;
      assert.equal(Agent.prototype.retrieve.name, "retrieve");
      assert.equal(Agent.prototype.retrieve.length, 1);
      const { trace } = await oneTrace(() => Agent.version(3));
      assert.equal(trace.data.spans[0].name, "version");
      assert.equal(attr(trace.data.spans[0], "mlflow.spanOutputs"), "v3");
      const agent = new Agent();
      const { trace: failed } = await oneTrace(() => assert.throws(() => agent.fail("too far"), RangeError));
      const s = failed.data.spans[0];
      assert.equal(s.name, "fail");
      assert.equal(s.status.code, "STATUS_CODE_ERROR");
      assert.equal(s.status.message, "RangeError: too far");
      assert.equal(failed.info.state, "ERROR");
    });
  });
}

test("a decorator on something that is not a method warns once and changes nothing", () => {
  const seen = [];
  const orig = console.warn;
  console.warn = (...a) => seen.push(a.join(" "));
  try {
    const dec = mlflow.trace({ name: "x" });
    assert.equal(dec(undefined, { kind: "field", name: "count" }), undefined);
    const get = () => 1;
    const descriptor = { get, configurable: true };
    assert.equal(dec({}, "size", descriptor), descriptor);
    assert.equal(descriptor.get, get);
  } finally {
    console.warn = orig;
  }
  assert.equal(seen.length, 1);
  assert.match(seen[0], /decorates methods only; left the field count untraced/);
});
