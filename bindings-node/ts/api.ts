/**
 * The MLflow-compatible tracing API: `trace`, `withSpan`, `startSpan`, the current span, trace
 * updates and flushing. The current span lives in one AsyncLocalStorage, so spans started in
 * nested calls, across `await`, become children.
 */
import { AsyncLocalStorage } from "node:async_hooks";

import { toJsonText } from "./capture";
import { native, type SpanHandle } from "./native";
import { inputsFor, parameterNames } from "./params";
import { internalError, LiveSpan, SpanType, toNs } from "./span";

const DEFAULT_SPAN_NAME = "span";
const current = new AsyncLocalStorage<LiveSpan>();

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

/** Options of `trace`. */
export interface TraceOptions {
  name?: string;
  spanType?: SpanType | string;
  attributes?: Record<string, unknown>;
}

/** Starts a span: a child of `parent` if it is a real span, else the root of a new trace. */
function open(
  name: string,
  spanType: string | undefined,
  inputs: unknown,
  attributes: Record<string, unknown> | undefined,
  startNs: bigint | null,
  parent: LiveSpan | undefined,
): LiveSpan {
  try {
    const inputsJson = inputs === undefined ? null : toJsonText(inputs);
    const type = spanType ?? SpanType.UNKNOWN;
    const p: SpanHandle | null = parent ? parent._native : null;
    const n = p
      ? native.startChild(p, name, type, inputsJson, startNs)
      : native.startRoot(name, type, inputsJson, startNs);
    const span = new LiveSpan(n);
    if (attributes) span.setAttributes(attributes);
    return span;
  } catch (e) {
    internalError("starting a span", e);
    return new LiveSpan(null);
  }
}

/**
 * Runs `callback` with `span` as the current span and ends it: outputs are the return (or
 * resolved) value unless the body set them; a throw (or rejection) is recorded and rethrown
 * unchanged. Only real Promises are awaited: calling `then` on other thenables could start work
 * (query builders do), so they are returned as they are.
 */
function runIn<T>(span: LiveSpan, callback: (span: LiveSpan) => T): T {
  let result: T;
  try {
    result = current.run(span, callback, span);
  } catch (err) {
    span._fail(err);
    throw err;
  }
  if (result instanceof Promise) {
    return result.then(
      (value: unknown) => {
        span._finish(value);
        return value;
      },
      (err: unknown) => {
        span._fail(err);
        throw err;
      },
    ) as T;
  }
  span._finish(result);
  return result;
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
  return open(
    options?.name || DEFAULT_SPAN_NAME,
    options?.spanType,
    options?.inputs,
    options?.attributes,
    toNs(options?.startTimeNs),
    options?.parent ?? current.getStore(),
  );
}

/**
 * Runs `callback` inside a new span (a child of the current one) and returns its result.
 * Accepts `withSpan(callback, options)` (MLflow's order) and `withSpan(options, callback)`.
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
  return runIn(span, callback);
}

type AnyFunction = (...args: any[]) => any;

/** Wraps `fn` so each call is a span; see `trace`. */
function traceFunction<F extends AnyFunction>(fn: F, options?: TraceOptions, fallbackName?: string): F {
  const names = parameterNames(fn);
  const name = options?.name || fn.name || fallbackName || DEFAULT_SPAN_NAME;
  const spanType = options?.spanType;
  const attributes = options?.attributes;
  const wrapper = function (this: unknown, ...args: unknown[]): unknown {
    const span = open(name, spanType, inputsFor(names, args), attributes, null, current.getStore());
    return runIn(span, () => fn.apply(this, args));
  };
  Object.defineProperty(wrapper, "length", { value: fn.length });
  Object.defineProperty(wrapper, "name", { value: fn.name });
  for (const key of Object.keys(fn)) {
    (wrapper as unknown as Record<string, unknown>)[key] = (fn as unknown as Record<string, unknown>)[key];
  }
  return wrapper as unknown as F;
}

/**
 * Wraps a function so every call is recorded as a span: inputs keyed by parameter name,
 * the return (or resolved) value as outputs, and a thrown error as status ERROR plus an
 * `exception` event (the error is rethrown unchanged). `this`, `name` and `length` are kept.
 * Called with options only, returns a method decorator (legacy and TC39 forms).
 *
 * @example
 * ```ts
 * const retrieve = trace(async function retrieve(query: string) {
 *   return await search(query);
 * }, { spanType: SpanType.RETRIEVER });
 * await retrieve("rust"); // span "retrieve", inputs {query: "rust"}
 * ```
 */
export function trace<F extends AnyFunction>(fn: F, options?: TraceOptions): F;
export function trace(options?: TraceOptions): any;
export function trace(a?: AnyFunction | TraceOptions, b?: TraceOptions): any {
  if (typeof a === "function") return traceFunction(a, b);
  const options = a;
  return function decorator(...args: any[]): any {
    // TC39 decorators: (method, context); legacy: (target, key, descriptor).
    if (args.length === 2 && typeof args[1] === "object" && args[1] !== null) {
      return traceFunction(args[0] as AnyFunction, options, String(args[1].name));
    }
    const descriptor = args[2] as PropertyDescriptor;
    descriptor.value = traceFunction(descriptor.value as AnyFunction, options, String(args[1]));
    return descriptor;
  };
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
  return current.getStore() ?? null;
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

function strings(r: Record<string, unknown> | undefined): Record<string, string> | undefined {
  if (!r) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(r)) out[k] = typeof v === "string" ? v : toJsonText(v);
  return out;
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
    throw new Error("The `requestPreview` parameter must be a string.");
  }
  if (responsePreview !== undefined && typeof responsePreview !== "string") {
    throw new Error("The `responsePreview` parameter must be a string.");
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
  export_latency_us_last: number;
  export_latency_us_max: number;
  traces_dropped: number;
  spans_dropped: number;
  dropped_traces: Record<string, number>;
  dropped_spans: Record<string, number>;
  queue_depth: number;
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
export interface ConfigureOptions {
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
