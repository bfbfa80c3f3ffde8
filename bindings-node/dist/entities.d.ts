import type { Expectation, Feedback, Json } from "./assessments";
import type { TraceLocation } from "./mlflow";
import { SpanEvent, SpanStatus, SpanType } from "./span";
import type { HrTime } from "./span";
/**
 * The span dict of MLflow's `Span.to_dict()` / `SerializedSpan`: base64 ids, attribute values
 * as JSON text, times in nanoseconds.
 */
export interface SerializedSpan {
    trace_id: string;
    span_id: string;
    parent_span_id: string | null;
    name: string;
    start_time_unix_nano: bigint | number | string;
    end_time_unix_nano: bigint | number | string | null;
    status: {
        code: string;
        message: string;
    };
    attributes: Record<string, any>;
    events: Array<{
        name: string;
        time_unix_nano: bigint | number | string;
        attributes: Record<string, any>;
    }>;
    [key: string]: any;
}
/**
 * A finished span as stored (read only): MLflow's `Span` getters.
 *
 * @example
 * ```ts
 * const trace = await mlflow.getTrace(id);
 * for (const span of trace?.data.spans ?? []) console.log(span.name, span.spanType, span.outputs);
 * ```
 */
export declare class Span {
    /** @internal Use `Span.fromJson`; spans of a `Trace` are made by it. */
    constructor(raw: Json, traceId: string);
    /** A span from its stored dict (`span.toJson()`, MLflow's `SerializedSpan`). */
    static fromJson(json: SerializedSpan | Json): Span;
    get traceId(): string;
    /** 16 hex digits. */
    get spanId(): string;
    get parentId(): string | null;
    get name(): string;
    /** `mlflow.spanType`: a `SpanType` value, or the custom string it was given. */
    get spanType(): SpanType;
    get startTimeNs(): bigint;
    get endTimeNs(): bigint | null;
    get startTime(): HrTime;
    get endTime(): HrTime | null;
    get status(): SpanStatus;
    get inputs(): any;
    get outputs(): any;
    /** Every attribute, decoded from its JSON text. */
    get attributes(): Record<string, any>;
    getAttribute(key: string): any;
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
/** The fields of `new TraceInfo({...})` (MLflow's constructor parameters). */
export interface TraceInfoParams {
    traceId: string;
    traceLocation: TraceLocation;
    requestTime: number;
    state: string;
    requestPreview?: string;
    responsePreview?: string;
    clientRequestId?: string;
    executionDuration?: number;
    traceMetadata?: Record<string, string>;
    tags?: Record<string, string>;
    assessments?: Array<Feedback | Expectation>;
}
/** MLflow's REST JSON of a trace info (`TraceInfo.toJson()`). */
export type SerializedTraceInfo = Json;
/**
 * A trace's metadata, as MLflow's TypeScript `TraceInfo`.
 *
 * @example
 * ```ts
 * const info = mlflow.TraceInfo.fromJson(trace.info.toJson());
 * console.log(info.state, info.executionDuration, info.tags);
 * ```
 */
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
    /** From MLflow's constructor fields (camelCase) or from a trace info dict (snake_case). */
    constructor(params: TraceInfoParams | Json);
    /** A trace info from its JSON (`toJson()`, MLflow's REST shape, or the stored dict). */
    static fromJson(json: SerializedTraceInfo): TraceInfo;
    /** MLflow's REST JSON of the trace info (what `MlflowClient.createTrace` sends). */
    toJson(): SerializedTraceInfo;
    /** The trace's token counts, or `null` when no span reported any. */
    get tokenUsage(): TokenUsage | null;
}
/** The spans of a trace (MLflow's `TraceData`), in start order. */
export declare class TraceData {
    spans: Span[];
    constructor(spans?: Span[]);
    /** `{spans: [...]}` with each span's stored dict. */
    toJson(): {
        spans: Json[];
    };
    static fromJson(json: {
        spans?: Array<SerializedSpan | Json>;
    } | Json): TraceData;
}
/** What `Trace.toJson()` returns: `{info, data: {spans}}`. */
export interface SerializedTrace {
    info: SerializedTraceInfo;
    data: {
        spans: Array<SerializedSpan | Json>;
    };
}
/**
 * A finished trace: `info` and `data.spans` (in start order), as MLflow's TypeScript `Trace`.
 *
 * @example
 * ```ts
 * const text = JSON.stringify(trace.toJson(), (_k, v) => (typeof v === "bigint" ? v.toString() : v));
 * const copy = mlflow.Trace.fromJson(JSON.parse(text));
 * console.log(copy.data.spans.map((s) => s.name));
 * ```
 */
export declare class Trace {
    info: TraceInfo;
    data: TraceData;
    /** `new Trace(info, data)` as in MLflow, or (internally) from a stored trace dict. */
    constructor(info: TraceInfo | Json, data?: TraceData);
    /** A trace from its JSON (`toJson()`, with times as numbers, strings or `bigint`). */
    static fromJson(json: SerializedTrace | Json): Trace;
    /** MLflow's trace JSON: `{info: info.toJson(), data: {spans}}`, span times as `bigint`. */
    toJson(): SerializedTrace;
}
