/**
 * What `tracedOpenAI` and `tracedAnthropic` share: a proxy of the client that traces the
 * methods of a table (by their path from the client, `chat.completions.create`), the span of
 * one provider call, and following what the call returns (the client's `APIPromise`, a stream)
 * without replacing it.
 *
 * A traced method starts a span (a child of the current span, not made current, as MLflow's
 * integrations do) with the request body as inputs; the core sets the attributes MLflow's
 * integrations set (`src/llm.rs`). The caller gets the very object the client returned, and
 * sees every error as the client threw it: tracing steps are guarded.
 */
import { CAPS, toJsonText } from "./capture";
import { current } from "./context";
import { native } from "./native";
import { describeError, internalError, type LiveSpan } from "./span";
import { open } from "./spans";

/** One traced method: the core's call name, the span type, how the span is named. */
export interface Method {
  readonly call: string;
  readonly spanType: string;
  /** The span name from the resource object and the method name. */
  readonly name: (resource: object, method: string) => string;
  /** Follows what the method returned until the call ends; returns it unchanged. */
  readonly follow: (result: unknown, call: ProviderCall) => unknown;
}

const warned = new Set<string>();

/** Prints `message` once per `key` for the process. */
export function warnOnce(key: string, message: string): void {
  if (warned.has(key)) return;
  warned.add(key);
  console.warn(message);
}

/** The span of one provider call; it ends once, with a result or an error. */
export class ProviderCall {
  done = false;

  constructor(
    readonly span: LiveSpan,
    readonly call: string,
  ) {}

  /** Ends the span with `result` as outputs (none when `null`/`undefined`). */
  succeed(result: unknown): void {
    if (this.done) return;
    this.done = true;
    try {
      const n = this.span._native;
      if (n !== null) native.llmEnd(n, this.call, result === undefined || result === null ? null : toJsonText(result));
    } catch (e) {
      internalError("recording an LLM call's result", e);
    }
    this.span.end();
  }

  /** Ends the span with the error the call threw, as MLflow's integrations record it. */
  fail(err: unknown): void {
    if (this.done) return;
    this.done = true;
    try {
      const n = this.span._native;
      const e = describeError(err);
      // The clients' errors keep `Error` as their name: their class names the error
      // (`BadRequestError`), as the Python clients' exception types do.
      const ctor = (err as { constructor?: { name?: unknown } } | null)?.constructor?.name;
      const type = e.type === "Error" && typeof ctor === "string" && ctor !== "" ? ctor : e.type;
      if (n !== null) native.llmFail(n, this.call, type, e.message, e.stack);
    } catch (e) {
      internalError("recording an LLM call's error", e);
    }
    this.span.end();
  }
}

/** Starts the span of a call, or `null` when not tracing here (then the call runs untouched). */
function start(name: string, method: Method, inputs: unknown): ProviderCall | null {
  try {
    const span = open(name, method.spanType, inputs, undefined, null, current.getStore());
    const n = span?._native ?? null;
    if (span === null || n === null) return null;
    native.llmStart(n, method.call);
    return new ProviderCall(span, method.call);
  } catch (e) {
    internalError("starting an LLM call's span", e);
    return null;
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * The request options with the span's W3C `traceparent` header added (the caller's own headers
 * win), as MLflow's integrations send it, so a traced gateway can continue the trace. Options
 * or headers of another shape (a `Headers` object) are left as they are.
 */
function withTraceparent(args: unknown[], call: ProviderCall): unknown[] {
  try {
    const options = args[1];
    if (options !== undefined && !isPlainObject(options)) return args;
    const headers = options?.headers;
    if (headers !== undefined && headers !== null && !isPlainObject(headers)) return args;
    const n = call.span._native;
    if (n === null) return args;
    const out = args.slice();
    out[1] = { ...options, headers: { traceparent: native.spanTraceparent(n), ...headers } };
    return out;
  } catch {
    return args;
  }
}

function traced(fn: Function, target: object, prop: string, method: Method): Function {
  return function tracedCall(this: unknown, ...args: unknown[]): unknown {
    let name = prop;
    try {
      name = method.name(target, prop);
    } catch {
      // keep the method name
    }
    const call = start(name, method, args[0]);
    if (call === null) return fn.apply(target, args);
    let result: unknown;
    try {
      result = fn.apply(target, withTraceparent(args, call));
    } catch (err) {
      call.fail(err);
      throw err;
    }
    try {
      return method.follow(result, call);
    } catch (e) {
      internalError("following an LLM call", e);
      return result;
    }
  };
}

/**
 * A proxy of `obj` (found at `prefix` from the client) whose methods in `methods` are traced
 * and whose objects on the way to one are proxied too. Other methods are the object's own,
 * called on the object itself (private fields need the real receiver).
 */
export function wrapClient<T extends object>(
  obj: T,
  prefix: string,
  methods: Readonly<Record<string, Method>>,
  prefixes: ReadonlySet<string>,
): T {
  const cache = new Map<PropertyKey, { readonly from: unknown; readonly to: unknown }>();
  return new Proxy(obj, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      const hit = cache.get(prop);
      if (hit !== undefined && hit.from === value) return hit.to;
      let out: unknown = value;
      if (typeof value === "function") {
        const method = typeof prop === "string" ? methods[prefix + prop] : undefined;
        if (method !== undefined) out = traced(value, target, prop as string, method);
        else if (prefix === "" && prop === "withOptions") out = rewrapping(value, target, methods, prefixes);
        else out = value.bind(target);
      } else if (typeof value === "object" && value !== null && typeof prop === "string" && prefixes.has(prefix + prop)) {
        out = wrapClient(value, `${prefix}${prop}.`, methods, prefixes);
      } else {
        return value;
      }
      // A proxy must return a frozen property's own value.
      const own = Object.getOwnPropertyDescriptor(target, prop);
      if (own !== undefined && !own.configurable && !own.writable) return value;
      cache.set(prop, { from: value, to: out });
      return out;
    },
  });
}

/** `client.withOptions(...)`: the new client it makes is traced too. */
function rewrapping(
  fn: Function,
  target: object,
  methods: Readonly<Record<string, Method>>,
  prefixes: ReadonlySet<string>,
): Function {
  return function tracedWithOptions(...args: unknown[]): unknown {
    const made: unknown = fn.apply(target, args);
    return typeof made === "object" && made !== null ? wrapClient(made, "", methods, prefixes) : made;
  };
}

/** Every path that leads to a traced method (`chat`, `chat.completions`, ...). */
export function prefixesOf(methods: Readonly<Record<string, Method>>): Set<string> {
  const out = new Set<string>();
  for (const path of Object.keys(methods)) {
    const parts = path.split(".");
    for (let i = 1; i < parts.length; i++) out.add(parts.slice(0, i).join("."));
  }
  return out;
}

/** Ends the span of a call whose promise or stream nobody read, once it is collected. */
const abandoned = new FinalizationRegistry<() => void>((end) => end());

/**
 * The callback ending a call's span when what it returned is collected. Made here, apart: a
 * closure made where the returned object is in scope could keep it alive.
 */
function endWithoutOutputs(call: ProviderCall): () => void {
  return () => call.succeed(undefined);
}

interface ApiPromiseLike {
  parse: () => Promise<unknown>;
  asResponse?: (...args: unknown[]) => Promise<unknown>;
  then: unknown;
}

/**
 * Follows a call's promise. The clients' `APIPromise` parses the body only when asked (`then`,
 * `withResponse`, all through its `parse`), and `asResponse()` hands the raw body to the
 * caller: so the same object is returned, its `parse` traced (the span ends with the parsed
 * result, through `onValue`) and its `asResponse` ending the span without outputs.
 */
export function followPromise(
  result: unknown,
  call: ProviderCall,
  onValue: (value: unknown, call: ProviderCall) => void,
): unknown {
  // A promise nobody awaits ends its span when it is collected (no outputs).
  const token = {};
  const settle = (value: unknown): unknown => {
    abandoned.unregister(token);
    try {
      onValue(value, call);
    } catch (e) {
      internalError("recording an LLM call's result", e);
      call.succeed(undefined);
    }
    return value;
  };
  const fail = (err: unknown): never => {
    abandoned.unregister(token);
    call.fail(err);
    throw err;
  };
  if (typeof result !== "object" || result === null || typeof (result as { then?: unknown }).then !== "function") {
    settle(result);
    return result;
  }
  const p = result as ApiPromiseLike;
  if (typeof p.parse !== "function") {
    // Another thenable: a new promise of the same value.
    return Promise.resolve(result).then(settle, fail);
  }
  abandoned.register(p, endWithoutOutputs(call), token);
  const parse = p.parse;
  let parsed: Promise<unknown> | undefined;
  p.parse = function tracedParse(): Promise<unknown> {
    return (parsed ??= parse.call(p).then(settle, fail));
  };
  const asResponse = p.asResponse;
  if (typeof asResponse === "function") {
    p.asResponse = function tracedAsResponse(...args: unknown[]): Promise<unknown> {
      return asResponse.apply(p, args).then(
        (r) => {
          if (parsed === undefined) {
            abandoned.unregister(token);
            call.succeed(undefined);
          }
          return r;
        },
        (e) => fail(e),
      );
    };
  }
  return p;
}

interface ClientStream {
  iterator: () => AsyncIterator<unknown>;
  controller?: { signal?: AbortSignal };
}

/** Whether `v` is the clients' `Stream` (a fresh iterator per `iterator()` call, an `AbortController`). */
export function isClientStream(v: unknown): v is ClientStream {
  if (typeof v !== "object" || v === null) return false;
  const s = v as Record<string | symbol, unknown>;
  return typeof s.iterator === "function" && typeof s[Symbol.asyncIterator] === "function";
}

/**
 * Records a client's stream on its span as the caller reads it, in place (the stream's own
 * `iterator`): one event per item (`mlflow.chunk.item.{i}`, as MLflow), and at the end the
 * outputs `rebuild(items)` makes. The span ends once: when the stream is exhausted, throws, is
 * left early (`break`), is aborted (`controller.abort()`), or is collected unread.
 */
export function tapStream(stream: ClientStream, call: ProviderCall, rebuild: (items: unknown[]) => unknown): void {
  const items: unknown[] = [];
  let sampled = false;
  try {
    const n = call.span._native;
    sampled = n !== null && native.spanIsSampled(n);
  } catch {
    // keep the span, skip item capture
  }
  const token = {};
  const end = (): void => {
    if (call.done) return;
    abandoned.unregister(token);
    let out: unknown = null;
    try {
      out = rebuild(items);
    } catch (e) {
      warnOnce("llm:rebuild", `ferrotrace: could not rebuild a streamed LLM result: ${String(e)}`);
    }
    call.succeed(out);
  };
  const fail = (err: unknown): void => {
    abandoned.unregister(token);
    call.fail(err);
  };
  const record = (item: unknown): void => {
    if (call.done) return;
    const index = items.length;
    items.push(item);
    const n = call.span._native;
    if (!sampled || n === null || index >= CAPS.max_items) return;
    try {
      native.spanChunk(n, index, toJsonText(item));
    } catch (e) {
      internalError("recording a stream item", e);
    }
  };
  const iterator = stream.iterator;
  stream.iterator = function tracedIterator(this: unknown): AsyncIterator<unknown> {
    const it = iterator.call(this);
    return {
      async next(...args: [] | [unknown]) {
        let r: IteratorResult<unknown>;
        try {
          r = await it.next(...args);
        } catch (err) {
          fail(err);
          throw err;
        }
        if (r.done) end();
        else record(r.value);
        return r;
      },
      async return(value?: unknown) {
        try {
          return typeof it.return === "function" ? await it.return(value) : { done: true, value };
        } finally {
          end();
        }
      },
      async throw(err?: unknown) {
        if (typeof it.throw !== "function") {
          fail(err);
          throw err;
        }
        try {
          return await it.throw(err);
        } finally {
          end();
        }
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    } as AsyncIterableIterator<unknown>;
  };
  try {
    stream.controller?.signal?.addEventListener("abort", end, { once: true });
  } catch {
    // no abort signal: the iteration still ends the span
  }
  abandoned.register(stream, end, token);
}
