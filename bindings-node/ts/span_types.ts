/**
 * The value types around a span: span types, status codes and statuses, events, links, times,
 * and the error description and internal-failure report every module uses.
 */
/** MLflow's span types (any other string is accepted as well). */
export enum SpanType {
  LLM = "LLM",
  CHAIN = "CHAIN",
  AGENT = "AGENT",
  TOOL = "TOOL",
  CHAT_MODEL = "CHAT_MODEL",
  RETRIEVER = "RETRIEVER",
  PARSER = "PARSER",
  EMBEDDING = "EMBEDDING",
  RERANKER = "RERANKER",
  MEMORY = "MEMORY",
  UNKNOWN = "UNKNOWN",
  WORKFLOW = "WORKFLOW",
  TASK = "TASK",
  GUARDRAIL = "GUARDRAIL",
  EVALUATOR = "EVALUATOR",
}

/** A span's status code. */
export enum SpanStatusCode {
  UNSET = "UNSET",
  OK = "OK",
  ERROR = "ERROR",
}

/**
 * A status code plus description.
 *
 * @example
 * ```ts
 * span.setStatus(new SpanStatus(SpanStatusCode.ERROR, "quota exceeded"));
 * ```
 */
export class SpanStatus {
  constructor(
    readonly statusCode: SpanStatusCode,
    readonly description: string = "",
  ) {}
}

/** Attribute values of an event (plain JSON values). */
export type AttributeValue = string | number | boolean | string[] | number[] | boolean[];

/**
 * A link to another span (of this or another trace), e.g. the request that caused a batch job.
 * `traceId` is `tr-<32 hex>` (or 32 hex), `spanId` 16 hex. OpenTelemetry's form
 * `{context: {traceId, spanId}, attributes}` is accepted by `addLink` too.
 */
export interface SpanLink {
  traceId: string;
  spanId: string;
  attributes?: Record<string, AttributeValue>;
}

/** OpenTelemetry's high-resolution time: `[seconds, nanoseconds]` since the epoch. */
export type HrTime = [number, number];

/** @internal `ns` as `[seconds, nanoseconds]`. */
export function hrTime(ns: bigint): HrTime {
  return [Number(ns / 1_000_000_000n), Number(ns % 1_000_000_000n)];
}

/**
 * Something that happened during a span, at a time in nanoseconds since the epoch.
 *
 * @example
 * ```ts
 * span.addEvent(new SpanEvent({ name: "cache_miss", attributes: { key: "q1" } }));
 * ```
 */
export class SpanEvent {
  readonly name: string;
  readonly timestamp: bigint;
  readonly attributes: Record<string, AttributeValue>;

  constructor(params: {
    name: string;
    timestamp?: bigint;
    attributes?: Record<string, AttributeValue>;
  }) {
    this.name = params.name;
    this.timestamp = params.timestamp ?? BigInt(Date.now()) * 1_000_000n;
    this.attributes = params.attributes ?? {};
  }

  /** An `exception` event with `exception.type`, `exception.message`, `exception.stacktrace`. */
  static fromException(error: Error): SpanEvent {
    const e = describeError(error);
    return new SpanEvent({
      name: "exception",
      attributes: {
        "exception.message": e.message,
        "exception.type": e.type,
        "exception.stacktrace": e.stack,
      },
    });
  }
}

/** Type, message and stack of anything thrown, without letting a getter's throw escape. */
export function describeError(err: unknown): { type: string; message: string; stack: string } {
  try {
    if (err instanceof Error || (typeof err === "object" && err !== null && "message" in err)) {
      const e = err as Error;
      const type = String(e.name || e.constructor?.name || "Error");
      return { type, message: String(e.message ?? ""), stack: String(e.stack ?? "") };
    }
    const type = err === null ? "null" : typeof err;
    return { type, message: String(err), stack: "" };
  } catch {
    return { type: "Error", message: "[unreadable error]", stack: "" };
  }
}

let warned = false;
/** Reports an internal failure once; tracing must never break the traced code. */
export function internalError(what: string, err: unknown): void {
  if (warned) return;
  warned = true;
  console.warn(`ferrotrace: ${what} failed (tracing continues, data may be incomplete):`, err);
}

/** Converts a nanosecond time given as number or bigint. */
export function toNs(t: number | bigint | undefined | null): bigint | null {
  if (t === undefined || t === null) return null;
  try {
    return typeof t === "bigint" ? t : BigInt(Math.round(t));
  } catch {
    return null;
  }
}
