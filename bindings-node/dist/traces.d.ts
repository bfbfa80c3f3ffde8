import { Trace } from "./entities";
import type { Json } from "./assessments";
export { Span, Trace, TraceData, TraceInfo } from "./entities";
export type { TokenUsage } from "./entities";
/** Parses the core's trace JSON, keeping nanosecond times exact (they pass 2^53). */
export declare function parseTrace(text: string): Json;
/** Options of `getTrace`. */
export interface GetTraceOptions {
    /** Do not warn when the trace cannot be found. */
    silent?: boolean;
    /** How long to wait for traces still queued to be delivered first (default 30 s). */
    timeoutMs?: number;
}
/**
 * A finished trace by id (`tr-...`) as stored, with the tags and assessments it was given
 * after it ended, from the local store (any process's traces) or the MLflow server; `null`
 * (with a warning unless `silent`) when it cannot be found. Traces still queued are delivered first, so a
 * trace that ended a moment ago is found. Never rejects.
 *
 * @example
 * ```ts
 * await agent("hi");
 * const trace = await mlflow.getTrace(mlflow.getLastActiveTraceId()!);
 * trace?.data.spans.map((s) => s.name);      // ["agent", "llm"]
 * trace?.info.assessments.map((a) => a.name); // feedback logged on it (from the server)
 * ```
 */
export declare function getTrace(traceId: string, options?: GetTraceOptions): Promise<Trace | null>;
