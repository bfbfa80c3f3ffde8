import { native } from "./native";
import type { LiveSpan } from "./span";
/** A hot entry point as its raw Node-API function (fetched once), else the napi-rs one. */
export declare function raw<K extends "leafEnd" | "leafStart" | "spanFinish">(name: K): (typeof native)[K];
/** Whether ended leaves are kept for a batch (else each is recorded by `leafEnd`). */
export declare function keepsLeaves(): boolean;
/**
 * Keeps `span`'s ended root leaf (its end time is now) for the next batch; its `_leaf` number
 * is set when the batch is recorded.
 */
export declare function keepLeaf(span: LiveSpan, site: number, t0: bigint, inputs: string, outputs: string): void;
/** Records the kept leaves in the core now (in the order they ended). */
export declare function recordLeaves(): void;
/** At exit: records what is kept and keeps nothing from now on (no later turn will come). */
export declare function stopKeeping(): void;
