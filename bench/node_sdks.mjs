// Side by side: ferrotrace's npm package vs the OpenTelemetry JS SDK (@opentelemetry/sdk-trace-base:
// BasicTracerProvider + BatchSpanProcessor + an exporter that discards, AsyncLocalStorage context
// manager so spans nest). µs per call, median of RUNS runs after a warm-up run, each SDK in its own
// child process. ferrotrace exports to its default destination, a local store (temp dir).
//
//   (cd bench && npm install) && node bench/node_sdks.mjs [calls-per-run]
//
// Cases: trivial traced call with inputs/outputs captured (OTel: one span, args and result as
// attributes), 4 nested traced functions (per span), large arguments (20-key object + 50 numbers
// in, the same out).
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const N = Number(process.env.BENCH_N ?? process.argv[2] ?? 20_000);
const RUNS = Number(process.env.BENCH_REPS ?? 5);
const CASES = [
  ["plain", "plain call (baseline)"],
  ["trivial", "trivial call, capture on"],
  ["nested", "4 nested spans, per span"],
  ["large", "20-key object + 50 numbers in/out"],
];

const BIG = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`key_${i}`, i * 1.5]));
const NUMS = Array.from({ length: 50 }, (_, i) => i * 0.25);

function add(a, b) {
  return a + b;
}
function big(obj, nums) {
  return { obj, nums };
}

async function setup(sdk) {
  if (sdk === "ferrotrace") {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ferrotrace-bench-sdks-"));
    process.env.FERROTRACE_LOCAL_DIR ??= dir;
    process.env.FERROTRACE_MAX_QUEUE_TRACES ??= String(Math.max(N, 20_000) * 2);
    const ft = await import(path.join(here, "..", "bindings-node", "dist", "index.mjs"));
    return {
      trace: (fn) => ft.trace(fn),
      flush: () => ft.flushTraces(),
      note: () => {
        const s = ft.stats();
        return `exported ${s.traces_exported} traces / ${s.spans_exported} spans, dropped ${s.traces_dropped}`;
      },
      done: () => fs.rmSync(dir, { recursive: true, force: true }),
    };
  }
  const api = await import("@opentelemetry/api");
  const { BasicTracerProvider, BatchSpanProcessor } = await import("@opentelemetry/sdk-trace-base");
  const { AsyncLocalStorageContextManager } = await import("@opentelemetry/context-async-hooks");
  api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  let exported = 0;
  const exporter = {
    export(spans, done) {
      exported += spans.length;
      done({ code: 0 });
    },
    shutdown: async () => {},
    forceFlush: async () => {},
  };
  const provider = new BasicTracerProvider({
    spanProcessors: [new BatchSpanProcessor(exporter, { maxQueueSize: Math.max(N, 20_000) * 8 })],
  });
  const tracer = provider.getTracer("bench");
  const attr = (v) =>
    typeof v === "string" || typeof v === "number" || typeof v === "boolean"
      ? v
      : Array.isArray(v) && v.every((x) => typeof x === "number")
        ? v
        : JSON.stringify(v);
  // OTel has no trace() with capture: one active span per call, args and result as attributes.
  const trace = (fn) => {
    const name = fn.name;
    return function (...args) {
      return tracer.startActiveSpan(name, (span) => {
        for (let i = 0; i < args.length; i++) span.setAttribute(`input.${i}`, attr(args[i]));
        const out = fn.apply(this, args);
        span.setAttribute("output", attr(out));
        span.end();
        return out;
      });
    };
  };
  return { trace, flush: () => provider.forceFlush(), note: () => `exported ${exported} spans`, done: () => {} };
}

async function worker(sdk) {
  const s = await setup(sdk);
  const tracedAdd = s.trace(add);
  const tracedBig = s.trace(big);
  const l4 = s.trace(function l4(x) { return x + 1; });
  const l3 = s.trace(function l3(x) { return l4(x); });
  const l2 = s.trace(function l2(x) { return l3(x); });
  const l1 = s.trace(function l1(x) { return l2(x); });
  let sink = 0;
  const bodies = {
    plain: [N, (n) => { for (let i = 0; i < n; i++) sink += add(i, 1); }],
    trivial: [N, (n) => { for (let i = 0; i < n; i++) sink += tracedAdd(i, 1); }],
    nested: [Math.floor(N / 4), (n) => { for (let i = 0; i < n; i++) sink += l1(i); }, 4],
    large: [N, (n) => { for (let i = 0; i < n; i++) sink += tracedBig(BIG, NUMS).nums.length; }],
  };
  const res = {};
  for (const [key] of CASES) {
    const [n, body, spans = 1] = bodies[key];
    const times = [];
    for (let r = 0; r <= RUNS; r++) {
      const t0 = process.hrtime.bigint();
      body(n);
      const us = Number(process.hrtime.bigint() - t0) / 1000 / n / spans;
      if (r > 0) times.push(us); // run 0 warms up
      await s.flush(); // not timed: keeps the export queue from filling between runs
    }
    times.sort((a, b) => a - b);
    res[key] = times[Math.floor(times.length / 2)];
    res[`n_${key}`] = n;
  }
  res.note = s.note();
  s.done();
  if (sink === -1) console.log(sink);
  console.log("RESULT " + JSON.stringify(res));
}

function main() {
  const results = {};
  for (const sdk of ["ferrotrace", "otel"]) {
    const out = spawnSync(process.execPath, [fileURLToPath(import.meta.url), "--worker", sdk], {
      cwd: here,
      env: { ...process.env, BENCH_N: String(N), BENCH_REPS: String(RUNS) },
      encoding: "utf8",
      timeout: 1_800_000,
    });
    const line = (out.stdout ?? "").split("\n").filter((l) => l.startsWith("RESULT ")).pop();
    if (out.status !== 0 || !line) {
      console.error(`${sdk} failed (status ${out.status}):\n${out.stdout}\n${out.stderr}`);
      process.exit(1);
    }
    results[sdk] = JSON.parse(line.slice("RESULT ".length));
  }
  const otelVersion = JSON.parse(fs.readFileSync(path.join(here, "node_modules", "@opentelemetry", "sdk-trace-base", "package.json"), "utf8")).version;
  const load = os.loadavg().map((x) => x.toFixed(2)).join(" ");
  console.log(`node ${process.version}, @opentelemetry/sdk-trace-base ${otelVersion}; ${os.cpus().length} CPUs, load ${load}`);
  console.log(`µs per call (nested: per span), median of ${RUNS} runs of ${N} calls (nested ${Math.floor(N / 4)}), each SDK in its own process`);
  console.log();
  console.log("| case | ferrotrace | OTel SDK | OTel / ferrotrace |");
  console.log("| --- | ---: | ---: | ---: |");
  for (const [key, name] of CASES) {
    const f = results.ferrotrace[key];
    const o = results.otel[key];
    console.log(`| ${name} | ${f.toFixed(3)} | ${o.toFixed(3)} | ${key === "plain" ? "" : (o / f).toFixed(1) + "x"} |`);
  }
  console.log();
  for (const sdk of ["ferrotrace", "otel"]) console.log(`${sdk}: ${results[sdk].note}`);
}

if (process.argv[2] === "--worker") await worker(process.argv[3]);
else main();
