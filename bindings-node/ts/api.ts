/**
 * The MLflow-compatible tracing API: `withSpan`, `startSpan`, the current span, trace updates,
 * flushing, counters and settings. (`trace` is in `trace.ts`, scopes and distributed context in
 * `context.ts`.)
 */
import { DEFAULT_SPAN_NAME } from "./constants";
import { current, strings } from "./context";
import { native } from "./native";
import type { OtlpOptions, OtlpSemconv } from "./otlp";
import type { ProcessOptions } from "./process_options";
import { internalError, LiveSpan, NoOpSpan, SpanType, toNs } from "./span";
import { finishOrStream, open, runIn } from "./spans";
import { invalidArgument } from "./errors";

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
export function startSpan(options: SpanOptions): LiveSpan {
  return (
    open(
      options?.name || DEFAULT_SPAN_NAME,
      options?.spanType,
      options?.inputs,
      options?.attributes,
      toNs(options?.startTimeNs),
      options?.parent ?? current.getStore(),
    ) ?? new NoOpSpan()
  );
}

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
export function withSpan<T>(
  callback: (span: LiveSpan) => T,
  options?: Omit<SpanOptions, "parent">,
): T;
export function withSpan<T>(options: Omit<SpanOptions, "parent">, callback: (span: LiveSpan) => T): T;
export function withSpan<T>(
  a: ((span: LiveSpan) => T) | Omit<SpanOptions, "parent">,
  b?: ((span: LiveSpan) => T) | Omit<SpanOptions, "parent">,
): T {
  const [callback, options] =
    typeof a === "function"
      ? [a, b as Omit<SpanOptions, "parent"> | undefined]
      : [b as (span: LiveSpan) => T, a];
  const span = open(
    options?.name || DEFAULT_SPAN_NAME,
    options?.spanType,
    options?.inputs,
    options?.attributes,
    toNs(options?.startTimeNs),
    current.getStore(),
  );
  // Tracing is off in this scope: the callback runs untouched, with a no-op span.
  if (span === null) return callback(new NoOpSpan());
  // A stream returned by the callback (or its Promise) is one span for the whole iteration.
  return runIn(span, callback, finishOrStream);
}

/**
 * The span of the innermost running `trace`/`withSpan` call, or `null` outside any.
 *
 * @example
 * ```ts
 * trace(() => { getCurrentActiveSpan()?.setAttribute("k", "v"); })();
 * ```
 */
export function getCurrentActiveSpan(): LiveSpan | null {
  const span = current.getStore();
  if (span === undefined) return null;
  // The caller may keep it past the call: it must exist natively while it still runs, as an
  // external handle (a slot handle dies as the span ends).
  if (span._h === undefined && !span._ending) void span._native;
  span._detach();
  return span;
}

/**
 * The id (`tr-...`) of the trace that ended most recently in this process, if any.
 *
 * @example
 * ```ts
 * await answer("hi");
 * console.log(getLastActiveTraceId()); // "tr-3f9c..."
 * ```
 */
export function getLastActiveTraceId(): string | undefined {
  try {
    return native.lastTraceId() ?? undefined;
  } catch (e) {
    internalError("getLastActiveTraceId", e);
    return undefined;
  }
}

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
export function updateCurrentTrace(options: UpdateCurrentTraceOptions): void {
  const span = current.getStore();
  if (!span || span._native === null) {
    console.warn(
      "ferrotrace: no active trace; call updateCurrentTrace inside `trace` or `withSpan`.",
    );
    return;
  }
  const { requestPreview, responsePreview } = options ?? {};
  if (requestPreview !== undefined && typeof requestPreview !== "string") {
    throw invalidArgument("The `requestPreview` parameter must be a string.");
  }
  if (responsePreview !== undefined && typeof responsePreview !== "string") {
    throw invalidArgument("The `responsePreview` parameter must be a string.");
  }
  // sessionId and user become MLflow's metadata keys in the core, as for Python.
  const updated = span._updateTrace({
    tags: strings(options.tags),
    metadata: strings(options.metadata),
    sessionId: options.sessionId === undefined ? undefined : String(options.sessionId),
    user: options.user === undefined ? undefined : String(options.user),
    clientRequestId: options.clientRequestId === undefined ? undefined : String(options.clientRequestId),
    requestPreview,
    responsePreview,
  });
  if (!updated) console.warn(`ferrotrace: trace ${span.traceId} has already ended; not updated.`);
}

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
export async function flushTraces(timeoutMs = 30_000): Promise<boolean> {
  try {
    return await native.flush(timeoutMs);
  } catch (e) {
    internalError("flushTraces", e);
    return false;
  }
}

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
export function stats(): TracerStats {
  return JSON.parse(native.stats()) as TracerStats;
}

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
export function configure(options: ConfigureOptions): void {
  native.configure(JSON.stringify(options ?? {}));
}

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
export function getConfig(): TracerConfig {
  return JSON.parse(native.config()) as TracerConfig;
}
