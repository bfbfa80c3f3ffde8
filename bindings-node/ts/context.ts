/**
 * Context that follows the code across `await`, timers and callbacks (AsyncLocalStorage): the
 * current span, and the scope spans start in (metadata, tags, session and user for traces
 * started in it, tracing on or off, a remote parent).
 */
import { AsyncLocalStorage } from "node:async_hooks";

import { toJsonText } from "./capture";
import type { LiveSpan } from "./span";

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

/** The scope in force, if any. */
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
