/**
 * Ended leaves on their way to the core. A traced call that nothing looked at while it ran (a
 * *leaf*, see `LiveSpan._finish`) is kept here, its times read with `process.hrtime.bigint()`,
 * and up to `CAPACITY` of them are recorded by one native call (`leafBatch`) instead of one
 * call each; the core then builds their records on the export worker's thread. Roots (a trace
 * each) and children alike, but a child only when it follows a sibling (the last leaf kept had
 * the same parent): a lone child's parent usually ends right after it, which would record a
 * batch of one, so it is recorded at once.
 *
 * Nothing observes a kept leaf before the core has it: every native call that could (ending a
 * span, stats, the last trace id, reading traces, flushing, settings) records the kept ones
 * first (`beforeNativeCall`), and so does reading a kept leaf's own span. Otherwise they are
 * recorded when `CAPACITY` are kept, on the next turn of the event loop (`setImmediate`), and
 * at exit. Worker threads, whose `terminate()` can stop JavaScript before any exit hook,
 * processes with a trace timeout (which must find every span ended before it fires) and
 * processes in synchronous export mode (a traced call returns once its trace is delivered)
 * record each leaf at once, as does everything after the exit hook ran; the last two are
 * checked again after every settings change.
 */
import { isMainThread } from "node:worker_threads";

import { afterSettingsCall, beforeNativeCall, native, type SpanHandle } from "./native";
import type { LiveSpan } from "./span";
import { internalError } from "./span_types";

/** A hot entry point as its raw Node-API function (fetched once), else the napi-rs one. */
export function raw<K extends "leafEnd" | "leafStart" | "spanFinish">(name: K): (typeof native)[K] {
  try {
    return native.rawFunction(name) as (typeof native)[K];
  } catch {
    return native[name].bind(native) as (typeof native)[K];
  }
}

type Batch = (
  count: number,
  sites: Uint32Array,
  times: BigUint64Array,
  texts: string,
  parents: Array<SpanHandle | null> | undefined,
) => number;

function batchFunction(): Batch | null {
  try {
    return isMainThread && native.leafBuffering() ? (native.rawFunction("leafBatch") as Batch) : null;
  } catch {
    return null;
  }
}

const CAPACITY = 64;
const hrtime = process.hrtime.bigint;

let leafBatch = batchFunction();
const sites = new Uint32Array(CAPACITY);
/** Each kept leaf's parent handle, `null` for a root. */
let parents: Array<SpanHandle | null> = [];
/** How many kept leaves are children (none: the batch goes without `parents`). */
let children = 0;
const times = new BigUint64Array(2 * CAPACITY);
let count = 0;
/** The kept leaves' inputs and outputs JSON, each followed by a NUL (see `src/batch.rs`). */
let text = "";
let spans: LiveSpan[] = [];
let scheduled = false;

/** The parent of the last leaf kept or recorded at once (`undefined`: none yet). */
let lastParent: SpanHandle | null | undefined;

/**
 * Whether a leaf of `parent` (`null`: a root) is kept for a batch, rather than recorded at
 * once by the caller: roots always, children after a sibling.
 */
export function keepsLeafOf(parent: SpanHandle | null): boolean {
  if (leafBatch === null) return false;
  if (parent === null) return true;
  const sibling = parent === lastParent;
  lastParent = parent;
  return sibling;
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
  sites[i] = site;
  parents.push(parent);
  if (parent !== null) children++;
  // Appending builds a rope; it is flattened once, as the addon reads it (cheaper than a join).
  text = text + inputs + "\u0000" + outputs + "\u0000";
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
  const [batchSpans, batchText, batchParents] = [spans, text, parents];
  const withParents = children > 0 ? batchParents : undefined;
  count = 0;
  children = 0;
  spans = [];
  parents = [];
  text = "";
  let first: number;
  try {
    first = leafBatch!(n, sites, times, batchText, withParents);
  } catch (e) {
    // Nothing of the batch was recorded: one call each instead (end time: now).
    internalError("recording a batch of spans", e);
    const batchTexts = batchText.split("\u0000");
    for (let i = 0; i < n; i++) {
      try {
        batchSpans[i]._leaf = native.leafEnd(
          sites[i],
          batchParents[i],
          times[2 * i],
          batchTexts[2 * i],
          batchTexts[2 * i + 1],
        );
      } catch {
        batchSpans[i]._leaf = -1;
      }
    }
    return;
  }
  for (let i = 0; i < n; i++) batchSpans[i]._leaf = (first + i) >>> 0;
}

let stopped = false;

/** At exit: records what is kept and keeps nothing from now on (no later turn will come). */
export function stopKeeping(): void {
  recordLeaves();
  leafBatch = null;
  stopped = true;
}

beforeNativeCall(recordLeaves);
// Settings decide whether leaves may wait (kept ones were recorded before the change).
afterSettingsCall(() => {
  if (!stopped) leafBatch = batchFunction();
});
