/**
 * Span hooks (MLflow's `registerOnSpanStartHook` / `registerOnSpanEndHook`): functions called
 * with the live span on the JS thread, when a span starts and just before it ends. An end hook
 * may still change the span (inputs, outputs, attributes, status), so it can redact values
 * before they are exported. A hook that throws is skipped (reported once per hook).
 */
import type { LiveSpan } from "./span";
/** A hook: receives the span; its return value is ignored. */
export type SpanHook = (span: LiveSpan) => void;
export declare let startHooks: readonly SpanHook[];
export declare let endHooks: readonly SpanHook[];
/** Runs `hooks` with `span`; a hook that throws is reported once and the others still run. */
export declare function runHooks(hooks: readonly SpanHook[], span: LiveSpan, when: string): void;
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
export declare function registerOnSpanStartHook(hook: SpanHook): () => void;
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
export declare function registerOnSpanEndHook(hook: SpanHook): () => void;
