/**
 * The value types around a span: span types, status codes and statuses, events, links, times,
 * and the error description and internal-failure report every module uses.
 */
/** MLflow's span types (any other string is accepted as well). */
export declare enum SpanType {
    LLM = "LLM",
    CHAIN = "CHAIN",
    AGENT = "AGENT",
    TOOL = "TOOL",
    CHAT_MODEL = "CHAT_MODEL",
    RETRIEVER = "RETRIEVER",
    PARSER = "PARSER",
    EMBEDDING = "EMBEDDING",
    RERANKER = "RERANKER",
    MEMORY = "MEMORY",
    UNKNOWN = "UNKNOWN",
    WORKFLOW = "WORKFLOW",
    TASK = "TASK",
    GUARDRAIL = "GUARDRAIL",
    EVALUATOR = "EVALUATOR"
}
/** A span's status code. */
export declare enum SpanStatusCode {
    UNSET = "UNSET",
    OK = "OK",
    ERROR = "ERROR"
}
/**
 * A status code plus description.
 *
 * @example
 * ```ts
 * span.setStatus(new SpanStatus(SpanStatusCode.ERROR, "quota exceeded"));
 * ```
 */
export declare class SpanStatus {
    readonly statusCode: SpanStatusCode;
    readonly description: string;
    constructor(statusCode: SpanStatusCode, description?: string);
}
/** Attribute values of an event (plain JSON values). */
export type AttributeValue = string | number | boolean | string[] | number[] | boolean[];
/**
 * A link to another span (of this or another trace), e.g. the request that caused a batch job.
 * `traceId` is `tr-<32 hex>` (or 32 hex), `spanId` 16 hex. OpenTelemetry's form
 * `{context: {traceId, spanId}, attributes}` is accepted by `addLink` too.
 */
export interface SpanLink {
    traceId: string;
    spanId: string;
    attributes?: Record<string, AttributeValue>;
}
/** OpenTelemetry's high-resolution time: `[seconds, nanoseconds]` since the epoch. */
export type HrTime = [number, number];
/** @internal `ns` as `[seconds, nanoseconds]`. */
export declare function hrTime(ns: bigint): HrTime;
/**
 * Something that happened during a span, at a time in nanoseconds since the epoch.
 *
 * @example
 * ```ts
 * span.addEvent(new SpanEvent({ name: "cache_miss", attributes: { key: "q1" } }));
 * ```
 */
export declare class SpanEvent {
    readonly name: string;
    readonly timestamp: bigint;
    readonly attributes: Record<string, AttributeValue>;
    constructor(params: {
        name: string;
        timestamp?: bigint;
        attributes?: Record<string, AttributeValue>;
    });
    /** An `exception` event with `exception.type`, `exception.message`, `exception.stacktrace`. */
    static fromException(error: Error): SpanEvent;
}
/** Type, message and stack of anything thrown, without letting a getter's throw escape. */
export declare function describeError(err: unknown): {
    type: string;
    message: string;
    stack: string;
};
/** Reports an internal failure once; tracing must never break the traced code. */
export declare function internalError(what: string, err: unknown): void;
/** Converts a nanosecond time given as number or bigint. */
export declare function toNs(t: number | bigint | undefined | null): bigint | null;
