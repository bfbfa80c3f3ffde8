/**
 * How every API starts a span and runs code in it: the scope decides whether to trace and adds
 * its trace data to roots; start hooks run; the callback runs with the span current; its result
 * (or rejection) ends the span.
 */
import { types } from "node:util";

import { toJsonText } from "./capture";
import { current, scopes } from "./context";
import { runHooks, startHooks } from "./hooks";
import { native } from "./native";
import { internalError, LiveSpan, NoOpSpan, SpanType } from "./span";
import { traceStream } from "./stream";

/**
 * Starts a span: a child of `parent`, else the root of a new trace (continuing the scope's remote
 * parent, if any). Returns `null` when tracing is off in this scope, and a no-op span when
 * starting fails or `parent` is itself a no-op.
 */
export function open(
  name: string,
  spanType: string | undefined,
  inputs: unknown,
  attributes: Record<string, unknown> | undefined,
  startNs: bigint | null,
  parent: LiveSpan | undefined,
): LiveSpan | null {
  const scope = scopes.getStore();
  if (scope !== undefined && !scope.enabled) return null;
  try {
    const inputsJson = inputs === undefined ? null : toJsonText(inputs);
    // No type crosses as null: the addon writes UNKNOWN from a constant (one string
    // conversion fewer per traced call).
    const type = spanType === undefined || spanType === SpanType.UNKNOWN ? null : spanType;
    let span: LiveSpan;
    if (parent !== undefined) {
      const p = parent._native;
      if (p === null) {
        // A no-op parent makes a no-op child; one no longer kept loses it, counted.
        const lost = new NoOpSpan();
        if (parent._expired) {
          lost._expired = true;
          native.noteParentExpired();
        }
        return lost;
      }
      span = new LiveSpan(native.startChild(p, name, type, inputsJson, startNs));
    } else {
      span = new LiveSpan(native.startRoot(name, type, inputsJson, startNs, scope?.traceparent));
      if (scope !== undefined && scope.update !== null && span._native !== null) {
        native.spanUpdateTrace(span._native, scope.update);
      }
    }
    if (attributes) span.setAttributes(attributes);
    if (startHooks.length > 0) runHooks(startHooks, span, "start");
    return span;
  } catch (e) {
    internalError("starting a span", e);
    return new NoOpSpan();
  }
}

/** Ends `span` with `value` as outputs (unless the body set them) and returns the value. */
export function finishWith(span: LiveSpan, value: unknown): unknown {
  span._finish(value);
  return value;
}

/**
 * As `finishWith`, unless `value` is a stream (generator, async generator, async iterable):
 * then the traced stream is returned and its iteration ends the span.
 */
export function finishOrStream(span: LiveSpan, value: unknown): unknown {
  const stream = traceStream(span, value);
  if (stream !== undefined) return stream;
  span._finish(value);
  return value;
}

/**
 * Whether `v` is a real Promise. `instanceof` alone runs a Proxy's `getPrototypeOf` trap (which
 * may throw, or be revoked) and is true for a Proxy around a Promise, whose `then` then throws:
 * the internal-slot check runs no user code.
 */
function isPromise(v: unknown): v is Promise<unknown> {
  try {
    return v instanceof Promise && types.isPromise(v);
  } catch {
    return false;
  }
}

/**
 * Runs `callback` with `span` as the current span; `settle` ends it with the return (or
 * resolved) value and gives what the caller receives. A throw (or rejection) is recorded and
 * rethrown unchanged. Only real Promises are awaited: calling `then` on other thenables could
 * start work (query builders do), so they are returned as they are.
 */
export function runIn<T>(
  span: LiveSpan,
  callback: (span: LiveSpan) => T,
  settle: (span: LiveSpan, value: unknown) => unknown = finishWith,
): T {
  let result: T;
  try {
    result = current.run(span, callback, span);
  } catch (err) {
    span._fail(err);
    throw err;
  }
  if (isPromise(result)) {
    return result.then(
      (value: unknown) => settle(span, value),
      (err: unknown) => {
        span._fail(err);
        throw err;
      },
    ) as T;
  }
  return settle(span, result) as T;
}
