// Cost of a traced trivial call (inputs and outputs captured) against the same plain call.
// Median of 5 runs per row, in µs per call. Run: node bench/node_overhead.mjs [calls-per-run]
// Traces go to a temporary local store (the default destination), deleted at the end.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferrotrace-bench-"));
process.env.FERROTRACE_LOCAL_DIR ??= dir;
// Room for every trace of a run: this measures the traced call, not the drop path.
process.env.FERROTRACE_MAX_QUEUE_TRACES ??= "200000";
const pkg = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "bindings-node");
const mlflow = await import(path.join(pkg, "dist", "index.mjs"));

const N = Number(process.argv[2] ?? 20_000);
const RUNS = 5;

function add(a, b) {
  return a + b;
}
const tracedAdd = mlflow.trace(add);
const tracedDoc = mlflow.trace(function lookup(query, opts) {
  return { query, hits: [{ id: 1, score: 0.9 }, { id: 2, score: 0.7 }] };
});

/** Median µs per call of `body` (which makes N calls) over RUNS runs, after one warm-up run. */
async function measure(body) {
  const times = [];
  for (let r = 0; r <= RUNS; r++) {
    const t0 = process.hrtime.bigint();
    body();
    const dt = Number(process.hrtime.bigint() - t0) / 1000 / N;
    if (r > 0) times.push(dt);
    await mlflow.flushTraces(); // keep the export queue from filling between runs
  }
  return times.sort((a, b) => a - b)[Math.floor(RUNS / 2)];
}

let sink = 0;
const rows = [
  ["plain add(a, b)", () => { for (let i = 0; i < N; i++) sink += add(i, 1); }],
  ["traced add, child span", () => mlflow.withSpan(() => { for (let i = 0; i < N; i++) sink += tracedAdd(i, 1); }, { name: "bench" })],
  ["traced add, own trace", () => { for (let i = 0; i < N; i++) sink += tracedAdd(i, 1); }],
  ["traced lookup (object in/out), child", () => mlflow.withSpan(() => { for (let i = 0; i < N; i++) sink += tracedDoc("q", { k: 5 }).hits.length; }, { name: "bench" })],
];

const results = [];
for (const [name, body] of rows) results.push([name, await measure(body)]);
const base = results[0][1];
console.log(`node ${process.version}, ${N} calls per run, median of ${RUNS} runs`);
console.log("| case | µs/call | overhead µs/call |");
console.log("| --- | ---: | ---: |");
for (const [name, us] of results) console.log(`| ${name} | ${us.toFixed(3)} | ${(us - base).toFixed(3)} |`);
const s = mlflow.stats();
console.log(`exported ${s.traces_exported} traces / ${s.spans_exported} spans, dropped ${s.traces_dropped} traces`);
if (sink === -1) console.log(sink);
fs.rmSync(dir, { recursive: true, force: true });
