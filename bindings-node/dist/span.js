"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.NoOpSpan = exports.LiveSpan = exports.lazyRoots = exports.toNs = exports.SpanType = exports.SpanStatusCode = exports.SpanStatus = exports.SpanEvent = exports.internalError = exports.describeError = void 0;
/**
 * `LiveSpan`: the object user code receives (span types, statuses and events are in
 * `span_types.ts`). It wraps a native span; every setter captures the value to JSON text here
 * and never throws.
 */
const capture_1 = require("./capture");
const constants_1 = require("./constants");
const hooks_1 = require("./hooks");
const leaves_1 = require("./leaves");
const native_1 = require("./native");
const span_types_1 = require("./span_types");
var span_types_2 = require("./span_types");
Object.defineProperty(exports, "describeError", { enumerable: true, get: function () { return span_types_2.describeError; } });
Object.defineProperty(exports, "internalError", { enumerable: true, get: function () { return span_types_2.internalError; } });
Object.defineProperty(exports, "SpanEvent", { enumerable: true, get: function () { return span_types_2.SpanEvent; } });
Object.defineProperty(exports, "SpanStatus", { enumerable: true, get: function () { return span_types_2.SpanStatus; } });
Object.defineProperty(exports, "SpanStatusCode", { enumerable: true, get: function () { return span_types_2.SpanStatusCode; } });
Object.defineProperty(exports, "SpanType", { enumerable: true, get: function () { return span_types_2.SpanType; } });
Object.defineProperty(exports, "toNs", { enumerable: true, get: function () { return span_types_2.toNs; } });
const LOG_LEVELS = { DEBUG: 10, INFO: 20, WARNING: 30, ERROR: 40, CRITICAL: 50 };
function parseJson(text) {
    if (text === null || text === undefined)
        return undefined;
    try {
        return JSON.parse(text);
    }
    catch {
        return text;
    }
}
const leafEnd = (0, leaves_1.raw)("leafEnd");
const leafStart = (0, leaves_1.raw)("leafStart");
const spanFinish = (0, leaves_1.raw)("spanFinish");
/**
 * @internal Roots of traced calls still pending (running, nothing native yet): the core has
 * not seen them, so the exit hook hands their number to the core's exit, which counts them
 * (`open_at_exit`) when the process ends inside them (`process.exit()` in a traced call).
 */
exports.lazyRoots = { open: 0 };
/** A pending span stops being pending: its root (if it is one) is the core's from now on. */
function settled(p) {
    if (p.parent === undefined)
        exports.lazyRoots.open--;
}
/** `LiveSpan._leaf` of a leaf kept for its batch. */
const KEPT = -2;
/**
 * The parent's native span (started when the child started) for a pending span ending in one
 * call: `null` for a root, `undefined` when the parent has ended and is no longer kept (counted:
 * there is nothing to record the span under).
 */
function endingParent(p) {
    if (p.parent === undefined)
        return null;
    const h = p.parent._native;
    if (h !== null)
        return h;
    if (p.parent._expired)
        native_1.native.noteParentExpired();
    return undefined;
}
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
class LiveSpan {
    /** @internal The native span; `null` for a no-op span, `undefined` while pending. */
    _h;
    /** @internal What a pending span needs to start natively. */
    _pending = null;
    /**
     * @internal The span's number in the addon's recent ring once ended in one native call (see
     * `_finish`) or once its slot handle was released at its end, `KEPT` while it waits for its
     * batch (`leaves.ts`), else -1.
     */
    _leaf = -1;
    /**
     * @internal Set when this span was read by number after its end (`_leaf`) and the addon no
     * longer kept it: a child started under it cannot be recorded, and is counted.
     */
    _expired = false;
    /** @internal Set once outputs were given, so the wrapper does not overwrite them. */
    _outputsSet = false;
    /** @internal Set when ending starts: end hooks run once, and `end()` twice is a no-op. */
    _ending = false;
    _traceId;
    /** @internal */
    constructor(nativeSpan) {
        this._h = nativeSpan;
    }
    /**
     * @internal A traced call's span, *pending*: nothing native exists until something needs it
     * (`_native`); if nothing does, one native call starts and ends it when the call returns.
     */
    static _lazy(pending) {
        const span = new LiveSpan(null);
        span._h = undefined;
        span._pending = pending;
        if (pending.parent === undefined)
            exports.lazyRoots.open++;
        return span;
    }
    /** @internal The native span (started now if pending); `null` for a no-op span. */
    get _native() {
        const h = this._h;
        return h !== undefined ? h : this._materialize();
    }
    _materialize() {
        let h = null;
        try {
            if (this._leaf === KEPT)
                (0, leaves_1.recordLeaves)(); // numbers it
            if (this._leaf >= 0) {
                // Ended in one call, or ended with a slot handle, and read afterwards (a late callback):
                // the addon keeps recent ended spans by number.
                h = native_1.native.leafHandle(this._leaf);
                this._expired = h === null;
            }
            else if (this._pending !== null) {
                const p = this._pending;
                settled(p);
                const parent = p.parent === undefined ? null : p.parent._native;
                if (p.parent === undefined || parent !== null)
                    h = leafStart(p.site, parent, p.t0, p.inputs);
            }
        }
        catch (e) {
            (0, span_types_1.internalError)("starting a span", e);
        }
        this._h = h;
        this._pending = null;
        return h;
    }
    /**
     * @internal Makes a slot handle an external one, before the span reaches code that may keep
     * it past its end (a slot handle dies as the span ends; see `src/slots.rs`).
     */
    _detach() {
        const h = this._h;
        if (typeof h !== "number")
            return;
        try {
            this._h = native_1.native.spanDetach(h);
        }
        catch (e) {
            this._h = null;
            (0, span_types_1.internalError)("keeping a span", e);
        }
    }
    /** @internal After a native end call: a released slot handle leaves its number to read by. */
    _ended(r) {
        if (r >= 0) {
            this._h = undefined;
            this._leaf = r;
        }
    }
    call(what, f) {
        const n = this._native;
        if (n === null)
            return;
        try {
            f(n);
        }
        catch (e) {
            (0, span_types_1.internalError)(what, e);
        }
    }
    read(f, fallback) {
        const n = this._native;
        if (n === null)
            return fallback;
        try {
            return f(n);
        }
        catch (e) {
            (0, span_types_1.internalError)("reading a span", e);
            return fallback;
        }
    }
    /** `tr-` + 32 hex digits. */
    get traceId() {
        return (this._traceId ??= this.read((n) => native_1.native.spanTraceId(n), constants_1.NO_OP_SPAN_TRACE_ID));
    }
    get spanId() {
        return this.read((n) => native_1.native.spanSpanId(n), "");
    }
    get parentId() {
        return this.read((n) => native_1.native.spanParentId(n), null);
    }
    get name() {
        return this.read((n) => native_1.native.spanName(n), "");
    }
    /** `mlflow.spanType`: a `SpanType` value, or the custom string it was given. */
    get spanType() {
        return (this.getAttribute("mlflow.spanType") ?? span_types_1.SpanType.UNKNOWN);
    }
    // Decoded JSON values are typed `any`, as in MLflow's SDK, so its users' code type-checks.
    get inputs() {
        return this.read((n) => parseJson(native_1.native.spanGetAttribute(n, "mlflow.spanInputs")), undefined);
    }
    get outputs() {
        return this.read((n) => parseJson(native_1.native.spanGetAttribute(n, "mlflow.spanOutputs")), undefined);
    }
    get attributes() {
        return this.read((n) => JSON.parse(native_1.native.spanAttributes(n)), {});
    }
    get status() {
        return this.read((n) => {
            const s = native_1.native.spanStatus(n);
            return new span_types_1.SpanStatus(s.code, s.description);
        }, new span_types_1.SpanStatus(span_types_1.SpanStatusCode.UNSET));
    }
    get events() {
        return this.read((n) => {
            const raw = JSON.parse(native_1.native.spanEvents(n));
            return raw.map((e) => new span_types_1.SpanEvent({ ...e, timestamp: BigInt(e.timestamp) }));
        }, []);
    }
    /** Start time in nanoseconds since the epoch. */
    get startTimeNs() {
        return this.read((n) => native_1.native.spanStartNs(n), 0n);
    }
    /** End time in nanoseconds, or `null` while running. */
    get endTimeNs() {
        return this.read((n) => native_1.native.spanEndNs(n), null);
    }
    /** Start time as OpenTelemetry's `[seconds, nanoseconds]`. */
    get startTime() {
        return (0, span_types_1.hrTime)(this.startTimeNs);
    }
    /** End time as `[seconds, nanoseconds]`, or `null` while running. */
    get endTime() {
        const ns = this.endTimeNs;
        return ns === null ? null : (0, span_types_1.hrTime)(ns);
    }
    /** `mlflow.spanLogLevel` (a `SpanLogLevel` value); set when the span ends unless given. */
    get logLevel() {
        const v = this.getAttribute(constants_1.SpanAttributeKey.LOG_LEVEL);
        return typeof v === "number" ? v : undefined;
    }
    /** Links added with `addLink`. */
    get links() {
        return this.read((n) => JSON.parse(native_1.native.spanLinks(n)), []);
    }
    /** One attribute's value (decoded), or `undefined`. */
    getAttribute(key) {
        return this.read((n) => parseJson(native_1.native.spanGetAttribute(n, key)), undefined);
    }
    setInputs(inputs) {
        this.call("setInputs", (n) => native_1.native.spanSetInputs(n, (0, capture_1.toJsonText)(inputs)));
    }
    setOutputs(outputs) {
        this._outputsSet = true;
        this.call("setOutputs", (n) => native_1.native.spanSetOutputs(n, (0, capture_1.toJsonText)(outputs)));
    }
    /** Sets an attribute; the value is stored as JSON text (as MLflow does). */
    setAttribute(key, value) {
        if (key === "mlflow.spanOutputs")
            this._outputsSet = true;
        this.call("setAttribute", (n) => native_1.native.spanSetAttribute(n, String(key), (0, capture_1.toJsonText)(value)));
    }
    setAttributes(attributes) {
        if (!attributes)
            return;
        for (const [k, v] of Object.entries(attributes))
            this.setAttribute(k, v);
    }
    setSpanType(spanType) {
        this.call("setSpanType", (n) => native_1.native.spanSetSpanType(n, String(spanType)));
    }
    /**
     * Sets the verbosity: a `SpanLogLevel`, its number, or its name in any case (`"warning"`).
     * Anything else is ignored with a warning.
     */
    setLogLevel(level) {
        const v = typeof level === "number" ? level : LOG_LEVELS[String(level).trim().toUpperCase()];
        if (v === undefined || !Number.isInteger(v)) {
            console.warn(`ferrotrace: invalid log level ${JSON.stringify(level)} ignored: use DEBUG, INFO, WARNING, ERROR or CRITICAL`);
            return;
        }
        this.call("setLogLevel", (n) => native_1.native.spanSetAttribute(n, constants_1.SpanAttributeKey.LOG_LEVEL, String(v)));
    }
    /**
     * Links this span to another one (`{traceId, spanId, attributes?}`, or OpenTelemetry's
     * `{context: {traceId, spanId}, attributes?}`). An invalid id is ignored with a warning.
     */
    addLink(link) {
        this.call("addLink", (n) => {
            const l = link;
            const traceId = String(l?.traceId ?? l?.context?.traceId ?? "");
            const spanId = String(l?.spanId ?? l?.context?.spanId ?? "");
            if (!native_1.native.spanAddLink(n, traceId, spanId, (0, capture_1.toJsonText)(l?.attributes ?? {})) && !native_1.native.spanIsEnded(n)) {
                console.warn(`ferrotrace: invalid span link ignored (traceId ${JSON.stringify(traceId)}, spanId ${JSON.stringify(spanId)}): ` +
                    "use tr-<32 hex> (or 32 hex) and 16 hex");
            }
        });
    }
    /**
     * The span as MLflow serializes it (`Span.to_dict()`, the stored form): base64 ids, attribute
     * values as JSON text, times in nanoseconds as `bigint` (`end_time_unix_nano` null while
     * running).
     */
    toJson() {
        return this.read((n) => {
            const d = JSON.parse(native_1.native.spanToJson(n));
            d.start_time_unix_nano = native_1.native.spanStartNs(n);
            d.end_time_unix_nano = native_1.native.spanEndNs(n);
            return d;
        }, {});
    }
    /** Sets the status from a `SpanStatus`, or a code (`"OK"`, `"ERROR"`, `"UNSET"`) plus description. */
    setStatus(status, description) {
        const [code, desc] = status instanceof span_types_1.SpanStatus ? [status.statusCode, status.description] : [status, description];
        this.call("setStatus", (n) => {
            if (!native_1.native.spanSetStatus(n, String(code), desc ?? "") && !native_1.native.spanIsEnded(n)) {
                console.warn(`ferrotrace: unknown span status code ${JSON.stringify(code)} ignored`);
            }
        });
    }
    addEvent(event) {
        this.call("addEvent", (n) => native_1.native.spanAddEvent(n, event.name, (0, span_types_1.toNs)(event.timestamp), (0, capture_1.toJsonText)(event.attributes ?? {})));
    }
    /** Records an `exception` event and sets status ERROR with `"<name>: <message>"`. */
    recordException(error) {
        const e = (0, span_types_1.describeError)(error);
        this.call("recordException", (n) => native_1.native.spanRecordException(n, e.type, e.message, e.stack));
    }
    /**
     * Ends the span: sets the given outputs, attributes and status, runs the end hooks, closes
     * it. Status UNSET becomes OK. Ending twice does nothing.
     *
     * @example
     * ```ts
     * span.end({ outputs: { answer: 42 }, status: SpanStatusCode.OK });
     * ```
     */
    end(options) {
        if (this._native === null || this._ending)
            return;
        if (options?.outputs !== undefined)
            this.setOutputs(options.outputs);
        if (options?.attributes)
            this.setAttributes(options.attributes);
        if (options?.status !== undefined)
            this.setStatus(options.status);
        this._end((0, span_types_1.toNs)(options?.endTimeNs));
    }
    /** @internal Runs the end hooks (once), then ends the span. */
    _end(endNs) {
        const n = this._native;
        if (n === null)
            return;
        this._ending = true;
        try {
            if (hooks_1.endHooks.length > 0 && !native_1.native.spanIsEnded(n)) {
                // As MLflow's `end`: a status that is not ERROR reads OK before the span closes.
                if (native_1.native.spanStatus(n).code === "UNSET")
                    native_1.native.spanSetStatus(n, "OK", "");
                this._detach(); // the hooks may keep the span
                (0, hooks_1.runHooks)(hooks_1.endHooks, this, "end");
            }
            this._ended(native_1.native.spanEnd(this._h ?? n, endNs));
        }
        catch (e) {
            (0, span_types_1.internalError)("ending a span", e);
        }
    }
    /**
     * Changes trace-level data of this span's trace (see `updateCurrentTrace`). Returns `false`
     * once the trace has ended.
     * @internal
     */
    _updateTrace(fields) {
        return this.read((n) => native_1.native.spanUpdateTrace(n, JSON.stringify(fields)), false);
    }
    /** @internal Hot path: outputs (unless set in the body) and end, in one native call. */
    _finish(result) {
        const p = this._pending;
        if (p !== null && this._h === undefined && hooks_1.endHooks.length === 0 && !this._ending) {
            // Nothing needed this span while it ran: start and end it in one call.
            this._ending = true;
            this._pending = null;
            settled(p);
            try {
                const outputs = (0, capture_1.toJsonText)(result);
                const parent = endingParent(p);
                if (parent === undefined) {
                    this._h = null;
                    return;
                }
                if (p.inputs !== null && (0, leaves_1.keepsLeafOf)(parent)) {
                    this._leaf = KEPT;
                    (0, leaves_1.keepLeaf)(this, p.site, parent, p.t0, p.inputs, outputs);
                }
                else {
                    this._leaf = leafEnd(p.site, parent, p.t0, p.inputs, outputs);
                }
            }
            catch (e) {
                this._h = null;
                (0, span_types_1.internalError)("ending a span", e);
            }
            return;
        }
        const n = this._native;
        if (n === null || this._ending)
            return;
        if (hooks_1.endHooks.length > 0) {
            if (!this._outputsSet)
                this.setOutputs(result);
            this._end(null);
            return;
        }
        this._ending = true;
        try {
            // Kept roots first: this end may seal a trace, and traces count (and the last trace id
            // follows) in the order they ended.
            (0, leaves_1.recordLeaves)();
            this._ended(spanFinish(n, this._outputsSet ? null : (0, capture_1.toJsonText)(result)));
        }
        catch (e) {
            (0, span_types_1.internalError)("ending a span", e);
        }
    }
    /** @internal Records a thrown value and ends the span. */
    _fail(err) {
        const p = this._pending;
        if (p !== null && this._h === undefined && hooks_1.endHooks.length === 0 && !this._ending) {
            this._ending = true;
            this._pending = null;
            settled(p);
            try {
                const parent = endingParent(p);
                if (parent === undefined) {
                    this._h = null;
                    return;
                }
                const e = (0, span_types_1.describeError)(err);
                this._leaf = native_1.native.leafFail(p.site, parent, p.t0, p.inputs, e.type, e.message, e.stack);
            }
            catch (e) {
                this._h = null;
                (0, span_types_1.internalError)("recording an error", e);
            }
            return;
        }
        const n = this._native;
        if (n === null || this._ending)
            return;
        try {
            const e = (0, span_types_1.describeError)(err);
            if (hooks_1.endHooks.length > 0) {
                native_1.native.spanRecordException(n, e.type, e.message, e.stack);
                this._end(null);
                return;
            }
            this._ending = true;
            this._ended(native_1.native.spanFail(n, e.type, e.message, e.stack));
        }
        catch (e) {
            (0, span_types_1.internalError)("recording an error", e);
        }
    }
}
exports.LiveSpan = LiveSpan;
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
class NoOpSpan extends LiveSpan {
    constructor() {
        super(null);
    }
}
exports.NoOpSpan = NoOpSpan;
