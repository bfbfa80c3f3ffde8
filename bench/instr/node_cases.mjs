// One Node case, N calls, for bench/instructions.py (run under callgrind).
//   node bench/instr/node_cases.mjs CASE N     # CASE: plain trivial nested big
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const [CASE, N] = [process.argv[2], Number(process.argv[3])];
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferrotrace-instr-"));
process.env.FERROTRACE_LOCAL_DIR ??= dir;
process.env.FERROTRACE_MAX_QUEUE_TRACES ??= "100000";
const pkg = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "bindings-node");
const ft = await import(path.join(pkg, "dist", "index.mjs"));

const add = (a, b) => a + b;
const traced = ft.trace(function add2(a, b) { return a + b; });
const l4 = ft.trace(function l4(x) { return x; });
const l3 = ft.trace(function l3(x) { return l4(x); });
const l2 = ft.trace(function l2(x) { return l3(x); });
const l1 = ft.trace(function l1(x) { return l2(x); });
const BIG = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`key_${i}`, i * 1.5]));
const NUMS = Array.from({ length: 50 }, (_, i) => i * 0.25);
const big = ft.trace(function big(d, xs) { return { d, xs }; });

let sink = 0;
const cases = {
  plain: () => { for (let i = 0; i < N; i++) sink += add(i, 1); },
  trivial: () => { for (let i = 0; i < N; i++) sink += traced(i, 1); },
  nested: () => { for (let i = 0; i < N; i++) sink += l1(i); },
  big: () => { for (let i = 0; i < N; i++) sink += big(BIG, NUMS).xs.length; },
};
cases[CASE]();
await ft.flushTraces();
if (sink === -1) console.log(sink);
fs.rmSync(dir, { recursive: true, force: true });
