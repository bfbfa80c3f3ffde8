"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.scopes = exports.current = void 0;
exports.disabledHere = disabledHere;
exports.strings = strings;
/**
 * Context that follows the code across `await`, timers and callbacks (AsyncLocalStorage): the
 * current span, and the scope spans start in (metadata, tags, session and user for traces
 * started in it, tracing on or off, a remote parent).
 */
const node_async_hooks_1 = require("node:async_hooks");
const capture_1 = require("./capture");
/** The span of the innermost running `trace` / `withSpan` call. */
exports.current = new node_async_hooks_1.AsyncLocalStorage();
/** The scope in force, if any. */
exports.scopes = new node_async_hooks_1.AsyncLocalStorage();
/** Whether tracing is switched off here (`tracingContext({enabled: false}, ...)`). */
function disabledHere() {
    const scope = exports.scopes.getStore();
    return scope !== undefined && !scope.enabled;
}
/** Stringifies values as `updateCurrentTrace` does: strings as they are, others as JSON text. */
function strings(r) {
    if (!r)
        return undefined;
    const out = {};
    for (const [k, v] of Object.entries(r))
        out[k] = typeof v === "string" ? v : (0, capture_1.toJsonText)(v);
    return out;
}
