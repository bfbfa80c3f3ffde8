import { LiveSpan } from "./span";
/**
 * Starts a span: a child of `parent`, else the root of a new trace (continuing the scope's remote
 * parent, if any). Returns `null` when tracing is off in this scope, and a no-op span when
 * starting fails or `parent` is itself a no-op.
 */
export declare function open(name: string, spanType: string | undefined, inputs: unknown, attributes: Record<string, unknown> | undefined, startNs: bigint | null, parent: LiveSpan | undefined): LiveSpan | null;
/** Ends `span` with `value` as outputs (unless the body set them) and returns the value. */
export declare function finishWith(span: LiveSpan, value: unknown): unknown;
/**
 * As `finishWith`, unless `value` is a stream (generator, async generator, async iterable):
 * then the traced stream is returned and its iteration ends the span.
 */
export declare function finishOrStream(span: LiveSpan, value: unknown): unknown;
/**
 * Runs `callback` with `span` as the current span; `settle` ends it with the return (or
 * resolved) value and gives what the caller receives. A throw (or rejection) is recorded and
 * rethrown unchanged. Only real Promises are awaited: calling `then` on other thenables could
 * start work (query builders do), so they are returned as they are.
 */
export declare function runIn<T>(span: LiveSpan, callback: (span: LiveSpan) => T, settle?: (span: LiveSpan, value: unknown) => unknown): T;
