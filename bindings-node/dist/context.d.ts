/**
 * Context that follows the code across `await`, timers and callbacks (AsyncLocalStorage): the
 * current span, and the scope of `tracingContext` / `withTracingContextFromHeaders` (metadata,
 * tags, session and user for traces started in it, tracing on or off, a remote parent).
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { LiveSpan } from "./span";
/** The span of the innermost running `trace` / `withSpan` call. */
export declare const current: AsyncLocalStorage<LiveSpan | undefined>;
/** What a scope declares for spans started in it. Inner scopes are merged over outer ones. */
export interface Scope {
    readonly enabled: boolean;
    readonly metadata: Readonly<Record<string, string>>;
    readonly tags: Readonly<Record<string, string>>;
    readonly sessionId?: string;
    readonly user?: string;
    /** A remote parent (W3C `traceparent`, canonical form) for traces started in scope. */
    readonly traceparent?: string;
    /** The trace update for roots started in scope, as the native JSON, or `null` if empty. */
    readonly update: string | null;
}
/** The scope in force; never entered until `tracingContext` or a headers function runs. */
export declare const scopes: AsyncLocalStorage<Scope>;
/** Whether tracing is switched off here (`tracingContext({enabled: false}, ...)`). */
export declare function disabledHere(): boolean;
/** Stringifies values as `updateCurrentTrace` does: strings as they are, others as JSON text. */
export declare function strings(r: Record<string, unknown> | undefined): Record<string, string> | undefined;
/** Options of `tracingContext`. */
export interface TracingContextOptions {
    /** Metadata of every trace started in scope. */
    metadata?: Record<string, unknown>;
    /** Tags of every trace started in scope. */
    tags?: Record<string, unknown>;
    /** `false` turns tracing off in scope: traced functions run untouched, spans are no-ops. */
    enabled?: boolean;
    /** Session of every trace started in scope (metadata `mlflow.trace.session`). */
    sessionId?: string;
    /** User of every trace started in scope (metadata `mlflow.trace.user`). */
    user?: string;
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
export declare function tracingContext<T>(options: TracingContextOptions, fn: () => T): T;
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
export declare function getTracingContextHeadersForHttpRequest(): Record<string, string>;
type HeaderValue = string | string[] | number | undefined | null;
/** Node's `IncomingHttpHeaders`, a plain object, fetch's `Headers`, a `Map` or `[key, value]` pairs. */
export type HeadersLike = Record<string, HeaderValue> | Iterable<[string, HeaderValue]> | {
    entries(): Iterable<[string, HeaderValue]>;
};
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
export declare function withTracingContextFromHeaders<T>(headers: HeadersLike, callback: () => T): T;
/**
 * `withTracingContextFromHeaders` for an async callback: resolves to what it resolves to.
 *
 * @example
 * ```ts
 * const out = await withTracingContextFromHeadersAsync(req.headers, async () => agent(q));
 * ```
 */
export declare function withTracingContextFromHeadersAsync<T>(headers: HeadersLike, callback: () => Promise<T> | T): Promise<T>;
export {};
