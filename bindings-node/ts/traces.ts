/**
 * `getTrace`: a finished trace read back as MLflow's `Trace` (`info` + `data.spans`), from the
 * traces this process finished recently or else from the MLflow server. The shapes follow
 * MLflow's TypeScript entities (`Trace`, `TraceInfo`, `Span`); values are decoded from their
 * JSON text, times in nanoseconds are `bigint`.
 */
import { expectationFrom, feedbackFrom } from "./assessments";
import type { Expectation, Feedback, Json } from "./assessments";
import { internalError, SpanEvent, SpanStatus, SpanStatusCode, SpanType } from "./span";
import type { HrTime } from "./span";
import type { TraceLocation } from "./mlflow";
import { native } from "./native";

/** `SpanStatusCode` of a stored status (`STATUS_CODE_OK` or `OK`). */
function statusCode(code: unknown): SpanStatusCode {
  const c = String(code ?? "").replace(/^STATUS_CODE_/, "");
  return c === "OK" ? SpanStatusCode.OK : c === "ERROR" ? SpanStatusCode.ERROR : SpanStatusCode.UNSET;
}

function decoded(text: unknown): unknown {
  if (typeof text !== "string") return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

const hex = (b64: unknown): string | null =>
  typeof b64 === "string" && b64 !== "" ? Buffer.from(b64, "base64").toString("hex") : null;

const hr = (ns: bigint): HrTime => [Number(ns / 1_000_000_000n), Number(ns % 1_000_000_000n)];

/** A finished span as stored (read only): MLflow's `Span` getters. */
export class Span {
  /** The stored span dict: base64 ids, attribute values as JSON text, times as `bigint`. */
  private readonly raw: Json;
  private readonly fallbackTraceId: string;

  constructor(raw: Json, traceId: string) {
    this.raw = raw;
    this.fallbackTraceId = traceId;
  }

  get traceId(): string {
    const id = this.getAttribute("mlflow.traceRequestId");
    return typeof id === "string" ? id : this.fallbackTraceId;
  }
  /** 16 hex digits. */
  get spanId(): string {
    return hex(this.raw.span_id) ?? "";
  }
  get parentId(): string | null {
    return hex(this.raw.parent_span_id);
  }
  get name(): string {
    return String(this.raw.name ?? "");
  }
  get spanType(): SpanType | string {
    return (this.getAttribute("mlflow.spanType") as string | undefined) ?? SpanType.UNKNOWN;
  }
  get startTimeNs(): bigint {
    return this.raw.start_time_unix_nano as bigint;
  }
  get endTimeNs(): bigint | null {
    return (this.raw.end_time_unix_nano as bigint | null) ?? null;
  }
  get startTime(): HrTime {
    return hr(this.startTimeNs);
  }
  get endTime(): HrTime | null {
    const end = this.endTimeNs;
    return end === null ? null : hr(end);
  }
  get status(): SpanStatus {
    const s = (this.raw.status ?? {}) as Json;
    return new SpanStatus(statusCode(s.code), String(s.message ?? ""));
  }
  get inputs(): unknown {
    return this.getAttribute("mlflow.spanInputs");
  }
  get outputs(): unknown {
    return this.getAttribute("mlflow.spanOutputs");
  }
  /** Every attribute, decoded from its JSON text. */
  get attributes(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries((this.raw.attributes ?? {}) as Json)) out[k] = decoded(v);
    return out;
  }
  getAttribute(key: string): unknown {
    const v = ((this.raw.attributes ?? {}) as Json)[key];
    return v === undefined ? undefined : decoded(v);
  }
  get events(): SpanEvent[] {
    return ((this.raw.events ?? []) as Json[]).map(
      (e) =>
        new SpanEvent({
          name: String(e.name),
          timestamp: e.time_unix_nano as bigint,
          attributes: (e.attributes ?? {}) as SpanEvent["attributes"],
        }),
    );
  }
  /** MLflow's span dict (`Span.to_dict()`): base64 ids, attribute values as JSON text. */
  toJson(): Json {
    return this.raw;
  }
}

/** Token counts of a trace (`mlflow.trace.tokenUsage`). */
export interface TokenUsage {
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
}

/** A trace's metadata, as MLflow's TypeScript `TraceInfo`. */
export class TraceInfo {
  traceId: string;
  traceLocation: TraceLocation;
  /** Start of the trace, in milliseconds since the epoch. */
  requestTime: number;
  /** `"OK"`, `"ERROR"` or `"IN_PROGRESS"`. */
  state: string;
  requestPreview?: string;
  responsePreview?: string;
  clientRequestId?: string;
  /** In milliseconds. */
  executionDuration?: number;
  traceMetadata: Record<string, string>;
  tags: Record<string, string>;
  /** Feedback and expectations (read from the server; none for a trace found locally). */
  assessments: Array<Feedback | Expectation>;

  constructor(raw: Json) {
    const loc = (raw.trace_location ?? {}) as Json;
    this.traceId = String(raw.trace_id ?? "");
    this.traceLocation = {
      type: String(loc.type ?? "MLFLOW_EXPERIMENT") as TraceLocation["type"],
      ...(loc.mlflow_experiment
        ? { mlflowExperiment: { experimentId: String((loc.mlflow_experiment as Json).experiment_id) } }
        : {}),
    };
    this.requestTime = raw.request_time ? new Date(String(raw.request_time)).getTime() : 0;
    this.state = String(raw.state ?? "STATE_UNSPECIFIED");
    if (raw.request_preview != null) this.requestPreview = String(raw.request_preview);
    if (raw.response_preview != null) this.responsePreview = String(raw.response_preview);
    if (raw.client_request_id != null) this.clientRequestId = String(raw.client_request_id);
    if (raw.execution_duration_ms != null) this.executionDuration = Number(raw.execution_duration_ms);
    this.traceMetadata = { ...((raw.trace_metadata ?? {}) as Record<string, string>) };
    this.tags = { ...((raw.tags ?? {}) as Record<string, string>) };
    this.assessments = ((raw.assessments ?? []) as Json[]).map((a) =>
      a.expectation !== undefined && a.feedback === undefined ? expectationFrom(a) : feedbackFrom(a),
    );
  }

  /** The trace's token counts, or `null` when no span reported any. */
  get tokenUsage(): TokenUsage | null {
    const text = this.traceMetadata["mlflow.trace.tokenUsage"];
    if (!text) return null;
    try {
      return JSON.parse(text) as TokenUsage;
    } catch {
      return null;
    }
  }
}

/** A finished trace: `info` and `data.spans` (in start order), as MLflow's TypeScript `Trace`. */
export class Trace {
  info: TraceInfo;
  data: { spans: Span[] };
  private readonly raw: Json;

  constructor(raw: Json) {
    this.raw = raw;
    this.info = new TraceInfo((raw.info ?? {}) as Json);
    const spans = (((raw.data ?? {}) as Json).spans ?? []) as Json[];
    this.data = { spans: spans.map((s) => new Span(s, this.info.traceId)) };
  }

  /** MLflow's trace dict (`Trace.to_dict()`), span times as `bigint`. */
  toJson(): Json {
    return this.raw;
  }
}

/** Parses the core's trace JSON, keeping nanosecond times exact (they pass 2^53). */
export function parseTrace(text: string): Json {
  const quoted = text.replace(/"((?:start_|end_)?time_unix_nano)":(\d+)/g, '"$1":"$2"');
  return JSON.parse(quoted, (key: string, value: unknown) =>
    typeof value === "string" && /^(?:start_|end_)?time_unix_nano$/.test(key) ? BigInt(value) : value,
  ) as Json;
}

/** Options of `getTrace`. */
export interface GetTraceOptions {
  /** Do not warn when the trace cannot be found. */
  silent?: boolean;
  /** How long to wait for traces still queued to be delivered first (default 30 s). */
  timeoutMs?: number;
}

/**
 * A finished trace by id (`tr-...`) as stored, with the tags and assessments it was given
 * after it ended, from the local store (any process's traces) or the MLflow server; `null`
 * (with a warning unless `silent`) when it cannot be found. Traces still queued are delivered first, so a
 * trace that ended a moment ago is found. Never rejects.
 *
 * @example
 * ```ts
 * await agent("hi");
 * const trace = await mlflow.getTrace(mlflow.getLastActiveTraceId()!);
 * trace?.data.spans.map((s) => s.name);      // ["agent", "llm"]
 * trace?.info.assessments.map((a) => a.name); // feedback logged on it (from the server)
 * ```
 */
export async function getTrace(traceId: string, options: GetTraceOptions = {}): Promise<Trace | null> {
  let text: string;
  try {
    const found = await native.traceApi("get_trace", JSON.stringify({ trace_id: String(traceId), timeout_ms: options.timeoutMs ?? 30_000 }));
    text = found === "null" ? "" : found;
  } catch (e) {
    if (!options.silent) console.warn(`ferrotrace: getTrace(${JSON.stringify(traceId)}) failed: ${String((e as Error)?.message ?? e)}`);
    return null;
  }
  if (!text) {
    if (!options.silent) console.warn(`ferrotrace: trace ${traceId} was not found.`);
    return null;
  }
  try {
    return new Trace(parseTrace(text));
  } catch (e) {
    internalError("getTrace", e);
    return null;
  }
}
