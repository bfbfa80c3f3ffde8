import { type LiveSpan } from "./span";
/** One traced method: the core's call name, the span type, how the span is named. */
export interface Method {
    readonly call: string;
    readonly spanType: string;
    /** The span name from the resource object and the method name. */
    readonly name: (resource: object, method: string) => string;
    /** Follows what the method returned until the call ends; returns it unchanged. */
    readonly follow: (result: unknown, call: ProviderCall) => unknown;
}
/** Prints `message` once per `key` for the process. */
export declare function warnOnce(key: string, message: string): void;
/** The span of one provider call; it ends once, with a result or an error. */
export declare class ProviderCall {
    readonly span: LiveSpan;
    readonly call: string;
    done: boolean;
    constructor(span: LiveSpan, call: string);
    /** Ends the span with `result` as outputs (none when `null`/`undefined`). */
    succeed(result: unknown): void;
    /** Ends the span with the error the call threw, as MLflow's integrations record it. */
    fail(err: unknown): void;
}
/**
 * A proxy of `obj` (found at `prefix` from the client) whose methods in `methods` are traced
 * and whose objects on the way to one are proxied too. Other methods are the object's own,
 * called on the object itself (private fields need the real receiver).
 */
export declare function wrapClient<T extends object>(obj: T, prefix: string, methods: Readonly<Record<string, Method>>, prefixes: ReadonlySet<string>): T;
/** Every path that leads to a traced method (`chat`, `chat.completions`, ...). */
export declare function prefixesOf(methods: Readonly<Record<string, Method>>): Set<string>;
/**
 * Follows a call's promise. The clients' `APIPromise` parses the body only when asked (`then`,
 * `withResponse`, all through its `parse`), and `asResponse()` hands the raw body to the
 * caller: so the same object is returned, its `parse` traced (the span ends with the parsed
 * result, through `onValue`) and its `asResponse` ending the span without outputs.
 */
export declare function followPromise(result: unknown, call: ProviderCall, onValue: (value: unknown, call: ProviderCall) => void): unknown;
interface ClientStream {
    iterator: () => AsyncIterator<unknown>;
    controller?: {
        signal?: AbortSignal;
    };
}
/** Whether `v` is the clients' `Stream` (a fresh iterator per `iterator()` call, an `AbortController`). */
export declare function isClientStream(v: unknown): v is ClientStream;
/**
 * Records a client's stream on its span as the caller reads it, in place (the stream's own
 * `iterator`): one event per item (`mlflow.chunk.item.{i}`, as MLflow), and at the end the
 * outputs `rebuild(items)` makes. The span ends once: when the stream is exhausted, throws, is
 * left early (`break`), is aborted (`controller.abort()`), or is collected unread.
 */
export declare function tapStream(stream: ClientStream, call: ProviderCall, rebuild: (items: unknown[]) => unknown): void;
export {};
