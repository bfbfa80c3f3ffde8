// One Node case, N calls, for bench/instructions.py (run under callgrind).
//   node bench/instr/node_cases.mjs CASE N
// CASE: plain trivial child nested big floor_napi floor_als floor_design floor_batch.
// trivial: a traced call, its own trace; child: the same under an open span (no trace sealed).
// floor_napi: one bare call into the addon (a span handle in, a boolean out); floor_als: a
// wrapper that runs the function inside AsyncLocalStorage.run, as every traced call does;
// floor_design: what a traced call cannot avoid in this design, with no span work: a clock read,
// the inputs and outputs captured as JSON text, AsyncLocalStorage.run, one call into the addon;
// floor_batch: the addon's part of a trivial traced call alone (its one-span trace started, ended
// and queued), recorded as the facade does it, 64 per leafBatch call.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const CASE = process.argv[2];
let N = Number(process.argv[3]);
const WARMUP = 3000;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferrotrace-instr-"));
process.env.FERROTRACE_LOCAL_DIR ??= dir;
process.env.FERROTRACE_MAX_QUEUE_TRACES ??= "100000";
const pkg = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "bindings-node");
const ft = await import(path.join(pkg, "dist", "index.mjs"));
const { native } = await import(path.join(pkg, "dist", "native.js"));
const { AsyncLocalStorage } = await import("node:async_hooks");
const { primitiveJson } = await import(path.join(pkg, "dist", "capture.js"));
const { inputKeys, primitiveInputs } = await import(path.join(pkg, "dist", "params.js"));

const add = (a, b) => a + b;
const traced = ft.trace(function add2(a, b) { return a + b; });
const l4 = ft.trace(function l4(x) { return x; });
const l3 = ft.trace(function l3(x) { return l4(x); });
const l2 = ft.trace(function l2(x) { return l3(x); });
const l1 = ft.trace(function l1(x) { return l2(x); });
const BIG = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`key_${i}`, i * 1.5]));
const NUMS = Array.from({ length: 50 }, (_, i) => i * 0.25);
const big = ft.trace(function big(d, xs) { return { d, xs }; });

const als = new AsyncLocalStorage();
const handle = native.startRoot("floor", null, null, null, null);
const inAls = function (a, b) { return als.run(handle, () => add(a, b)); };
const keys = inputKeys(["a", "b"]);
const hrtime = process.hrtime.bigint;
const design = function (...args) {
  const t0 = hrtime();
  const inputs = primitiveInputs(keys, args, primitiveJson);
  const r = als.run(handle, () => add(args[0], args[1]));
  const out = primitiveJson(r);
  return native.spanIsSampled(handle) && t0 > 0n && inputs.length + out.length > 0 ? r : 0;
};

const leafBatch = native.rawFunction("leafBatch");
const batchSites = new Uint32Array(64).fill(native.registerSite("floor", null));
const batchTimes = new BigUint64Array(128);
const batchText = '{"a":1,"b":1}\u00002\u0000'.repeat(64);

let sink = 0;
const cases = {
  plain: () => { for (let i = 0; i < N; i++) sink += add(i, 1); },
  trivial: () => { for (let i = 0; i < N; i++) sink += traced(i, 1); },
  child: () => ft.withSpan(() => { for (let i = 0; i < N; i++) sink += traced(i, 1); }, { name: "parent" }),
  nested: () => { for (let i = 0; i < N; i++) sink += l1(i); },
  floor_napi: () => { for (let i = 0; i < N; i++) sink += native.spanIsSampled(handle) ? 1 : 0; },
  floor_als: () => { for (let i = 0; i < N; i++) sink += inAls(i, 1); },
  floor_design: () => { for (let i = 0; i < N; i++) sink += design(i, 1); },
  floor_batch: () => {
    for (let i = 0; i < N; i += 64) {
      batchTimes.fill(hrtime());
      sink += leafBatch(64, batchSites, batchTimes, batchText);
    }
  },
  big: () => { for (let i = 0; i < N; i++) sink += big(BIG, NUMS).xs.length; },
};
// A fixed warm-up first, so both runs (N and 2N calls) measure code the JIT already optimised.
const warm = N;
N = WARMUP;
cases[CASE]();
N = warm;
cases[CASE]();
await ft.flushTraces();
if (sink === -1) console.log(sink);
fs.rmSync(dir, { recursive: true, force: true });
