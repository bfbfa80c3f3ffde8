import type { OtlpOptions, OtlpSemconv } from "./otlp";
import type { ProcessOptions } from "./process_options";
import { LiveSpan, SpanType } from "./span";
/** Options of `startSpan` / `withSpan`. */
export interface SpanOptions {
    /** Span name; `"span"` if empty. */
    name?: string;
    /** `SpanType.LLM`, `"TOOL"`, ...; `UNKNOWN` if not given. */
    spanType?: SpanType | string;
    /** Inputs to record at the start. */
    inputs?: unknown;
    /** Attributes to set at the start. */
    attributes?: Record<string, unknown>;
    /** Start time in nanoseconds since the epoch; now if not given. */
    startTimeNs?: number | bigint;
    /** Explicit parent (for `startSpan`); otherwise the current span, if any. */
    parent?: LiveSpan;
}
/**
 * Starts a span that is NOT made current; end it with `span.end()`. Its parent is
 * `options.parent`, else the current span, else it starts a new trace.
 *
 * @example
 * ```ts
 * const span = startSpan({ name: "retrieve", spanType: SpanType.RETRIEVER, inputs: { q } });
 * span.end({ outputs: docs });
 * ```
 */
export declare function startSpan(options: SpanOptions): LiveSpan;
/**
 * Runs `callback` inside a new span (a child of the current one) and returns its result.
 * Accepts `withSpan(callback, options)` (MLflow's order) and `withSpan(options, callback)`.
 * If the callback returns (or resolves to) a generator, async generator or async iterable, the
 * span stays open while it is consumed, as for `trace` (items as events, outputs the list).
 *
 * @example
 * ```ts
 * const answer = await withSpan(async (span) => {
 *   span.setInputs({ q });
 *   return await llm(q); // becomes the span's outputs
 * }, { name: "answer", spanType: SpanType.CHAIN });
 * ```
 */
export declare function withSpan<T>(callback: (span: LiveSpan) => T, options?: Omit<SpanOptions, "parent">): T;
export declare function withSpan<T>(options: Omit<SpanOptions, "parent">, callback: (span: LiveSpan) => T): T;
/**
 * The span of the innermost running `trace`/`withSpan` call, or `null` outside any.
 *
 * @example
 * ```ts
 * trace(() => { getCurrentActiveSpan()?.setAttribute("k", "v"); })();
 * ```
 */
export declare function getCurrentActiveSpan(): LiveSpan | null;
/**
 * The id (`tr-...`) of the trace that ended most recently in this process, if any.
 *
 * @example
 * ```ts
 * await answer("hi");
 * console.log(getLastActiveTraceId()); // "tr-3f9c..."
 * ```
 */
export declare function getLastActiveTraceId(): string | undefined;
/** Options of `updateCurrentTrace`. */
export interface UpdateCurrentTraceOptions {
    tags?: Record<string, string>;
    metadata?: Record<string, string>;
    clientRequestId?: string;
    requestPreview?: string;
    responsePreview?: string;
    /** Stored as metadata `mlflow.trace.session`. */
    sessionId?: string;
    /** Stored as metadata `mlflow.trace.user`. */
    user?: string;
}
/**
 * Adds tags, metadata, a client request id or previews to the current trace. Outside any span
 * it warns and does nothing.
 *
 * @example
 * ```ts
 * trace(function handle(req) {
 *   updateCurrentTrace({ tags: { env: "prod" }, sessionId: req.session, user: req.user });
 * });
 * ```
 */
export declare function updateCurrentTrace(options: UpdateCurrentTraceOptions): void;
/**
 * Resolves once every trace ended so far has reached its destination (`true`), or after
 * `timeoutMs` (`false`). Never blocks the event loop.
 *
 * @example
 * ```ts
 * await answer("hi");
 * await flushTraces();
 * ```
 */
export declare function flushTraces(timeoutMs?: number): Promise<boolean>;
/** The tracer's counters (same fields in every language). */
export interface TracerStats {
    spans_started: number;
    spans_ended: number;
    traces_started: number;
    traces_completed: number;
    traces_sampled_out: number;
    traces_exported: number;
    spans_exported: number;
    export_batches: number;
    export_errors: number;
    /** Destinations that could not be set up (an unreadable CA bundle or client certificate); their traces went to the local store. */
    exporter_errors: number;
    /** Requests sent again after a transient failure (server down, 5xx, 429). */
    export_retries: number;
    export_latency_us_last: number;
    export_latency_us_max: number;
    /** Values replaced by redaction rules (`[REDACTED:<rule>]`). */
    redactions: number;
    traces_dropped: number;
    spans_dropped: number;
    /** Traces written to the spill folder (destination down, or the queue full). */
    traces_spilled: number;
    /** Traces delivered from a spill folder (this process's or an earlier one's). */
    traces_replayed: number;
    /** Traces completed but not yet exported, spilled or dropped. */
    traces_pending: number;
    /** By reason: `queue_full`, `export_failed`, `rejected`, `spill_full`, ... */
    dropped_traces: Record<string, number>;
    dropped_spans: Record<string, number>;
    /** Traces waiting in the queue (and its overflow). */
    queue_depth: number;
    /** Their estimated size in bytes. */
    queue_bytes: number;
}
/**
 * Counters of the tracer: spans started/ended, traces exported, drops by reason.
 *
 * @example
 * ```ts
 * const s = stats();
 * if (s.traces_dropped > 0) console.warn(s.dropped_traces);
 * ```
 */
export declare function stats(): TracerStats;
/** Settings that can be changed from code (the environment sets the defaults). */
export interface ConfigureOptions extends OtlpOptions, ProcessOptions {
    /** `"local"` (the folder store) or `"memory"` (tests). */
    destination?: "local" | "memory";
    /** Folder of the local store (`FERROTRACE_LOCAL_DIR`). */
    localDir?: string;
    /** Fraction of traces kept, 0..1 (`MLFLOW_TRACE_SAMPLING_RATIO`). */
    samplingRatio?: number;
    /** Seconds the exit hook may spend flushing (`FERROTRACE_EXIT_TIMEOUT`). */
    exitTimeout?: number;
}
/**
 * Changes where traces go and how. Throws on an invalid value (naming the setting).
 *
 * @example
 * ```ts
 * configure({ localDir: "/var/lib/myapp/traces", samplingRatio: 0.1 });
 * ```
 */
export declare function configure(options: ConfigureOptions): void;
/** The configuration in force, as `getConfig` returns it (credentials are never shown). */
export interface TracerConfig {
    /** `"local"`, `"memory"` or `"mlflow"`. */
    destination: string;
    localDir: string;
    samplingRatio: number;
    exitTimeout: number;
    /** The MLflow tracking server (`init`, `MLFLOW_TRACKING_URI`), or `null`. */
    trackingUri: string | null;
    experimentId: string | null;
    experimentName: string | null;
    /** The OTLP collector traces go to, or `null`. */
    otlpEndpoint: string | null;
    /** Whether traces go to the collector and the MLflow server / local store both. */
    otlpDualExport: boolean;
    /** The span attributes sent to the collector: `"mlflow"`, `"genai"` or `"openinference"`. */
    otlpSemconv: OtlpSemconv;
}
/**
 * The configuration in force.
 *
 * @example
 * ```ts
 * const c = getConfig();
 * console.log(c.destination === "mlflow" ? `traces go to ${c.trackingUri}` : `traces go to ${c.localDir}`);
 * ```
 */
export declare function getConfig(): TracerConfig;
