"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.trace = trace;
/**
 * `trace`: a function wrapper (each call is a span) and a method decorator, in both the legacy
 * (`experimentalDecorators`) and the TC39 (TypeScript 5) forms.
 */
const capture_1 = require("./capture");
const constants_1 = require("./constants");
const context_1 = require("./context");
const hooks_1 = require("./hooks");
const native_1 = require("./native");
const params_1 = require("./params");
const span_1 = require("./span");
const spans_1 = require("./spans");
const hrtime = process.hrtime.bigint;
/** Registers a traced function's name and type once; -1 (every call starts as usual) on failure. */
function registerSite(name, spanType) {
    try {
        return native_1.native.registerSite(name, spanType === undefined || spanType === span_1.SpanType.UNKNOWN ? null : spanType);
    }
    catch {
        return -1;
    }
}
/** Wraps `fn` so each call is a span; see `trace`. */
function traceFunction(fn, options, methodName) {
    const names = (0, params_1.parameterNames)(fn);
    const name = options?.name || methodName || fn.name || constants_1.DEFAULT_SPAN_NAME;
    const spanType = options?.spanType;
    const attributes = options?.attributes;
    const site = registerSite(name, spanType);
    const keys = (0, params_1.inputKeys)(names);
    const wrapper = function (...args) {
        const scope = context_1.scopes.getStore();
        if (scope !== undefined && !scope.enabled)
            return fn.apply(this, args);
        const parent = context_1.current.getStore();
        let span;
        // Common case: a pending span, started natively only if something needs it, else ended in
        // one native call. Start hooks, static attributes and a root taking a scope's remote parent
        // or trace data start the span at once, as does a child of a no-op span (itself a no-op).
        if (site >= 0 &&
            attributes === undefined &&
            hooks_1.startHooks.length === 0 &&
            (parent !== undefined
                ? parent._native !== null // a child starts: the parent must exist natively now
                : scope === undefined || (scope.update === null && scope.traceparent === undefined))) {
            const inputs = (keys !== null ? (0, params_1.primitiveInputs)(keys, args, capture_1.primitiveJson) : undefined) ?? (0, capture_1.toJsonText)((0, params_1.inputsFor)(names, args));
            span = span_1.LiveSpan._lazy({ site, parent, t0: hrtime(), inputs });
        }
        else {
            span = (0, spans_1.open)(name, spanType, (0, params_1.inputsFor)(names, args), attributes, null, parent);
            if (span === null)
                return fn.apply(this, args);
        }
        return (0, spans_1.runIn)(span, () => fn.apply(this, args), spans_1.finishOrStream);
    };
    Object.defineProperty(wrapper, "length", { value: fn.length });
    Object.defineProperty(wrapper, "name", { value: fn.name });
    for (const key of Object.keys(fn)) {
        wrapper[key] = fn[key];
    }
    return wrapper;
}
function keyName(key) {
    return typeof key === "symbol" ? (key.description ?? "") : String(key);
}
let warnedDecorator = false;
function notAMethod(what) {
    if (warnedDecorator)
        return;
    warnedDecorator = true;
    console.warn(`ferrotrace: @trace() decorates methods only; left ${what} untraced.`);
}
function decorator(options) {
    return function traceDecorator(...args) {
        const [a, b, c] = args;
        // TC39: (value, context) where context.kind says what is decorated.
        if (args.length === 2 && typeof b === "object" && b !== null && "kind" in b) {
            if (b.kind === "method" && typeof a === "function") {
                return traceFunction(a, options, keyName(b.name));
            }
            notAMethod(`the ${String(b.kind)} ${keyName(b.name)}`);
            return undefined;
        }
        // Legacy: (target, key, descriptor).
        const descriptor = c;
        if (descriptor && typeof descriptor.value === "function") {
            descriptor.value = traceFunction(descriptor.value, options, keyName(b));
            return descriptor;
        }
        notAMethod(args.length >= 2 ? `the member ${keyName(b)}` : "a class");
        return descriptor;
    };
}
function trace(a, b) {
    if (typeof a === "function")
        return traceFunction(a, b);
    return decorator(a);
}
