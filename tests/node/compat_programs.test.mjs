// The TypeScript half of the compat suite (tests/compat/ts/): programs in the shapes of MLflow's
// TypeScript tracing docs and of the mlflow-tracing README, written against `mlflow-tracing` and
// run with only the import swapped.
//
// - Type check: every program compiles under `tsc --strict` against ferrotrace's declarations,
//   with TypeScript 5 decorators and with `experimentalDecorators`; and against MLflow's own
//   package when it is installed in tests/compat/ts/node_modules (see OFFICIAL below).
// - Runs: each program runs against one real MLflow server and again with no server (ferrotrace's
//   local store). Its stdout must be the same both times (ids normalised), and every trace it
//   logged, read back from the server with MLflow's own Python client, must match the same trace
//   read back from the local store, field by field (ids mapped; times, sizes, experiment ids and
//   stack traces dropped). With MLflow's package installed, the official run's stdout and traces
//   are compared the same way.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { describe, test } from "node:test";
import { pathToFileURL } from "node:url";

import { PKG, REPO } from "./helpers.mjs";
import { childEnv, IMPORT, mlflowServer, python, run, skip, tmp, uniqueName } from "./mlflow_support.mjs";

const COMPAT = path.join(REPO, "tests", "compat", "ts");
const PROGRAMS = fs.readdirSync(COMPAT).filter((f) => f.endsWith(".ts")).map((f) => f.slice(0, -3)).sort();
const ts = createRequire(path.join(PKG, "package.json"))("typescript");
const TSC = path.join(PKG, "node_modules", ".bin", "tsc");

// MLflow's own TypeScript SDK, when installed (`cd tests/compat/ts && npm install`): the npm
// registry this suite is developed against answers 404 for `mlflow-tracing`, so by default the
// official side is skipped with that reason (tests/compat/README.md lists it).
const OFFICIAL_DIR = path.join(COMPAT, "node_modules", "mlflow-tracing");
const OFFICIAL = fs.existsSync(OFFICIAL_DIR)
  ? pathToFileURL(createRequire(path.join(COMPAT, "package.json")).resolve("mlflow-tracing")).href
  : null;
const NO_OFFICIAL = "mlflow-tracing is not installed in tests/compat/ts (the npm registry reachable here does not serve it)";

// Programs MLflow's official SDK cannot run, with the reason.
const OFFICIAL_CANNOT_RUN = {
  feedback_and_tags: "logFeedback / logExpectation are not exported by mlflow-tracing's published index (newest sources only)",
  client: "MlflowClient's constructor in the newest mlflow-tracing takes an authProvider instead of host",
};

function typeCheck(files, extra) {
  const r = spawnSync(TSC, ["--strict", "--noEmit", "--target", "es2022", "--module", "nodenext",
    "--moduleResolution", "nodenext", "--types", "node", "--skipLibCheck", ...extra, ...files], { cwd: PKG, encoding: "utf8" });
  return r.status === 0 ? "" : r.stdout + r.stderr;
}

/** The programs copied into `dir` as `.mts` with `ferrotrace` imported as `target`. */
function copies(dir, target) {
  return PROGRAMS.map((p) => {
    const file = path.join(dir, `${p}.mts`);
    fs.writeFileSync(file, fs.readFileSync(path.join(COMPAT, `${p}.ts`), "utf8").replace(/from "ferrotrace"/g, `from "${target}"`));
    return file;
  });
}

test("the TypeScript compat programs type-check under tsc --strict against ferrotrace", () => {
  assert.ok(PROGRAMS.length >= 5, PROGRAMS.join(","));
  // Inside the package folder, "ferrotrace" resolves to the package itself (its exports map).
  const dir = fs.mkdtempSync(path.join(PKG, ".compat-check-"));
  try {
    const files = copies(dir, "ferrotrace");
    assert.equal(typeCheck(files, []), "", "TypeScript 5 decorators");
    assert.equal(typeCheck(files, ["--experimentalDecorators"]), "", "experimentalDecorators");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("a program that does not type-check is reported (the check can fail)", () => {
  const dir = fs.mkdtempSync(path.join(PKG, ".compat-check-"));
  try {
    const file = path.join(dir, "bad.mts");
    fs.writeFileSync(file, 'import * as mlflow from "ferrotrace";\nconst n: number = mlflow.getLastActiveTraceId();\nexport {};\n');
    assert.match(typeCheck([file], []), /TS2322/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("the TypeScript compat programs type-check against mlflow-tracing", { skip: OFFICIAL ? false : NO_OFFICIAL }, () => {
  const dir = fs.mkdtempSync(path.join(COMPAT, ".official-check-"));
  try {
    assert.equal(typeCheck(copies(dir, "mlflow-tracing"), []), "");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// ---- runs ------------------------------------------------------------------------------------

/** The program as ESM JavaScript importing `target` (a file URL). */
function program(name, target) {
  const source = fs.readFileSync(path.join(COMPAT, `${name}.ts`), "utf8");
  const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
  return js.replace(/from\s+["']ferrotrace["']/g, `from ${JSON.stringify(target)}`);
}

/** Runs one program in a fresh folder; returns its stdout, the trace ids it reported, its folder. */
async function runProgram(name, target, env) {
  const dir = tmp(`ferrotrace-compat-${name}-`);
  const file = path.join(dir, `${name}.mjs`);
  fs.writeFileSync(file, program(name, target));
  const r = await run(process.execPath, [file], { cwd: dir, env: childEnv({ FERROTRACE_SPILL_DIR: path.join(dir, "spill"), ...env }) });
  assert.equal(r.status, 0, `${name} failed:\n${r.stdout}\n${r.stderr}`);
  const line = r.stdout.split("\n").find((l) => l.startsWith("COMPAT_TRACE_IDS "));
  assert.ok(line, `${name} reported no trace ids:\n${r.stdout}`);
  return { stdout: r.stdout, ids: JSON.parse(line.slice("COMPAT_TRACE_IDS ".length)), dir };
}

/** Stdout with trace and span ids replaced by their order of appearance. */
function normalise(stdout) {
  const seen = new Map();
  return stdout.replace(/tr-[0-9a-f]{32}|\b[0-9a-f]{16}\b|a-[0-9a-f]{32}/g, (id) => {
    if (!seen.has(id)) seen.set(id, `<id${seen.size}>`);
    return seen.get(id);
  });
}

/** The traces as MLflow's Python client reads them from the server (`Trace.to_dict()`). */
async function fromServer(uri, ids) {
  const code = `
import json, sys, mlflow
client = mlflow.MlflowClient(sys.argv[1])
print(json.dumps([client.get_trace(i).to_dict() for i in json.loads(sys.argv[2])], default=str))`;
  return python(code, [uri, JSON.stringify(ids)]);
}

/** The traces as ferrotrace reads them from the local store of a finished run's folder. */
async function fromLocalStore(dir, ids) {
  const file = path.join(dir, "read-back.mjs");
  fs.writeFileSync(file, `import * as mlflow from ${IMPORT};
const out = [];
for (const id of ${JSON.stringify(ids)}) out.push((await mlflow.getTrace(id)).toJson());
console.log(JSON.stringify(out, (_k, v) => (typeof v === "bigint" ? v.toString() : v)));`);
  const r = await run(process.execPath, [file], { cwd: dir, env: childEnv({ FERROTRACE_SPILL_DIR: path.join(dir, "spill") }) });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split("\n").at(-1));
}

const VOLATILE_META = new Set(["mlflow.trace.sizeBytes", "mlflow.trace.sizeStats", "mlflow.sourceRun"]);
// What the MLflow server adds to every trace it stores, whichever SDK logged it.
const SERVER_META = new Set(["mlflow.trace.infoFinalized"]);
const SERVER_TAGS = new Set(["mlflow.trace.spansLocation"]);
const decode = (v) => {
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
};

/**
 * A trace dict (MLflow's Python `to_dict()` or ferrotrace's `toJson()`) reduced to what both
 * must agree on: spans as a tree of names (ids mapped to the order of start), types, inputs,
 * outputs, attributes, status and event names; the trace's state, previews, user tags, metadata
 * and assessments. Times, ids, sizes, experiment ids and stack traces are dropped.
 */
function comparable(t) {
  const spans = [...t.data.spans].sort((a, b) => Number(BigInt(a.start_time_unix_nano) - BigInt(b.start_time_unix_nano)) || a.name.localeCompare(b.name));
  const index = new Map(spans.map((s, i) => [s.span_id, i]));
  const info = t.info;
  const meta = Object.fromEntries(
    Object.entries(info.trace_metadata ?? {})
      .filter(([k]) => !VOLATILE_META.has(k) && !SERVER_META.has(k))
      // Each run has its own folder: the program's file name is what must agree.
      .map(([k, v]) => [k, k === "mlflow.source.name" ? path.basename(v) : v])
      .sort(),
  );
  const tags = Object.fromEntries(
    Object.entries(info.tags ?? {}).filter(([k]) => !k.startsWith("mlflow.artifact") && !SERVER_TAGS.has(k)).sort(),
  );
  const status = (c) => String(c ?? "").replace(/^STATUS_CODE_/, "");
  return {
    state: info.state,
    request_preview: info.request_preview ?? null,
    response_preview: info.response_preview ?? null,
    client_request_id: info.client_request_id ?? null,
    tags,
    metadata: meta,
    assessments: (info.assessments ?? [])
      .map((a) => ({ name: a.assessment_name, source: a.source, feedback: a.feedback?.value, expectation: a.expectation?.value, rationale: a.rationale }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    spans: spans.map((s) => ({
      name: s.name,
      parent: s.parent_span_id ? (index.get(s.parent_span_id) ?? "remote") : null,
      status: status(s.status?.code),
      attributes: Object.fromEntries(Object.entries(s.attributes ?? {}).filter(([k]) => k !== "mlflow.traceRequestId").map(([k, v]) => [k, decode(v)]).sort()),
      events: (s.events ?? []).map((e) => e.name),
    })),
  };
}

describe("the TypeScript compat programs run alike on an MLflow server and the local store", { skip }, () => {
  const uri = mlflowServer();
  for (const name of PROGRAMS) {
    test(name, async () => {
      const experiment = uniqueName(`compat-ts-${name}`);
      const { id: experimentId } = await python(
        "import json, sys, mlflow\nprint(json.dumps({'id': mlflow.MlflowClient(sys.argv[1]).create_experiment(sys.argv[2])}))",
        [uri(), experiment],
      );
      const [server, local] = await Promise.all([
        runProgram(name, JSON.parse(IMPORT), { MLFLOW_TRACKING_URI: uri(), COMPAT_EXPERIMENT_ID: experimentId }),
        runProgram(name, JSON.parse(IMPORT), {}),
      ]);
      try {
        assert.equal(normalise(server.stdout), normalise(local.stdout), "stdout differs between the server and the local store");
        assert.equal(server.ids.length, local.ids.length);
        const onServer = (await fromServer(uri(), server.ids)).map(comparable);
        const inStore = (await fromLocalStore(local.dir, local.ids)).map(comparable);
        // COMPAT_DUMP=<folder> keeps both sides of the comparison, to read a difference whole.
        if (process.env.COMPAT_DUMP) {
          fs.writeFileSync(path.join(process.env.COMPAT_DUMP, `${name}.json`), JSON.stringify({ onServer, inStore }, null, 1));
        }
        assert.deepEqual(inStore, onServer);
        assert.ok(onServer.every((t) => t.spans.length > 0));
      } finally {
        fs.rmSync(server.dir, { recursive: true, force: true });
        fs.rmSync(local.dir, { recursive: true, force: true });
      }
    });
  }
});

describe("the TypeScript compat programs run alike under mlflow-tracing and ferrotrace", { skip: skip || (OFFICIAL ? false : NO_OFFICIAL) }, () => {
  const uri = mlflowServer();
  for (const name of PROGRAMS) {
    test(name, { skip: OFFICIAL_CANNOT_RUN[name] ?? false }, async () => {
      const ids = {};
      for (const sdk of ["official", "ferrotrace"]) {
        const code = "import json, sys, mlflow\nprint(json.dumps({'id': mlflow.MlflowClient(sys.argv[1]).create_experiment(sys.argv[2])}))";
        ids[sdk] = (await python(code, [uri(), uniqueName(`compat-ts-${name}-${sdk}`)])).id;
      }
      const [official, ours] = await Promise.all([
        runProgram(name, OFFICIAL, { MLFLOW_TRACKING_URI: uri(), COMPAT_EXPERIMENT_ID: ids.official }),
        runProgram(name, JSON.parse(IMPORT), { MLFLOW_TRACKING_URI: uri(), COMPAT_EXPERIMENT_ID: ids.ferrotrace }),
      ]);
      try {
        assert.equal(normalise(ours.stdout), normalise(official.stdout));
        assert.deepEqual((await fromServer(uri(), ours.ids)).map(comparable), (await fromServer(uri(), official.ids)).map(comparable));
      } finally {
        fs.rmSync(official.dir, { recursive: true, force: true });
        fs.rmSync(ours.dir, { recursive: true, force: true });
      }
    });
  }
});
