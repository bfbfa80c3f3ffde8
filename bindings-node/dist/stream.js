"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.traceStream = traceStream;
/**
 * Traced functions that return a stream (beyond MLflow's TypeScript SDK, as ferrotrace's Python
 * `@trace` on generators): a generator, an async generator, or another async iterable (an LLM
 * client's stream). Their one span stays open while the stream is consumed: each item is an
 * event `mlflow.chunk.item.{i}` (attribute `mlflow.chunk.value` = the item's JSON text), the
 * outputs are the list of items, and the span ends when the iteration finishes, throws, or is
 * abandoned (`break` calls `return()`), or else when the stream is garbage-collected.
 *
 * The span is the current span while the stream's own code runs (inside `next()`), never while
 * the consumer's loop body runs.
 */
const capture_1 = require("./capture");
const context_1 = require("./context");
const native_1 = require("./native");
const span_1 = require("./span");
/** Ends a stream's span when the stream is collected without having finished. */
const abandoned = new FinalizationRegistry((state) => finish(state));
function record(state, item) {
    if (state.done)
        return;
    const index = state.items.length;
    state.items.push(item);
    const n = state.span._native;
    // Past the item cap only the outputs count the items (as the core does for events).
    if (!state.sampled || n === null || index >= capture_1.CAPS.max_items)
        return;
    try {
        native_1.native.spanChunk(n, index, (0, capture_1.toJsonText)(item));
    }
    catch (e) {
        (0, span_1.internalError)("recording a stream item", e);
    }
}
function finish(state) {
    if (state.done)
        return;
    state.done = true;
    abandoned.unregister(state);
    state.span._finish(state.items);
}
function fail(state, err) {
    if (state.done)
        return;
    state.done = true;
    abandoned.unregister(state);
    state.span._fail(err);
}
/** Records one step's result: an item, or the end. A non-object result is left to the caller's loop. */
function settle(state, r) {
    if (typeof r === "object" && r !== null) {
        if (r.done)
            finish(state);
        else
            record(state, r.value);
    }
    return r;
}
function syncStep(state, call) {
    let r;
    try {
        r = context_1.current.run(state.span, call);
    }
    catch (err) {
        fail(state, err);
        throw err;
    }
    return settle(state, r);
}
async function asyncStep(state, call) {
    let r;
    try {
        r = await context_1.current.run(state.span, call);
    }
    catch (err) {
        fail(state, err);
        throw err;
    }
    return settle(state, r);
}
/** A generator returned by a traced function; forwards `next`, `return` and `throw`. */
class TracedGenerator {
    #it;
    #state;
    constructor(it, state) {
        this.#it = it;
        this.#state = state;
    }
    next(...args) {
        return syncStep(this.#state, () => this.#it.next(...args));
    }
    return(value) {
        const it = this.#it;
        if (typeof it.return !== "function") {
            finish(this.#state);
            return { value, done: true };
        }
        return syncStep(this.#state, () => it.return(value));
    }
    throw(err) {
        const it = this.#it;
        if (typeof it.throw !== "function") {
            fail(this.#state, err);
            throw err;
        }
        return syncStep(this.#state, () => it.throw(err));
    }
    [Symbol.iterator]() {
        return this;
    }
    get [Symbol.toStringTag]() {
        return "Generator";
    }
}
/** An async iterator (an async generator, or an async iterable's iterator) returned traced. */
class TracedAsyncIterator {
    #it;
    #state;
    #tag;
    constructor(it, state, tag) {
        this.#it = it;
        this.#state = state;
        this.#tag = tag;
    }
    next(...args) {
        return asyncStep(this.#state, () => this.#it.next(...args));
    }
    return(value) {
        const it = this.#it;
        if (typeof it.return !== "function") {
            finish(this.#state);
            return Promise.resolve({ value, done: true });
        }
        return asyncStep(this.#state, () => it.return(value));
    }
    throw(err) {
        const it = this.#it;
        if (typeof it.throw !== "function") {
            fail(this.#state, err);
            return Promise.reject(err);
        }
        return asyncStep(this.#state, () => it.throw(err));
    }
    [Symbol.asyncIterator]() {
        return this;
    }
    get [Symbol.toStringTag]() {
        return this.#tag;
    }
}
/**
 * A proxy of an async iterable that is not itself an iterator (e.g. an LLM client's stream
 * object): its first async iterator is traced; everything else (methods, fields, `instanceof`)
 * is the object's own, methods called on the object itself.
 */
function tracedIterable(target, state) {
    let iterated = false;
    const proxy = new Proxy(target, {
        get(t, key) {
            const value = Reflect.get(t, key, t);
            if (key === Symbol.asyncIterator && typeof value === "function") {
                return function tracedAsyncIterator() {
                    const it = value.call(t);
                    if (iterated || state.done)
                        return it;
                    iterated = true;
                    // From here the iterator, not the proxy, decides when the stream is abandoned.
                    abandoned.unregister(state);
                    const traced = new TracedAsyncIterator(it, state, "AsyncIterator");
                    abandoned.register(traced, state, state);
                    return traced;
                };
            }
            // Called on the object itself: private fields and internal slots need the real receiver.
            return typeof value === "function" ? value.bind(t) : value;
        },
        set(t, key, value) {
            return Reflect.set(t, key, value, t);
        },
    });
    abandoned.register(proxy, state, state);
    return proxy;
}
/**
 * What kind of stream `value` is: 1 a generator, 2 an async iterator (an async generator), 3 an
 * async iterable that is not an iterator; 0 none. Node and web streams (`pipe`, `getReader`)
 * are not counted: they are often consumed without iterating, which would leave the span open.
 */
function kind(value) {
    if (typeof value !== "object" || value === null)
        return 0;
    try {
        const v = value;
        if (typeof v[Symbol.asyncIterator] === "function") {
            if (typeof v.pipe === "function" || typeof v.getReader === "function")
                return 0;
            return typeof v.next === "function" ? 2 : 3;
        }
        if (typeof v.next === "function" &&
            typeof v[Symbol.iterator] === "function" &&
            Object.prototype.toString.call(value) === "[object Generator]") {
            return 1;
        }
    }
    catch {
        // a throwing getter or proxy trap: not a stream we can follow
    }
    return 0;
}
/**
 * If `value` is a stream, returns the traced stream that ends `span` once consumed; else
 * `undefined` (the caller ends the span as usual).
 */
function traceStream(span, value) {
    const k = kind(value);
    if (k === 0 || span._native === null)
        return undefined;
    let sampled = false;
    try {
        sampled = native_1.native.spanIsSampled(span._native);
    }
    catch {
        // keep the span, skip item capture
    }
    const state = { span, items: [], sampled, done: false };
    if (k === 1) {
        const traced = new TracedGenerator(value, state);
        abandoned.register(traced, state, state);
        return traced;
    }
    if (k === 2) {
        const tag = Object.prototype.toString.call(value).slice(8, -1);
        const traced = new TracedAsyncIterator(value, state, tag);
        abandoned.register(traced, state, state);
        return traced;
    }
    return tracedIterable(value, state);
}
