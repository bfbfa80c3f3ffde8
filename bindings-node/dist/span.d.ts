import { SpanLogLevel } from "./constants";
import { type SpanHandle } from "./native";
import { SpanEvent, SpanStatus, SpanStatusCode, SpanType, type AttributeValue, type HrTime, type SpanLink } from "./span_types";
export { describeError, internalError, SpanEvent, SpanStatus, SpanStatusCode, SpanType, toNs } from "./span_types";
export type { AttributeValue, HrTime, SpanLink } from "./span_types";
/**
 * @internal A traced call's span before anything native exists: its registered site (name and
 * type), parent, start (`process.hrtime.bigint()`) and captured inputs.
 */
export interface Pending {
    readonly site: number;
    readonly parent: LiveSpan | undefined;
    readonly t0: bigint;
    readonly inputs: string | null;
}
/**
 * @internal Roots of traced calls still pending (running, nothing native yet): the core has
 * not seen them, so the exit hook hands their number to the core's exit, which counts them
 * (`open_at_exit`) when the process ends inside them (`process.exit()` in a traced call).
 */
export declare const lazyRoots: {
    open: number;
};
/**
 * A span that is running (or has ended: its getters keep working). Returned by `withSpan`,
 * `getCurrentActiveSpan`, `startSpan`, and passed to span hooks. A span whose start failed
 * (or that was started under one) is a no-op: `traceId` is `NO_OP_SPAN_TRACE_ID`, every
 * method does nothing. No method throws.
 *
 * @example
 * ```ts
 * withSpan((span) => {
 *   span.setInputs({ q: "hi" });
 *   span.setAttribute("model", "gpt-x");
 *   span.setOutputs("hello");
 * }, { name: "answer", spanType: SpanType.CHAIN });
 * ```
 */
export declare class LiveSpan {
    /** @internal The native span; `null` for a no-op span, `undefined` while pending. */
    _h: SpanHandle | null | undefined;
    /** @internal What a pending span needs to start natively. */
    _pending: Pending | null;
    /**
     * @internal The span's number in the addon's recent ring once ended in one native call (see
     * `_finish`) or once its slot handle was released at its end, `KEPT` while it waits for its
     * batch (`leaves.ts`), else -1.
     */
    _leaf: number;
    /**
     * @internal Set when this span was read by number after its end (`_leaf`) and the addon no
     * longer kept it: a child started under it cannot be recorded, and is counted.
     */
    _expired: boolean;
    /** @internal Set once outputs were given, so the wrapper does not overwrite them. */
    _outputsSet: boolean;
    /** @internal Set when ending starts: end hooks run once, and `end()` twice is a no-op. */
    _ending: boolean;
    private _traceId;
    /** @internal */
    constructor(nativeSpan: SpanHandle | null);
    /**
     * @internal A traced call's span, *pending*: nothing native exists until something needs it
     * (`_native`); if nothing does, one native call starts and ends it when the call returns.
     */
    static _lazy(pending: Pending): LiveSpan;
    /** @internal The native span (started now if pending); `null` for a no-op span. */
    get _native(): SpanHandle | null;
    private _materialize;
    /**
     * @internal Makes a slot handle an external one, before the span reaches code that may keep
     * it past its end (a slot handle dies as the span ends; see `src/slots.rs`).
     */
    _detach(): void;
    /** @internal After a native end call: a released slot handle leaves its number to read by. */
    private _ended;
    private call;
    private read;
    /** `tr-` + 32 hex digits. */
    get traceId(): string;
    get spanId(): string;
    get parentId(): string | null;
    get name(): string;
    /** `mlflow.spanType`: a `SpanType` value, or the custom string it was given. */
    get spanType(): SpanType;
    get inputs(): any;
    get outputs(): any;
    get attributes(): Record<string, any>;
    get status(): SpanStatus;
    get events(): SpanEvent[];
    /** Start time in nanoseconds since the epoch. */
    get startTimeNs(): bigint;
    /** End time in nanoseconds, or `null` while running. */
    get endTimeNs(): bigint | null;
    /** Start time as OpenTelemetry's `[seconds, nanoseconds]`. */
    get startTime(): HrTime;
    /** End time as `[seconds, nanoseconds]`, or `null` while running. */
    get endTime(): HrTime | null;
    /** `mlflow.spanLogLevel` (a `SpanLogLevel` value); set when the span ends unless given. */
    get logLevel(): SpanLogLevel | undefined;
    /** Links added with `addLink`. */
    get links(): SpanLink[];
    /** One attribute's value (decoded), or `undefined`. */
    getAttribute(key: string): any;
    setInputs(inputs: unknown): void;
    setOutputs(outputs: unknown): void;
    /** Sets an attribute; the value is stored as JSON text (as MLflow does). */
    setAttribute(key: string, value: unknown): void;
    setAttributes(attributes: Record<string, unknown>): void;
    setSpanType(spanType: SpanType | string): void;
    /**
     * Sets the verbosity: a `SpanLogLevel`, its number, or its name in any case (`"warning"`).
     * Anything else is ignored with a warning.
     */
    setLogLevel(level: SpanLogLevel | number | string): void;
    /**
     * Links this span to another one (`{traceId, spanId, attributes?}`, or OpenTelemetry's
     * `{context: {traceId, spanId}, attributes?}`). An invalid id is ignored with a warning.
     */
    addLink(link: SpanLink | {
        context: {
            traceId: string;
            spanId: string;
        };
        attributes?: Record<string, AttributeValue>;
    }): void;
    /**
     * The span as MLflow serializes it (`Span.to_dict()`, the stored form): base64 ids, attribute
     * values as JSON text, times in nanoseconds as `bigint` (`end_time_unix_nano` null while
     * running).
     */
    toJson(): Record<string, unknown>;
    /** Sets the status from a `SpanStatus`, or a code (`"OK"`, `"ERROR"`, `"UNSET"`) plus description. */
    setStatus(status: SpanStatus | SpanStatusCode | string, description?: string): void;
    addEvent(event: SpanEvent): void;
    /** Records an `exception` event and sets status ERROR with `"<name>: <message>"`. */
    recordException(error: unknown): void;
    /**
     * Ends the span: sets the given outputs, attributes and status, runs the end hooks, closes
     * it. Status UNSET becomes OK. Ending twice does nothing.
     *
     * @example
     * ```ts
     * span.end({ outputs: { answer: 42 }, status: SpanStatusCode.OK });
     * ```
     */
    end(options?: {
        outputs?: unknown;
        attributes?: Record<string, unknown>;
        status?: SpanStatus | SpanStatusCode | "OK" | "ERROR" | "UNSET";
        endTimeNs?: number | bigint;
    }): void;
    /** @internal Runs the end hooks (once), then ends the span. */
    _end(endNs: bigint | null): void;
    /**
     * Changes trace-level data of this span's trace (see `updateCurrentTrace`). Returns `false`
     * once the trace has ended.
     * @internal
     */
    _updateTrace(fields: Record<string, unknown>): boolean;
    /** @internal Hot path: outputs (unless set in the body) and end, in one native call. */
    _finish(result: unknown): void;
    /** @internal Records a thrown value and ends the span. */
    _fail(err: unknown): void;
}
/**
 * The span given when tracing is off in a scope or a span could not start (MLflow's
 * `NoOpSpan`): `traceId` is `NO_OP_SPAN_TRACE_ID`, every method does nothing, nothing is
 * recorded.
 *
 * @example
 * ```ts
 * await tracingContext({ enabled: false }, () =>
 *   withSpan((span) => console.log(span instanceof NoOpSpan), { name: "quiet" }), // true
 * );
 * ```
 */
export declare class NoOpSpan extends LiveSpan {
    constructor();
}
