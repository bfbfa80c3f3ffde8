/**
 * Context that follows the code across `await`, timers and callbacks (AsyncLocalStorage): the
 * current span, and the scope of `tracingContext` / `withTracingContextFromHeaders` (metadata,
 * tags, session and user for traces started in it, tracing on or off, a remote parent).
 */
import { AsyncLocalStorage } from "node:async_hooks";

import { toJsonText } from "./capture";
import { native } from "./native";
import type { LiveSpan } from "./span";
import { invalidArgument } from "./errors";

/** The span of the innermost running `trace` / `withSpan` call. */
export const current = new AsyncLocalStorage<LiveSpan | undefined>();

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
export const scopes = new AsyncLocalStorage<Scope>();

/** Whether tracing is switched off here (`tracingContext({enabled: false}, ...)`). */
export function disabledHere(): boolean {
  const scope = scopes.getStore();
  return scope !== undefined && !scope.enabled;
}

/** Stringifies values as `updateCurrentTrace` does: strings as they are, others as JSON text. */
export function strings(r: Record<string, unknown> | undefined): Record<string, string> | undefined {
  if (!r) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(r)) out[k] = typeof v === "string" ? v : toJsonText(v);
  return out;
}

function nested(changes: {
  enabled?: boolean;
  metadata?: Record<string, string>;
  tags?: Record<string, string>;
  sessionId?: string;
  user?: string;
  traceparent?: string;
}): Scope {
  const outer = scopes.getStore();
  const metadata = { ...outer?.metadata, ...changes.metadata };
  const tags = { ...outer?.tags, ...changes.tags };
  const sessionId = changes.sessionId ?? outer?.sessionId;
  const user = changes.user ?? outer?.user;
  const empty =
    Object.keys(metadata).length === 0 && Object.keys(tags).length === 0 && sessionId === undefined && user === undefined;
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
export function tracingContext<T>(options: TracingContextOptions, fn: () => T): T {
  if (typeof fn !== "function") throw invalidArgument("tracingContext(options, fn): fn must be a function", TypeError);
  const o = options ?? {};
  if (o.enabled !== undefined && typeof o.enabled !== "boolean") {
    throw invalidArgument("tracingContext: `enabled` must be a boolean", TypeError);
  }
  const scope = nested({
    enabled: o.enabled,
    metadata: strings(o.metadata),
    tags: strings(o.tags),
    sessionId: o.sessionId === undefined || o.sessionId === null ? undefined : String(o.sessionId),
    user: o.user === undefined || o.user === null ? undefined : String(o.user),
  });
  return scopes.run(scope, fn);
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
export function getTracingContextHeadersForHttpRequest(): Record<string, string> {
  const span = current.getStore();
  try {
    if (span !== undefined && span._native !== null) return { traceparent: native.spanTraceparent(span._native) };
  } catch {
    // fall through: no headers
  }
  const remote = scopes.getStore()?.traceparent;
  if (remote !== undefined) return { traceparent: remote };
  console.warn("ferrotrace: getTracingContextHeadersForHttpRequest() was called without an active span; no headers.");
  return {};
}

type HeaderValue = string | string[] | number | undefined | null;
/** Node's `IncomingHttpHeaders`, a plain object, fetch's `Headers`, a `Map` or `[key, value]` pairs. */
export type HeadersLike =
  | Record<string, HeaderValue>
  | Iterable<[string, HeaderValue]>
  | { entries(): Iterable<[string, HeaderValue]> };

/** The `traceparent` of `headers` (any key case, first of an array), canonical; throws if absent or invalid. */
function traceparentOf(headers: HeadersLike): string {
  if (headers === null || typeof headers !== "object") {
    throw invalidArgument("headers must be an object (e.g. req.headers)", TypeError);
  }
  const h = headers as Record<string, unknown> & { entries?: unknown };
  // Pairs: arrays, Maps and fetch's Headers iterate as [key, value]; plain objects by entry.
  const pairs: Iterable<[string, HeaderValue]> =
    Symbol.iterator in h
      ? (h as unknown as Iterable<[string, HeaderValue]>)
      : typeof h.entries === "function"
        ? (h.entries as () => Iterable<[string, HeaderValue]>)()
        : (Object.entries(h) as Array<[string, HeaderValue]>);
  let value: HeaderValue;
  for (const pair of pairs) {
    if (!Array.isArray(pair) || String(pair[0]).toLowerCase() !== "traceparent") continue;
    value = pair[1];
    break;
  }
  const first = Array.isArray(value) ? value[0] : value;
  if (first === undefined || first === null || first === "") {
    throw invalidArgument("The 'traceparent' header is required to continue a trace (W3C Trace Context).");
  }
  const tp = native.normalizeTraceparent(String(first));
  if (tp === null) {
    throw invalidArgument(`Invalid 'traceparent' header ${JSON.stringify(String(first))}: expected 00-<32 hex>-<16 hex>-<2 hex>.`);
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
export function withTracingContextFromHeaders<T>(headers: HeadersLike, callback: () => T): T {
  if (typeof callback !== "function") throw invalidArgument("withTracingContextFromHeaders: callback must be a function", TypeError);
  const scope = nested({ traceparent: traceparentOf(headers) });
  // Outside the current local span: the remote span is the parent of what starts inside.
  return current.run(undefined, () => scopes.run(scope, callback));
}

/**
 * `withTracingContextFromHeaders` for an async callback: resolves to what it resolves to.
 *
 * @example
 * ```ts
 * const out = await withTracingContextFromHeadersAsync(req.headers, async () => agent(q));
 * ```
 */
export async function withTracingContextFromHeadersAsync<T>(
  headers: HeadersLike,
  callback: () => Promise<T> | T,
): Promise<T> {
  return await withTracingContextFromHeaders(headers, callback);
}
