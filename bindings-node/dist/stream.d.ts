import type { LiveSpan } from "./span";
/**
 * If `value` is a stream, returns the traced stream that ends `span` once consumed; else
 * `undefined` (the caller ends the span as usual).
 */
export declare function traceStream(span: LiveSpan, value: unknown): unknown;
