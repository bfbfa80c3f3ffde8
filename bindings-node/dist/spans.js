"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.open = open;
exports.finishWith = finishWith;
exports.finishOrStream = finishOrStream;
exports.runIn = runIn;
/**
 * How every API starts a span and runs code in it: the scope decides whether to trace and adds
 * its trace data to roots; start hooks run; the callback runs with the span current; its result
 * (or rejection) ends the span.
 */
const node_util_1 = require("node:util");
const capture_1 = require("./capture");
const context_1 = require("./context");
const hooks_1 = require("./hooks");
const native_1 = require("./native");
const span_1 = require("./span");
const stream_1 = require("./stream");
/**
 * Starts a span: a child of `parent`, else the root of a new trace (continuing the scope's remote
 * parent, if any). Returns `null` when tracing is off in this scope, and a no-op span when
 * starting fails or `parent` is itself a no-op.
 */
function open(name, spanType, inputs, attributes, startNs, parent) {
    const scope = context_1.scopes.getStore();
    if (scope !== undefined && !scope.enabled)
        return null;
    try {
        const inputsJson = inputs === undefined ? null : (0, capture_1.toJsonText)(inputs);
        // No type crosses as null: the addon writes UNKNOWN from a constant (one string
        // conversion fewer per traced call).
        const type = spanType === undefined || spanType === span_1.SpanType.UNKNOWN ? null : spanType;
        let span;
        if (parent !== undefined) {
            const p = parent._native;
            if (p === null) {
                // A no-op parent makes a no-op child; one no longer kept loses it, counted.
                const lost = new span_1.NoOpSpan();
                if (parent._expired) {
                    lost._expired = true;
                    native_1.native.noteParentExpired();
                }
                return lost;
            }
            span = new span_1.LiveSpan(native_1.native.startChild(p, name, type, inputsJson, startNs));
        }
        else {
            span = new span_1.LiveSpan(native_1.native.startRoot(name, type, inputsJson, startNs, scope?.traceparent));
            if (scope !== undefined && scope.update !== null && span._native !== null) {
                native_1.native.spanUpdateTrace(span._native, scope.update);
            }
        }
        if (attributes)
            span.setAttributes(attributes);
        if (hooks_1.startHooks.length > 0)
            (0, hooks_1.runHooks)(hooks_1.startHooks, span, "start");
        return span;
    }
    catch (e) {
        (0, span_1.internalError)("starting a span", e);
        return new span_1.NoOpSpan();
    }
}
/** Ends `span` with `value` as outputs (unless the body set them) and returns the value. */
function finishWith(span, value) {
    span._finish(value);
    return value;
}
/**
 * As `finishWith`, unless `value` is a stream (generator, async generator, async iterable):
 * then the traced stream is returned and its iteration ends the span.
 */
function finishOrStream(span, value) {
    const stream = (0, stream_1.traceStream)(span, value);
    if (stream !== undefined)
        return stream;
    span._finish(value);
    return value;
}
/**
 * Whether `v` is a real Promise. `instanceof` alone runs a Proxy's `getPrototypeOf` trap (which
 * may throw, or be revoked) and is true for a Proxy around a Promise, whose `then` then throws:
 * the internal-slot check runs no user code.
 */
function isPromise(v) {
    try {
        return v instanceof Promise && node_util_1.types.isPromise(v);
    }
    catch {
        return false;
    }
}
/**
 * Runs `callback` with `span` as the current span; `settle` ends it with the return (or
 * resolved) value and gives what the caller receives. A throw (or rejection) is recorded and
 * rethrown unchanged. Only real Promises are awaited: calling `then` on other thenables could
 * start work (query builders do), so they are returned as they are.
 */
function runIn(span, callback, settle = finishWith) {
    let result;
    try {
        result = context_1.current.run(span, callback, span);
    }
    catch (err) {
        span._fail(err);
        throw err;
    }
    if (isPromise(result)) {
        return result.then((value) => settle(span, value), (err) => {
            span._fail(err);
            throw err;
        });
    }
    return settle(span, result);
}
