"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.endHooks = exports.startHooks = void 0;
exports.runHooks = runHooks;
exports.registerOnSpanStartHook = registerOnSpanStartHook;
exports.registerOnSpanEndHook = registerOnSpanEndHook;
const errors_1 = require("./errors");
// Replaced as a whole on (un)registration, never mutated: a hook that unregisters itself while
// the list runs does not disturb the loop. Read on every span start and end, so kept flat.
exports.startHooks = [];
exports.endHooks = [];
const warned = new WeakSet();
/** Runs `hooks` with `span`; a hook that throws is reported once and the others still run. */
function runHooks(hooks, span, when) {
    for (const hook of hooks) {
        try {
            hook(span);
        }
        catch (e) {
            if (warned.has(hook))
                continue;
            warned.add(hook);
            console.warn(`ferrotrace: a span ${when} hook threw (ignored from now on, tracing continues):`, e);
        }
    }
}
function check(hook, what) {
    if (typeof hook !== "function")
        throw (0, errors_1.invalidArgument)(`${what} takes a function (span) => void`, TypeError);
    return hook;
}
/**
 * Calls `hook(span)` whenever a span starts (after its inputs and attributes are set). Returns
 * a function that unregisters it.
 *
 * @example
 * ```ts
 * const off = registerOnSpanStartHook((span) => span.setAttribute("tenant", currentTenant()));
 * off(); // no longer called
 * ```
 */
function registerOnSpanStartHook(hook) {
    const h = check(hook, "registerOnSpanStartHook");
    exports.startHooks = [...exports.startHooks, h];
    return () => {
        exports.startHooks = exports.startHooks.filter((x) => x !== h);
    };
}
/**
 * Calls `hook(span)` when a span ends: after its outputs, error and status are recorded (an
 * UNSET status already reads OK), before it is closed and exported. The hook may change
 * inputs, outputs and attributes, e.g. to redact them. Returns a function that unregisters it.
 *
 * @example
 * ```ts
 * registerOnSpanEndHook((span) => {
 *   if (span.spanType === SpanType.LLM) span.setInputs(redact(span.inputs));
 * });
 * ```
 */
function registerOnSpanEndHook(hook) {
    const h = check(hook, "registerOnSpanEndHook");
    exports.endHooks = [...exports.endHooks, h];
    return () => {
        exports.endHooks = exports.endHooks.filter((x) => x !== h);
    };
}
