"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.ProviderCall = void 0;
exports.warnOnce = warnOnce;
exports.wrapClient = wrapClient;
exports.prefixesOf = prefixesOf;
exports.followPromise = followPromise;
exports.isClientStream = isClientStream;
exports.tapStream = tapStream;
/**
 * What `tracedOpenAI` and `tracedAnthropic` share: a proxy of the client that traces the
 * methods of a table (by their path from the client, `chat.completions.create`), the span of
 * one provider call, and following what the call returns (the client's `APIPromise`, a stream)
 * without replacing it.
 *
 * A traced method starts a span (a child of the current span, not made current, as MLflow's
 * integrations do) with the request body as inputs; the core sets the attributes MLflow's
 * integrations set (`src/llm.rs`). The caller gets the very object the client returned, and
 * sees every error as the client threw it: tracing steps are guarded.
 */
const capture_1 = require("./capture");
const context_1 = require("./context");
const native_1 = require("./native");
const span_1 = require("./span");
const spans_1 = require("./spans");
const warned = new Set();
/** Prints `message` once per `key` for the process. */
function warnOnce(key, message) {
    if (warned.has(key))
        return;
    warned.add(key);
    console.warn(message);
}
/** The span of one provider call; it ends once, with a result or an error. */
class ProviderCall {
    span;
    call;
    done = false;
    constructor(span, call) {
        this.span = span;
        this.call = call;
    }
    /** Ends the span with `result` as outputs (none when `null`/`undefined`). */
    succeed(result) {
        if (this.done)
            return;
        this.done = true;
        try {
            const n = this.span._native;
            if (n !== null)
                native_1.native.llmEnd(n, this.call, result === undefined || result === null ? null : (0, capture_1.toJsonText)(result));
        }
        catch (e) {
            (0, span_1.internalError)("recording an LLM call's result", e);
        }
        this.span.end();
    }
    /** Ends the span with the error the call threw, as MLflow's integrations record it. */
    fail(err) {
        if (this.done)
            return;
        this.done = true;
        try {
            const n = this.span._native;
            const e = (0, span_1.describeError)(err);
            // The clients' errors keep `Error` as their name: their class names the error
            // (`BadRequestError`), as the Python clients' exception types do.
            const ctor = err?.constructor?.name;
            const type = e.type === "Error" && typeof ctor === "string" && ctor !== "" ? ctor : e.type;
            if (n !== null)
                native_1.native.llmFail(n, this.call, type, e.message, e.stack);
        }
        catch (e) {
            (0, span_1.internalError)("recording an LLM call's error", e);
        }
        this.span.end();
    }
}
exports.ProviderCall = ProviderCall;
/** Starts the span of a call, or `null` when not tracing here (then the call runs untouched). */
function start(name, method, inputs) {
    try {
        const span = (0, spans_1.open)(name, method.spanType, inputs, undefined, null, context_1.current.getStore());
        const n = span?._native ?? null;
        if (span === null || n === null)
            return null;
        native_1.native.llmStart(n, method.call);
        return new ProviderCall(span, method.call);
    }
    catch (e) {
        (0, span_1.internalError)("starting an LLM call's span", e);
        return null;
    }
}
function isPlainObject(v) {
    if (typeof v !== "object" || v === null)
        return false;
    const proto = Object.getPrototypeOf(v);
    return proto === Object.prototype || proto === null;
}
/**
 * The request options with the span's W3C `traceparent` header added (the caller's own headers
 * win), as MLflow's integrations send it, so a traced gateway can continue the trace. Options
 * or headers of another shape (a `Headers` object) are left as they are.
 */
function withTraceparent(args, call) {
    try {
        const options = args[1];
        if (options !== undefined && !isPlainObject(options))
            return args;
        const headers = options?.headers;
        if (headers !== undefined && headers !== null && !isPlainObject(headers))
            return args;
        const n = call.span._native;
        if (n === null)
            return args;
        const out = args.slice();
        out[1] = { ...options, headers: { traceparent: native_1.native.spanTraceparent(n), ...headers } };
        return out;
    }
    catch {
        return args;
    }
}
function traced(fn, target, prop, method) {
    return function tracedCall(...args) {
        let name = prop;
        try {
            name = method.name(target, prop);
        }
        catch {
            // keep the method name
        }
        const call = start(name, method, args[0]);
        if (call === null)
            return fn.apply(target, args);
        let result;
        try {
            result = fn.apply(target, withTraceparent(args, call));
        }
        catch (err) {
            call.fail(err);
            throw err;
        }
        try {
            return method.follow(result, call);
        }
        catch (e) {
            (0, span_1.internalError)("following an LLM call", e);
            return result;
        }
    };
}
/**
 * A proxy of `obj` (found at `prefix` from the client) whose methods in `methods` are traced
 * and whose objects on the way to one are proxied too. Other methods are the object's own,
 * called on the object itself (private fields need the real receiver).
 */
function wrapClient(obj, prefix, methods, prefixes) {
    const cache = new Map();
    return new Proxy(obj, {
        get(target, prop) {
            const value = Reflect.get(target, prop, target);
            const hit = cache.get(prop);
            if (hit !== undefined && hit.from === value)
                return hit.to;
            let out = value;
            if (typeof value === "function") {
                const method = typeof prop === "string" ? methods[prefix + prop] : undefined;
                if (method !== undefined)
                    out = traced(value, target, prop, method);
                else if (prefix === "" && prop === "withOptions")
                    out = rewrapping(value, target, methods, prefixes);
                else
                    out = value.bind(target);
            }
            else if (typeof value === "object" && value !== null && typeof prop === "string" && prefixes.has(prefix + prop)) {
                out = wrapClient(value, `${prefix}${prop}.`, methods, prefixes);
            }
            else {
                return value;
            }
            // A proxy must return a frozen property's own value.
            const own = Object.getOwnPropertyDescriptor(target, prop);
            if (own !== undefined && !own.configurable && !own.writable)
                return value;
            cache.set(prop, { from: value, to: out });
            return out;
        },
    });
}
/** `client.withOptions(...)`: the new client it makes is traced too. */
function rewrapping(fn, target, methods, prefixes) {
    return function tracedWithOptions(...args) {
        const made = fn.apply(target, args);
        return typeof made === "object" && made !== null ? wrapClient(made, "", methods, prefixes) : made;
    };
}
/** Every path that leads to a traced method (`chat`, `chat.completions`, ...). */
function prefixesOf(methods) {
    const out = new Set();
    for (const path of Object.keys(methods)) {
        const parts = path.split(".");
        for (let i = 1; i < parts.length; i++)
            out.add(parts.slice(0, i).join("."));
    }
    return out;
}
/** Ends the span of a call whose promise or stream nobody read, once it is collected. */
const abandoned = new FinalizationRegistry((end) => end());
/**
 * The callback ending a call's span when what it returned is collected. Made here, apart: a
 * closure made where the returned object is in scope could keep it alive.
 */
function endWithoutOutputs(call) {
    return () => call.succeed(undefined);
}
/**
 * Follows a call's promise. The clients' `APIPromise` parses the body only when asked (`then`,
 * `withResponse`, all through its `parse`), and `asResponse()` hands the raw body to the
 * caller: so the same object is returned, its `parse` traced (the span ends with the parsed
 * result, through `onValue`) and its `asResponse` ending the span without outputs.
 */
function followPromise(result, call, onValue) {
    // A promise nobody awaits ends its span when it is collected (no outputs).
    const token = {};
    const settle = (value) => {
        abandoned.unregister(token);
        try {
            onValue(value, call);
        }
        catch (e) {
            (0, span_1.internalError)("recording an LLM call's result", e);
            call.succeed(undefined);
        }
        return value;
    };
    const fail = (err) => {
        abandoned.unregister(token);
        call.fail(err);
        throw err;
    };
    if (typeof result !== "object" || result === null || typeof result.then !== "function") {
        settle(result);
        return result;
    }
    const p = result;
    if (typeof p.parse !== "function") {
        // Another thenable: a new promise of the same value.
        return Promise.resolve(result).then(settle, fail);
    }
    abandoned.register(p, endWithoutOutputs(call), token);
    const parse = p.parse;
    let parsed;
    p.parse = function tracedParse() {
        return (parsed ??= parse.call(p).then(settle, fail));
    };
    const asResponse = p.asResponse;
    if (typeof asResponse === "function") {
        p.asResponse = function tracedAsResponse(...args) {
            return asResponse.apply(p, args).then((r) => {
                if (parsed === undefined) {
                    abandoned.unregister(token);
                    call.succeed(undefined);
                }
                return r;
            }, (e) => fail(e));
        };
    }
    return p;
}
/** Whether `v` is the clients' `Stream` (a fresh iterator per `iterator()` call, an `AbortController`). */
function isClientStream(v) {
    if (typeof v !== "object" || v === null)
        return false;
    const s = v;
    return typeof s.iterator === "function" && typeof s[Symbol.asyncIterator] === "function";
}
/**
 * Records a client's stream on its span as the caller reads it, in place (the stream's own
 * `iterator`): one event per item (`mlflow.chunk.item.{i}`, as MLflow), and at the end the
 * outputs `rebuild(items)` makes. The span ends once: when the stream is exhausted, throws, is
 * left early (`break`), is aborted (`controller.abort()`), or is collected unread.
 */
function tapStream(stream, call, rebuild) {
    const items = [];
    let sampled = false;
    try {
        const n = call.span._native;
        sampled = n !== null && native_1.native.spanIsSampled(n);
    }
    catch {
        // keep the span, skip item capture
    }
    const token = {};
    const end = () => {
        if (call.done)
            return;
        abandoned.unregister(token);
        let out = null;
        try {
            out = rebuild(items);
        }
        catch (e) {
            warnOnce("llm:rebuild", `ferrotrace: could not rebuild a streamed LLM result: ${String(e)}`);
        }
        call.succeed(out);
    };
    const fail = (err) => {
        abandoned.unregister(token);
        call.fail(err);
    };
    const record = (item) => {
        if (call.done)
            return;
        const index = items.length;
        items.push(item);
        const n = call.span._native;
        if (!sampled || n === null || index >= capture_1.CAPS.max_items)
            return;
        try {
            native_1.native.spanChunk(n, index, (0, capture_1.toJsonText)(item));
        }
        catch (e) {
            (0, span_1.internalError)("recording a stream item", e);
        }
    };
    const iterator = stream.iterator;
    stream.iterator = function tracedIterator() {
        const it = iterator.call(this);
        return {
            async next(...args) {
                let r;
                try {
                    r = await it.next(...args);
                }
                catch (err) {
                    fail(err);
                    throw err;
                }
                if (r.done)
                    end();
                else
                    record(r.value);
                return r;
            },
            async return(value) {
                try {
                    return typeof it.return === "function" ? await it.return(value) : { done: true, value };
                }
                finally {
                    end();
                }
            },
            async throw(err) {
                if (typeof it.throw !== "function") {
                    fail(err);
                    throw err;
                }
                try {
                    return await it.throw(err);
                }
                finally {
                    end();
                }
            },
            [Symbol.asyncIterator]() {
                return this;
            },
        };
    };
    try {
        stream.controller?.signal?.addEventListener("abort", end, { once: true });
    }
    catch {
        // no abort signal: the iteration still ends the span
    }
    abandoned.register(stream, end, token);
}
