"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.startSpan = startSpan;
exports.withSpan = withSpan;
exports.trace = trace;
exports.getCurrentActiveSpan = getCurrentActiveSpan;
exports.getLastActiveTraceId = getLastActiveTraceId;
exports.updateCurrentTrace = updateCurrentTrace;
exports.flushTraces = flushTraces;
exports.stats = stats;
exports.configure = configure;
exports.getConfig = getConfig;
/**
 * The MLflow-compatible tracing API: `trace`, `withSpan`, `startSpan`, the current span, trace
 * updates and flushing. The current span lives in one AsyncLocalStorage, so spans started in
 * nested calls, across `await`, become children.
 */
const node_async_hooks_1 = require("node:async_hooks");
const capture_1 = require("./capture");
const native_1 = require("./native");
const params_1 = require("./params");
const span_1 = require("./span");
const DEFAULT_SPAN_NAME = "span";
const current = new node_async_hooks_1.AsyncLocalStorage();
/** Starts a span: a child of `parent` if it is a real span, else the root of a new trace. */
function open(name, spanType, inputs, attributes, startNs, parent) {
    try {
        const inputsJson = inputs === undefined ? null : (0, capture_1.toJsonText)(inputs);
        const type = spanType ?? span_1.SpanType.UNKNOWN;
        const p = parent ? parent._native : null;
        const n = p
            ? native_1.native.startChild(p, name, type, inputsJson, startNs)
            : native_1.native.startRoot(name, type, inputsJson, startNs);
        const span = new span_1.LiveSpan(n);
        if (attributes)
            span.setAttributes(attributes);
        return span;
    }
    catch (e) {
        (0, span_1.internalError)("starting a span", e);
        return new span_1.LiveSpan(null);
    }
}
/**
 * Runs `callback` with `span` as the current span and ends it: outputs are the return (or
 * resolved) value unless the body set them; a throw (or rejection) is recorded and rethrown
 * unchanged. Only real Promises are awaited: calling `then` on other thenables could start work
 * (query builders do), so they are returned as they are.
 */
function runIn(span, callback) {
    let result;
    try {
        result = current.run(span, callback, span);
    }
    catch (err) {
        span._fail(err);
        throw err;
    }
    if (result instanceof Promise) {
        return result.then((value) => {
            span._finish(value);
            return value;
        }, (err) => {
            span._fail(err);
            throw err;
        });
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
function startSpan(options) {
    return open(options?.name || DEFAULT_SPAN_NAME, options?.spanType, options?.inputs, options?.attributes, (0, span_1.toNs)(options?.startTimeNs), options?.parent ?? current.getStore());
}
function withSpan(a, b) {
    const [callback, options] = typeof a === "function"
        ? [a, b]
        : [b, a];
    const span = open(options?.name || DEFAULT_SPAN_NAME, options?.spanType, options?.inputs, options?.attributes, (0, span_1.toNs)(options?.startTimeNs), current.getStore());
    return runIn(span, callback);
}
/** Wraps `fn` so each call is a span; see `trace`. */
function traceFunction(fn, options, fallbackName) {
    const names = (0, params_1.parameterNames)(fn);
    const name = options?.name || fn.name || fallbackName || DEFAULT_SPAN_NAME;
    const spanType = options?.spanType;
    const attributes = options?.attributes;
    const wrapper = function (...args) {
        const span = open(name, spanType, (0, params_1.inputsFor)(names, args), attributes, null, current.getStore());
        return runIn(span, () => fn.apply(this, args));
    };
    Object.defineProperty(wrapper, "length", { value: fn.length });
    Object.defineProperty(wrapper, "name", { value: fn.name });
    for (const key of Object.keys(fn)) {
        wrapper[key] = fn[key];
    }
    return wrapper;
}
function trace(a, b) {
    if (typeof a === "function")
        return traceFunction(a, b);
    const options = a;
    return function decorator(...args) {
        // TC39 decorators: (method, context); legacy: (target, key, descriptor).
        if (args.length === 2 && typeof args[1] === "object" && args[1] !== null) {
            return traceFunction(args[0], options, String(args[1].name));
        }
        const descriptor = args[2];
        descriptor.value = traceFunction(descriptor.value, options, String(args[1]));
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
function getCurrentActiveSpan() {
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
function getLastActiveTraceId() {
    try {
        return native_1.native.lastTraceId() ?? undefined;
    }
    catch (e) {
        (0, span_1.internalError)("getLastActiveTraceId", e);
        return undefined;
    }
}
function strings(r) {
    if (!r)
        return undefined;
    const out = {};
    for (const [k, v] of Object.entries(r))
        out[k] = typeof v === "string" ? v : (0, capture_1.toJsonText)(v);
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
function updateCurrentTrace(options) {
    const span = current.getStore();
    if (!span || span._native === null) {
        console.warn("ferrotrace: no active trace; call updateCurrentTrace inside `trace` or `withSpan`.");
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
