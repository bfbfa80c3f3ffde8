"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.scopes = exports.current = void 0;
exports.disabledHere = disabledHere;
exports.strings = strings;
exports.tracingContext = tracingContext;
exports.getTracingContextHeadersForHttpRequest = getTracingContextHeadersForHttpRequest;
exports.withTracingContextFromHeaders = withTracingContextFromHeaders;
exports.withTracingContextFromHeadersAsync = withTracingContextFromHeadersAsync;
/**
 * Context that follows the code across `await`, timers and callbacks (AsyncLocalStorage): the
 * current span, and the scope of `tracingContext` / `withTracingContextFromHeaders` (metadata,
 * tags, session and user for traces started in it, tracing on or off, a remote parent).
 */
const node_async_hooks_1 = require("node:async_hooks");
const capture_1 = require("./capture");
const native_1 = require("./native");
const errors_1 = require("./errors");
/** The span of the innermost running `trace` / `withSpan` call. */
exports.current = new node_async_hooks_1.AsyncLocalStorage();
/** The scope in force; never entered until `tracingContext` or a headers function runs. */
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
function nested(changes) {
    const outer = exports.scopes.getStore();
    const metadata = { ...outer?.metadata, ...changes.metadata };
    const tags = { ...outer?.tags, ...changes.tags };
    const sessionId = changes.sessionId ?? outer?.sessionId;
    const user = changes.user ?? outer?.user;
    const empty = Object.keys(metadata).length === 0 && Object.keys(tags).length === 0 && sessionId === undefined && user === undefined;
    return {
        enabled: changes.enabled ?? outer?.enabled ?? true,
        metadata,
        tags,
        sessionId,
        user,
        traceparent: changes.traceparent ?? outer?.traceparent,
        // sessionId and user become MLflow's metadata keys in the core, as for updateCurrentTrace.
        update: empty ? null : JSON.stringify({ metadata, tags, sessionId, user }),
    };
}
/**
 * Runs `fn` in a scope that adds metadata and tags to every trace *started* in it (a root span,
 * not a child of a span started outside), without making a span; `enabled: false` turns tracing
 * off inside. Scopes nest and follow `await`; an inner scope's keys win. Returns what `fn`
 * returns (a Promise stays a Promise).
 *
 * @example
 * ```ts
 * await tracingContext({ tags: { tenant: "acme" }, sessionId: req.session }, () => agent(q));
 * tracingContext({ enabled: false }, () => healthCheck()); // not traced
 * ```
 */
function tracingContext(options, fn) {
    if (typeof fn !== "function")
        throw (0, errors_1.invalidArgument)("tracingContext(options, fn): fn must be a function", TypeError);
    const o = options ?? {};
    if (o.enabled !== undefined && typeof o.enabled !== "boolean") {
        throw (0, errors_1.invalidArgument)("tracingContext: `enabled` must be a boolean", TypeError);
    }
    const scope = nested({
        enabled: o.enabled,
        metadata: strings(o.metadata),
        tags: strings(o.tags),
        sessionId: o.sessionId === undefined || o.sessionId === null ? undefined : String(o.sessionId),
        user: o.user === undefined || o.user === null ? undefined : String(o.user),
    });
    return exports.scopes.run(scope, fn);
}
// ---- distributed tracing (W3C traceparent) ----------------------------------------------------
/**
 * Headers that carry the current span to a downstream service: `{traceparent: "00-<32 hex
 * trace id>-<16 hex span id>-<flags>"}` (W3C Trace Context). Outside any span it warns and
 * returns `{}` (inside `withTracingContextFromHeaders` without a local span, the remote parent
 * is passed on).
 *
 * @example
 * ```ts
 * await fetch(url, { headers: { ...getTracingContextHeadersForHttpRequest() } });
 * ```
 */
function getTracingContextHeadersForHttpRequest() {
    const span = exports.current.getStore();
    try {
        if (span !== undefined && span._native !== null)
            return { traceparent: native_1.native.spanTraceparent(span._native) };
    }
    catch {
        // fall through: no headers
    }
    const remote = exports.scopes.getStore()?.traceparent;
    if (remote !== undefined)
        return { traceparent: remote };
    console.warn("ferrotrace: getTracingContextHeadersForHttpRequest() was called without an active span; no headers.");
    return {};
}
/** The `traceparent` of `headers` (any key case, first of an array), canonical; throws if absent or invalid. */
function traceparentOf(headers) {
    if (headers === null || typeof headers !== "object") {
        throw (0, errors_1.invalidArgument)("headers must be an object (e.g. req.headers)", TypeError);
    }
    const h = headers;
    // Pairs: arrays, Maps and fetch's Headers iterate as [key, value]; plain objects by entry.
    const pairs = Symbol.iterator in h
        ? h
        : typeof h.entries === "function"
            ? h.entries()
            : Object.entries(h);
    let value;
    for (const pair of pairs) {
        if (!Array.isArray(pair) || String(pair[0]).toLowerCase() !== "traceparent")
            continue;
        value = pair[1];
        break;
    }
    const first = Array.isArray(value) ? value[0] : value;
    if (first === undefined || first === null || first === "") {
        throw (0, errors_1.invalidArgument)("The 'traceparent' header is required to continue a trace (W3C Trace Context).");
    }
    const tp = native_1.native.normalizeTraceparent(String(first));
    if (tp === null) {
        throw (0, errors_1.invalidArgument)(`Invalid 'traceparent' header ${JSON.stringify(String(first))}: expected 00-<32 hex>-<16 hex>-<2 hex>.`);
    }
    return tp;
}
/**
 * Continues the caller's trace: runs `callback` so that spans started in it (that have no
 * local parent) join the remote trace named by the `traceparent` header, as children of the
 * remote span and with its trace id. Header keys are matched in any case; an array value
 * counts by its first element. Throws if `traceparent` is missing or invalid.
 *
 * @example
 * ```ts
 * app.post("/answer", (req, res) =>
 *   withTracingContextFromHeaders(req.headers, () => res.json(answer(req.body.q))));
 * ```
 */
function withTracingContextFromHeaders(headers, callback) {
    if (typeof callback !== "function")
        throw (0, errors_1.invalidArgument)("withTracingContextFromHeaders: callback must be a function", TypeError);
    const scope = nested({ traceparent: traceparentOf(headers) });
    // Outside the current local span: the remote span is the parent of what starts inside.
    return exports.current.run(undefined, () => exports.scopes.run(scope, callback));
}
/**
 * `withTracingContextFromHeaders` for an async callback: resolves to what it resolves to.
 *
 * @example
 * ```ts
 * const out = await withTracingContextFromHeadersAsync(req.headers, async () => agent(q));
 * ```
 */
async function withTracingContextFromHeadersAsync(headers, callback) {
    return await withTracingContextFromHeaders(headers, callback);
}
