/**
 * Ended leaves on their way to the core. A traced call that nothing looked at while it ran (a
 * *leaf*, see `LiveSpan._finish`) is kept here, its times read with `process.hrtime.bigint()`,
 * and up to `CAPACITY` of them are recorded by one native call (`leafBatch`) instead of one
 * call each: the call and its argument conversions were most of a traced call's native cost.
 *
 * Nothing observes a kept leaf before the core has it: every native call that could (ending a
 * span, stats, the last trace id, reading traces, flushing, settings) records the kept ones
 * first (`beforeNativeCall`), and so does reading a kept leaf's own span. Otherwise they are
 * recorded when `CAPACITY` are kept, on the next turn of the event loop (`setImmediate`), and
 * at exit. Worker threads, whose `terminate()` can stop JavaScript before any exit hook, and
 * processes with a trace timeout (which must find every span ended before it fires) record
 * each leaf at once, as does everything after the exit hook ran.
 */
import { isMainThread } from "node:worker_threads";

import { beforeNativeCall, native, type SpanHandle } from "./native";
import { internalError, type LiveSpan } from "./span";

/** A hot entry point as its raw Node-API function (fetched once), else the napi-rs one. */
export function raw<K extends "leafEnd" | "leafStart" | "spanFinish">(name: K): (typeof native)[K] {
  try {
    return native.rawFunction(name) as (typeof native)[K];
  } catch {
    return native[name].bind(native) as (typeof native)[K];
  }
}

type Batch = (count: number, sites: Uint32Array, times: BigUint64Array, texts: string, parents: SpanHandle[]) => number;

function batchFunction(): Batch | null {
  try {
    return isMainThread && native.leafBuffering() ? (native.rawFunction("leafBatch") as Batch) : null;
  } catch {
    return null;
  }
}

const CAPACITY = 64;
/** Set in a site number for a leaf with a parent (see `src/batch.rs`). */
const HAS_PARENT = 0x8000_0000;
const hrtime = process.hrtime.bigint;

let leafBatch = batchFunction();
const sites = new Uint32Array(CAPACITY);
const times = new BigUint64Array(2 * CAPACITY);
let count = 0;
let texts: string[] = [];
let parents: SpanHandle[] = [];
let spans: LiveSpan[] = [];
let scheduled = false;

/** Whether ended leaves are kept for a batch (else each is recorded by `leafEnd`). */
export function keepsLeaves(): boolean {
  return leafBatch !== null;
}

/**
 * Keeps `span`'s ended leaf (its end time is now) for the next batch; its `_leaf` number is
 * set when the batch is recorded.
 */
export function keepLeaf(
  span: LiveSpan,
  site: number,
  parent: SpanHandle | null,
  t0: bigint,
  inputs: string,
  outputs: string,
): void {
  const i = count;
  times[2 * i + 1] = hrtime();
  times[2 * i] = t0;
  if (parent === null) {
    sites[i] = site;
  } else {
    sites[i] = site | HAS_PARENT;
    parents.push(parent);
  }
  texts.push(inputs, outputs);
  spans.push(span);
  count = i + 1;
  if (count === CAPACITY) recordLeaves();
  else if (!scheduled) {
    scheduled = true;
    setImmediate(onImmediate);
  }
}

function onImmediate(): void {
  scheduled = false;
  recordLeaves();
}

/** Records the kept leaves in the core now (in the order they ended). */
export function recordLeaves(): void {
  const n = count;
  if (n === 0) return;
  const [batchSpans, batchTexts, batchParents] = [spans, texts, parents];
  count = 0;
  spans = [];
  texts = [];
  parents = [];
  let first: number;
  try {
    first = leafBatch!(n, sites, times, batchTexts.join("\u0000"), batchParents);
  } catch (e) {
    // Nothing of the batch was recorded: one call each instead (end time: now).
    internalError("recording a batch of spans", e);
    let p = 0;
    for (let i = 0; i < n; i++) {
      const parent = (sites[i] & HAS_PARENT) !== 0 ? batchParents[p++] : null;
      try {
        const site = sites[i] & ~HAS_PARENT;
        batchSpans[i]._leaf = native.leafEnd(site, parent, times[2 * i], batchTexts[2 * i], batchTexts[2 * i + 1]);
      } catch {
        batchSpans[i]._leaf = -1;
      }
    }
    return;
  }
  for (let i = 0; i < n; i++) batchSpans[i]._leaf = (first + i) >>> 0;
}

/** At exit: records what is kept and keeps nothing from now on (no later turn will come). */
export function stopKeeping(): void {
  recordLeaves();
  leafBatch = null;
}

beforeNativeCall(recordLeaves);
