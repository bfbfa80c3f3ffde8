import type { Expectation, Feedback, Json } from "./assessments";
import { SpanEvent, SpanStatus, SpanType } from "./span";
import type { HrTime } from "./span";
import type { TraceLocation } from "./mlflow";
/** A finished span as stored (read only): MLflow's `Span` getters. */
export declare class Span {
    /** The stored span dict: base64 ids, attribute values as JSON text, times as `bigint`. */
    private readonly raw;
    private readonly fallbackTraceId;
    constructor(raw: Json, traceId: string);
    get traceId(): string;
    /** 16 hex digits. */
    get spanId(): string;
    get parentId(): string | null;
    get name(): string;
    get spanType(): SpanType | string;
    get startTimeNs(): bigint;
    get endTimeNs(): bigint | null;
    get startTime(): HrTime;
    get endTime(): HrTime | null;
    get status(): SpanStatus;
    get inputs(): unknown;
    get outputs(): unknown;
    /** Every attribute, decoded from its JSON text. */
    get attributes(): Record<string, unknown>;
    getAttribute(key: string): unknown;
    get events(): SpanEvent[];
    /** MLflow's span dict (`Span.to_dict()`): base64 ids, attribute values as JSON text. */
    toJson(): Json;
}
/** Token counts of a trace (`mlflow.trace.tokenUsage`). */
export interface TokenUsage {
    input_tokens: number;
    output_tokens: number;
    total_tokens: number;
}
/** A trace's metadata, as MLflow's TypeScript `TraceInfo`. */
export declare class TraceInfo {
    traceId: string;
    traceLocation: TraceLocation;
    /** Start of the trace, in milliseconds since the epoch. */
    requestTime: number;
    /** `"OK"`, `"ERROR"` or `"IN_PROGRESS"`. */
    state: string;
    requestPreview?: string;
    responsePreview?: string;
    clientRequestId?: string;
    /** In milliseconds. */
    executionDuration?: number;
    traceMetadata: Record<string, string>;
    tags: Record<string, string>;
    /** Feedback and expectations (read from the server; none for a trace found locally). */
    assessments: Array<Feedback | Expectation>;
    constructor(raw: Json);
    /** The trace's token counts, or `null` when no span reported any. */
    get tokenUsage(): TokenUsage | null;
}
/** A finished trace: `info` and `data.spans` (in start order), as MLflow's TypeScript `Trace`. */
export declare class Trace {
    info: TraceInfo;
    data: {
        spans: Span[];
    };
    private readonly raw;
    constructor(raw: Json);
    /** MLflow's trace dict (`Trace.to_dict()`), span times as `bigint`. */
    toJson(): Json;
}
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
