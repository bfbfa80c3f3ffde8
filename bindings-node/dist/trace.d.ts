import { SpanType } from "./span";
/** Options of `trace`. */
export interface TraceOptions {
    /** Span name; the function's (or method's) name if not given. */
    name?: string;
    spanType?: SpanType | string;
    attributes?: Record<string, unknown>;
}
type AnyFunction = (...args: any[]) => any;
/**
 * The method decorator `trace(options)` returns. TypeScript picks the signature of the
 * decorator mode in force: `(method, context)` for TC39 decorators (TypeScript 5 default),
 * `(target, key, descriptor)` with `experimentalDecorators`.
 */
export interface TraceDecorator {
    <F extends AnyFunction>(method: F, context: ClassMethodDecoratorContext): F;
    (target: object, propertyKey: string | symbol, descriptor: PropertyDescriptor): PropertyDescriptor;
}
/**
 * Wraps a function so every call is recorded as a span: inputs keyed by parameter name,
 * the return (or resolved) value as outputs, and a thrown error as status ERROR plus an
 * `exception` event (the error is rethrown unchanged). `this`, `name` and `length` are kept.
 * A function that returns a generator, async generator or async iterable gets one span for the
 * whole stream (items as events, outputs the list). Called with options only (or none), returns
 * a method decorator (legacy and TC39 forms); the span is named after the method.
 *
 * @example
 * ```ts
 * const retrieve = trace(async function retrieve(query: string) {
 *   return await search(query);
 * }, { spanType: SpanType.RETRIEVER });
 * await retrieve("rust"); // span "retrieve", inputs {query: "rust"}
 *
 * class Agent {
 *   @trace({ spanType: SpanType.AGENT })
 *   async answer(question: string) { ... } // span "answer"
 * }
 * ```
 */
export declare function trace<F extends AnyFunction>(fn: F, options?: TraceOptions): F;
export declare function trace(options?: TraceOptions): TraceDecorator;
export {};
