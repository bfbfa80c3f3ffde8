"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.startSpan = startSpan;
exports.withSpan = withSpan;
exports.getCurrentActiveSpan = getCurrentActiveSpan;
exports.getLastActiveTraceId = getLastActiveTraceId;
exports.updateCurrentTrace = updateCurrentTrace;
exports.flushTraces = flushTraces;
exports.stats = stats;
exports.configure = configure;
exports.getConfig = getConfig;
/**
 * The MLflow-compatible tracing API: `withSpan`, `startSpan`, the current span, trace updates,
 * flushing, counters and settings. (`trace` is in `trace.ts`, scopes and distributed context in
 * `context.ts`.)
 */
const constants_1 = require("./constants");
const context_1 = require("./context");
const native_1 = require("./native");
const span_1 = require("./span");
const spans_1 = require("./spans");
const errors_1 = require("./errors");
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
function startSpan(options) {
    return ((0, spans_1.open)(options?.name || constants_1.DEFAULT_SPAN_NAME, options?.spanType, options?.inputs, options?.attributes, (0, span_1.toNs)(options?.startTimeNs), options?.parent ?? context_1.current.getStore()) ?? new span_1.NoOpSpan());
}
function withSpan(a, b) {
    const [callback, options] = typeof a === "function"
        ? [a, b]
        : [b, a];
    const span = (0, spans_1.open)(options?.name || constants_1.DEFAULT_SPAN_NAME, options?.spanType, options?.inputs, options?.attributes, (0, span_1.toNs)(options?.startTimeNs), context_1.current.getStore());
    // Tracing is off in this scope: the callback runs untouched, with a no-op span.
    if (span === null)
        return callback(new span_1.NoOpSpan());
    // A stream returned by the callback (or its Promise) is one span for the whole iteration.
    return (0, spans_1.runIn)(span, callback, spans_1.finishOrStream);
}
/**
 * The span of the innermost running `trace`/`withSpan` call, or `null` outside any.
 *
 * @example
 * ```ts
 * trace(() => { getCurrentActiveSpan()?.setAttribute("k", "v"); })();
 * ```
 */
function getCurrentActiveSpan() {
    const span = context_1.current.getStore();
    if (span === undefined)
        return null;
    // The caller may keep it past the call: it must exist natively while it still runs, as an
    // external handle (a slot handle dies as the span ends).
    if (span._h === undefined && !span._ending)
        void span._native;
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
function getLastActiveTraceId() {
    try {
        return native_1.native.lastTraceId() ?? undefined;
    }
    catch (e) {
        (0, span_1.internalError)("getLastActiveTraceId", e);
        return undefined;
    }
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
function updateCurrentTrace(options) {
    const span = context_1.current.getStore();
    if (!span || span._native === null) {
        console.warn("ferrotrace: no active trace; call updateCurrentTrace inside `trace` or `withSpan`.");
        return;
    }
    const { requestPreview, responsePreview } = options ?? {};
    if (requestPreview !== undefined && typeof requestPreview !== "string") {
        throw (0, errors_1.invalidArgument)("The `requestPreview` parameter must be a string.");
    }
    if (responsePreview !== undefined && typeof responsePreview !== "string") {
        throw (0, errors_1.invalidArgument)("The `responsePreview` parameter must be a string.");
    }
    // sessionId and user become MLflow's metadata keys in the core, as for Python.
    const updated = span._updateTrace({
        tags: (0, context_1.strings)(options.tags),
        metadata: (0, context_1.strings)(options.metadata),
        sessionId: options.sessionId === undefined ? undefined : String(options.sessionId),
        user: options.user === undefined ? undefined : String(options.user),
        clientRequestId: options.clientRequestId === undefined ? undefined : String(options.clientRequestId),
        requestPreview,
        responsePreview,
    });
    if (!updated)
        console.warn(`ferrotrace: trace ${span.traceId} has already ended; not updated.`);
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
async function flushTraces(timeoutMs = 30_000) {
    try {
        return await native_1.native.flush(timeoutMs);
    }
    catch (e) {
        (0, span_1.internalError)("flushTraces", e);
        return false;
    }
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
function stats() {
    return JSON.parse(native_1.native.stats());
}
/**
 * Changes where traces go and how. Throws on an invalid value (naming the setting).
 *
 * @example
 * ```ts
 * configure({ localDir: "/var/lib/myapp/traces", samplingRatio: 0.1 });
 * ```
 */
function configure(options) {
    native_1.native.configure(JSON.stringify(options ?? {}));
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
function getConfig() {
    return JSON.parse(native_1.native.config());
}
