import { native, type SpanHandle } from "./native";
import type { LiveSpan } from "./span";
/** A hot entry point as its raw Node-API function (fetched once), else the napi-rs one. */
export declare function raw<K extends "leafEnd" | "leafStart" | "spanFinish">(name: K): (typeof native)[K];
/**
 * Whether a leaf of `parent` (`null`: a root) is kept for a batch, rather than recorded at
 * once by the caller: roots always, children after a sibling.
 */
export declare function keepsLeafOf(parent: SpanHandle | null): boolean;
/**
 * Keeps `span`'s ended leaf (its end time is now) for the next batch; its `_leaf` number is
 * set when the batch is recorded.
 */
export declare function keepLeaf(span: LiveSpan, site: number, parent: SpanHandle | null, t0: bigint, inputs: string, outputs: string): void;
/** Records the kept leaves in the core now (in the order they ended). */
export declare function recordLeaves(): void;
/** At exit: records what is kept and keeps nothing from now on (no later turn will come). */
export declare function stopKeeping(): void;
