// Shared by the tests: loads ferrotrace with the memory destination and reads back what it stored.
import * as path from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const PKG = path.join(REPO, "bindings-node");

// Must be set before the first tracer call (the import below makes one).
process.env.FERROTRACE_DESTINATION ??= "memory";
export const mlflow = await import(path.join(PKG, "dist", "index.mjs"));

/** Empties the memory destination once what earlier code left queued is delivered (else it
 * could land after the clear). */
export async function clearMemory() {
  await mlflow.flushTraces(10_000);
  mlflow.testing.clearMemoryTraces();
}

/** Clears the memory destination, runs `fn`, flushes, and returns the traces stored. */
export async function collect(fn) {
  await clearMemory();
  const result = await fn();
  assertOk(await mlflow.flushTraces(10_000), "flushTraces timed out");
  return { traces: mlflow.testing.memoryTraces(), result };
}

/** The only trace `fn` produced. */
export async function oneTrace(fn) {
  const { traces, result } = await collect(fn);
  if (traces.length !== 1) throw new Error(`expected 1 trace, got ${traces.length}`);
  return { trace: traces[0], result };
}

function assertOk(v, msg) {
  if (!v) throw new Error(msg);
}

export const hex = (b64) => (b64 == null ? null : Buffer.from(b64, "base64").toString("hex"));

/** The stored span named `name` (throws if absent or ambiguous). */
export function span(trace, name) {
  const found = trace.data.spans.filter((s) => s.name === name);
  if (found.length !== 1) throw new Error(`expected one span ${name}, got ${found.length}`);
  return found[0];
}

/** A stored attribute, decoded from its JSON text. */
export const attr = (s, key) => mlflow.testing.attribute(s, key);

/** The parent span's name, or null for the root. */
export function parentName(trace, s) {
  const p = trace.data.spans.find((o) => o.span_id === s.parent_span_id);
  return p ? p.name : null;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
