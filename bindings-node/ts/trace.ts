/**
 * `trace`: a function wrapper (each call is a span) and a method decorator, in both the legacy
 * (`experimentalDecorators`) and the TC39 (TypeScript 5) forms.
 */
import { primitiveJson, toJsonText } from "./capture";
import { DEFAULT_SPAN_NAME } from "./constants";
import { current, scopes } from "./context";
import { startHooks } from "./hooks";
import { native } from "./native";
import { inputKeys, inputsFor, parameterNames, primitiveInputs } from "./params";
import { LiveSpan, SpanType } from "./span";
import { finishOrStream, open, runIn } from "./spans";

const hrtime = process.hrtime.bigint;

/** Registers a traced function's name and type once; -1 (every call starts as usual) on failure. */
function registerSite(name: string, spanType: string | undefined): number {
  try {
    return native.registerSite(name, spanType === undefined || spanType === SpanType.UNKNOWN ? null : spanType);
  } catch {
    return -1;
  }
}

/** Options of `trace`. */
export interface TraceOptions {
  /** Span name; the function's (or method's) name if not given. */
  name?: string;
  spanType?: SpanType | string;
  attributes?: Record<string, unknown>;
}

type AnyFunction = (...args: any[]) => any;

/** Wraps `fn` so each call is a span; see `trace`. */
function traceFunction<F extends AnyFunction>(fn: F, options?: TraceOptions, methodName?: string): F {
  const names = parameterNames(fn);
  const name = options?.name || methodName || fn.name || DEFAULT_SPAN_NAME;
  const spanType = options?.spanType;
  const attributes = options?.attributes;
  const site = registerSite(name, spanType);
  const keys = inputKeys(names);
  const wrapper = function (this: unknown, ...args: unknown[]): unknown {
    const scope = scopes.getStore();
    if (scope !== undefined && !scope.enabled) return fn.apply(this, args);
    const parent = current.getStore();
    let span: LiveSpan | null;
    // Common case: a pending span, started natively only if something needs it, else ended in
    // one native call. Start hooks, static attributes and a root taking a scope's remote parent
    // or trace data start the span at once, as does a child of a no-op span (itself a no-op).
    if (
      site >= 0 &&
      attributes === undefined &&
      startHooks.length === 0 &&
      (parent !== undefined
        ? parent._native !== null // a child starts: the parent must exist natively now
        : scope === undefined || (scope.update === null && scope.traceparent === undefined))
    ) {
      const inputs =
        (keys !== null ? primitiveInputs(keys, args, primitiveJson) : undefined) ?? toJsonText(inputsFor(names, args));
      span = LiveSpan._lazy({ site, parent, t0: hrtime(), inputs });
    } else {
      span = open(name, spanType, inputsFor(names, args), attributes, null, parent);
      if (span === null) return fn.apply(this, args);
    }
    return runIn(span, () => fn.apply(this, args), finishOrStream);
  };
  Object.defineProperty(wrapper, "length", { value: fn.length });
  Object.defineProperty(wrapper, "name", { value: fn.name });
  for (const key of Object.keys(fn)) {
    (wrapper as unknown as Record<string, unknown>)[key] = (fn as unknown as Record<string, unknown>)[key];
  }
  return wrapper as unknown as F;
}

/**
 * The method decorator `trace(options)` returns. TypeScript picks the signature of the
 * decorator mode in force: `(method, context)` for TC39 decorators (TypeScript 5 default),
 * `(target, key, descriptor)` with `experimentalDecorators`.
 */
export interface TraceDecorator {
  <F extends AnyFunction>(method: F, context: ClassMethodDecoratorContext): F;
  (target: object, propertyKey: string | symbol, descriptor: PropertyDescriptor): PropertyDescriptor;
}

function keyName(key: unknown): string {
  return typeof key === "symbol" ? (key.description ?? "") : String(key);
}

let warnedDecorator = false;
function notAMethod(what: string): void {
  if (warnedDecorator) return;
  warnedDecorator = true;
  console.warn(`ferrotrace: @trace() decorates methods only; left ${what} untraced.`);
}

function decorator(options: TraceOptions | undefined): TraceDecorator {
  return function traceDecorator(...args: any[]): any {
    const [a, b, c] = args;
    // TC39: (value, context) where context.kind says what is decorated.
    if (args.length === 2 && typeof b === "object" && b !== null && "kind" in b) {
      if (b.kind === "method" && typeof a === "function") {
        return traceFunction(a as AnyFunction, options, keyName(b.name));
      }
      notAMethod(`the ${String(b.kind)} ${keyName(b.name)}`);
      return undefined;
    }
    // Legacy: (target, key, descriptor).
    const descriptor = c as PropertyDescriptor | undefined;
    if (descriptor && typeof descriptor.value === "function") {
      descriptor.value = traceFunction(descriptor.value as AnyFunction, options, keyName(b));
      return descriptor;
    }
    notAMethod(args.length >= 2 ? `the member ${keyName(b)}` : "a class");
    return descriptor;
  } as TraceDecorator;
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
export function trace<F extends AnyFunction>(fn: F, options?: TraceOptions): F;
export function trace(options?: TraceOptions): TraceDecorator;
export function trace(a?: AnyFunction | TraceOptions, b?: TraceOptions): unknown {
  if (typeof a === "function") return traceFunction(a, b);
  return decorator(a);
}
