// Steady traced load for the soak (Node side): the same shape as load.py.
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const mlflow = await import(path.join(REPO, "bindings-node", "dist", "index.mjs"));

const [seconds, rate] = process.argv.slice(2).map(Number);
const handle = mlflow.trace(function handle(i, prompt) {
  return mlflow.withSpan((span) => {
    span.setInputs({ q: prompt });
    return { answer: prompt.split("").reverse().join(""), i };
  }, { name: "retrieve" });
});

function rssKib() {
  const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync("/proc/self/status", "utf8"));
  return m ? Number(m[1]) : 0;
}

const end = performance.now() + seconds * 1000;
let calls = 0;
let slowest = 0;
const rss = [];
let nextSample = performance.now();
while (performance.now() < end) {
  const t0 = performance.now();
  handle(calls, `question ${calls} ` + "x".repeat(200));
  slowest = Math.max(slowest, performance.now() - t0);
  calls += 1;
  if (performance.now() >= nextSample) {
    rss.push(rssKib());
    nextSample += 1000;
  }
  await new Promise((r) => setTimeout(r, 1000 / rate));
}
console.log(JSON.stringify({ lang: "node", calls, slowest_ms: slowest, rss_kib: rss }));
