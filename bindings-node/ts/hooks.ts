/**
 * Span hooks (MLflow's `registerOnSpanStartHook` / `registerOnSpanEndHook`): functions called
 * with the live span on the JS thread, when a span starts and just before it ends. An end hook
 * may still change the span (inputs, outputs, attributes, status), so it can redact values
 * before they are exported. A hook that throws is skipped (reported once per hook).
 */
import type { LiveSpan } from "./span";
import { invalidArgument } from "./errors";

/** A hook: receives the span; its return value is ignored. */
export type SpanHook = (span: LiveSpan) => void;

// Replaced as a whole on (un)registration, never mutated: a hook that unregisters itself while
// the list runs does not disturb the loop. Read on every span start and end, so kept flat.
export let startHooks: readonly SpanHook[] = [];
export let endHooks: readonly SpanHook[] = [];

const warned = new WeakSet<SpanHook>();

/** Runs `hooks` with `span`; a hook that throws is reported once and the others still run. */
export function runHooks(hooks: readonly SpanHook[], span: LiveSpan, when: string): void {
  for (const hook of hooks) {
    try {
      hook(span);
    } catch (e) {
      if (warned.has(hook)) continue;
      warned.add(hook);
      console.warn(`ferrotrace: a span ${when} hook threw (ignored from now on, tracing continues):`, e);
    }
  }
}

function check(hook: unknown, what: string): SpanHook {
  if (typeof hook !== "function") throw invalidArgument(`${what} takes a function (span) => void`, TypeError);
  return hook as SpanHook;
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
export function registerOnSpanStartHook(hook: SpanHook): () => void {
  const h = check(hook, "registerOnSpanStartHook");
  startHooks = [...startHooks, h];
  return () => {
    startHooks = startHooks.filter((x) => x !== h);
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
export function registerOnSpanEndHook(hook: SpanHook): () => void {
  const h = check(hook, "registerOnSpanEndHook");
  endHooks = [...endHooks, h];
  return () => {
    endHooks = endHooks.filter((x) => x !== h);
  };
}
