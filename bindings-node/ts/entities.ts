/**
 * MLflow's TypeScript trace entities: `Span` (a finished span, read only), `TraceInfo`,
 * `TraceData` and `Trace`, with their `fromJson` / `toJson`. Values are decoded from their JSON
 * text, times in nanoseconds are `bigint`. Decoded values are typed `any`, as in MLflow's SDK,
 * so code written for it type-checks unchanged.
 */
import { expectationFrom, feedbackFrom } from "./assessments";
import type { Expectation, Feedback, Json } from "./assessments";
import { TraceLocationType } from "./mlflow";
import type { TraceLocation } from "./mlflow";
import { SpanEvent, SpanStatus, SpanStatusCode, SpanType } from "./span";
import type { HrTime } from "./span";

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

/** A time in nanoseconds as `bigint` (JSON gives numbers or numeric strings). */
function nanos(v: unknown): bigint | null {
  if (typeof v === "bigint") return v;
  if (typeof v === "number" && Number.isFinite(v)) return BigInt(Math.trunc(v));
  if (typeof v === "string" && /^\d+$/.test(v)) return BigInt(v);
  return null;
}

/**
 * What a `Span` reads from, kept outside the instance: the class then has only MLflow's public
 * members, so a `LiveSpan` is assignable to `Span` (`withSpan(async (span: Span) => ...)`).
 */
const stored = new WeakMap<Span, { raw: Json; traceId: string }>();
const rawOf = (span: Span): Json => stored.get(span)?.raw ?? {};

/**
 * The span dict of MLflow's `Span.to_dict()` / `SerializedSpan`: base64 ids, attribute values
 * as JSON text, times in nanoseconds.
 */
export interface SerializedSpan {
  trace_id: string;
  span_id: string;
  parent_span_id: string | null;
  name: string;
  start_time_unix_nano: bigint | number | string;
  end_time_unix_nano: bigint | number | string | null;
  status: { code: string; message: string };
  attributes: Record<string, any>;
  events: Array<{ name: string; time_unix_nano: bigint | number | string; attributes: Record<string, any> }>;
  [key: string]: any;
}

/**
 * A finished span as stored (read only): MLflow's `Span` getters.
 *
 * @example
 * ```ts
 * const trace = await mlflow.getTrace(id);
 * for (const span of trace?.data.spans ?? []) console.log(span.name, span.spanType, span.outputs);
 * ```
 */
export class Span {
  /** @internal Use `Span.fromJson`; spans of a `Trace` are made by it. */
  constructor(raw: Json, traceId: string) {
    stored.set(this, { raw, traceId });
  }

  /** A span from its stored dict (`span.toJson()`, MLflow's `SerializedSpan`). */
  static fromJson(json: SerializedSpan | Json): Span {
    const raw: Json = { ...(json ?? {}) };
    raw.start_time_unix_nano = nanos(raw.start_time_unix_nano) ?? 0n;
    raw.end_time_unix_nano = nanos(raw.end_time_unix_nano);
    raw.events = ((raw.events ?? []) as Json[]).map((e) => ({ ...e, time_unix_nano: nanos(e.time_unix_nano) ?? 0n }));
    const fromId = hex(raw.trace_id);
    return new Span(raw, fromId ? `tr-${fromId}` : "");
  }

  get traceId(): string {
    const id = this.getAttribute("mlflow.traceRequestId");
    return typeof id === "string" ? id : (stored.get(this)?.traceId ?? "");
  }
  /** 16 hex digits. */
  get spanId(): string {
    return hex(rawOf(this).span_id) ?? "";
  }
  get parentId(): string | null {
    return hex(rawOf(this).parent_span_id);
  }
  get name(): string {
    return String(rawOf(this).name ?? "");
  }
  /** `mlflow.spanType`: a `SpanType` value, or the custom string it was given. */
  get spanType(): SpanType {
    return ((this.getAttribute("mlflow.spanType") as string | undefined) ?? SpanType.UNKNOWN) as SpanType;
  }
  get startTimeNs(): bigint {
    return (rawOf(this).start_time_unix_nano as bigint | undefined) ?? 0n;
  }
  get endTimeNs(): bigint | null {
    return (rawOf(this).end_time_unix_nano as bigint | null | undefined) ?? null;
  }
  get startTime(): HrTime {
    return hr(this.startTimeNs);
  }
  get endTime(): HrTime | null {
    const end = this.endTimeNs;
    return end === null ? null : hr(end);
  }
  get status(): SpanStatus {
    const s = (rawOf(this).status ?? {}) as Json;
    return new SpanStatus(statusCode(s.code), String(s.message ?? ""));
  }
  get inputs(): any {
    return this.getAttribute("mlflow.spanInputs");
  }
  get outputs(): any {
    return this.getAttribute("mlflow.spanOutputs");
  }
  /** Every attribute, decoded from its JSON text. */
  get attributes(): Record<string, any> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries((rawOf(this).attributes ?? {}) as Json)) out[k] = decoded(v);
    return out;
  }
  getAttribute(key: string): any {
    const v = ((rawOf(this).attributes ?? {}) as Json)[key];
    return v === undefined ? undefined : decoded(v);
  }
  get events(): SpanEvent[] {
    return ((rawOf(this).events ?? []) as Json[]).map(
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
    return rawOf(this);
  }
}

/** Token counts of a trace (`mlflow.trace.tokenUsage`). */
export interface TokenUsage {
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
}

/** The fields of `new TraceInfo({...})` (MLflow's constructor parameters). */
export interface TraceInfoParams {
  traceId: string;
  traceLocation: TraceLocation;
  requestTime: number;
  state: string;
  requestPreview?: string;
  responsePreview?: string;
  clientRequestId?: string;
  executionDuration?: number;
  traceMetadata?: Record<string, string>;
  tags?: Record<string, string>;
  assessments?: Array<Feedback | Expectation>;
}

/** MLflow's REST JSON of a trace info (`TraceInfo.toJson()`). */
export type SerializedTraceInfo = Json;

/** The REST JSON of a feedback or expectation read back in camelCase. */
function assessmentJson(a: Feedback | Expectation): Json {
  const out: Json = { assessment_id: a.assessmentId, assessment_name: a.name, trace_id: a.traceId };
  if (a.spanId) out.span_id = a.spanId;
  out.source = { source_type: a.source.sourceType, source_id: a.source.sourceId };
  out.create_time = a.createTime;
  out.last_update_time = a.lastUpdateTime;
  const fb = a as Feedback;
  if (kinds.get(a) === "expectation") out.expectation = { value: a.value };
  else {
    out.feedback = {};
    if (fb.value !== undefined) out.feedback.value = fb.value;
    if (fb.error) {
      out.feedback.error = { error_code: fb.error.errorCode };
      if (fb.error.errorMessage !== undefined) out.feedback.error.error_message = fb.error.errorMessage;
      if (fb.error.stackTrace !== undefined) out.feedback.error.stack_trace = fb.error.stackTrace;
    }
  }
  if (fb.rationale !== undefined) out.rationale = fb.rationale;
  if (a.metadata) out.metadata = a.metadata;
  if (fb.overrides) out.overrides = fb.overrides;
  if (a.valid !== undefined) out.valid = a.valid;
  return out;
}

/** Whether each assessment read from JSON was an expectation or a feedback. */
const kinds = new WeakMap<object, "feedback" | "expectation">();

/**
 * A trace's metadata, as MLflow's TypeScript `TraceInfo`.
 *
 * @example
 * ```ts
 * const info = mlflow.TraceInfo.fromJson(trace.info.toJson());
 * console.log(info.state, info.executionDuration, info.tags);
 * ```
 */
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

  /** From MLflow's constructor fields (camelCase) or from a trace info dict (snake_case). */
  constructor(params: TraceInfoParams | Json) {
    if (params && typeof params === "object" && "traceId" in params && !("trace_id" in params)) {
      const p = params as TraceInfoParams;
      this.traceId = p.traceId;
      this.traceLocation = p.traceLocation;
      this.requestTime = p.requestTime;
      this.state = p.state;
      this.requestPreview = p.requestPreview;
      this.responsePreview = p.responsePreview;
      this.clientRequestId = p.clientRequestId;
      this.executionDuration = p.executionDuration;
      this.traceMetadata = { ...(p.traceMetadata ?? {}) };
      this.tags = { ...(p.tags ?? {}) };
      this.assessments = [...(p.assessments ?? [])];
      return;
    }
    const raw = (params ?? {}) as Json;
    const loc = (raw.trace_location ?? {}) as Json;
    this.traceId = String(raw.trace_id ?? "");
    this.traceLocation = {
      type: String(loc.type ?? TraceLocationType.MLFLOW_EXPERIMENT) as TraceLocation["type"],
      ...(loc.mlflow_experiment
        ? { mlflowExperiment: { experimentId: String((loc.mlflow_experiment as Json).experiment_id) } }
        : {}),
    };
    const t = raw.request_time;
    this.requestTime = typeof t === "number" ? t : t ? new Date(String(t)).getTime() : 0;
    this.state = String(raw.state ?? "STATE_UNSPECIFIED");
    if (raw.request_preview != null) this.requestPreview = String(raw.request_preview);
    if (raw.response_preview != null) this.responsePreview = String(raw.response_preview);
    if (raw.client_request_id != null) this.clientRequestId = String(raw.client_request_id);
    // The stored dict has `execution_duration_ms`; MLflow's REST JSON `execution_duration: "1.5s"`.
    if (raw.execution_duration_ms != null) this.executionDuration = Number(raw.execution_duration_ms);
    else if (raw.execution_duration != null) {
      this.executionDuration = Math.round(parseFloat(String(raw.execution_duration).replace(/s$/, "")) * 1000);
    }
    this.traceMetadata = { ...((raw.trace_metadata ?? {}) as Record<string, string>) };
    this.tags = { ...((raw.tags ?? {}) as Record<string, string>) };
    this.assessments = ((raw.assessments ?? []) as Json[]).map((a) => {
      const expectation = a.expectation !== undefined && a.feedback === undefined;
      const out = expectation ? expectationFrom(a) : feedbackFrom(a);
      kinds.set(out, expectation ? "expectation" : "feedback");
      return out;
    });
  }

  /** A trace info from its JSON (`toJson()`, MLflow's REST shape, or the stored dict). */
  static fromJson(json: SerializedTraceInfo): TraceInfo {
    return new TraceInfo(json as Json);
  }

  /** MLflow's REST JSON of the trace info (what `MlflowClient.createTrace` sends). */
  toJson(): SerializedTraceInfo {
    const out: Json = { trace_id: this.traceId };
    if (this.clientRequestId !== undefined) out.client_request_id = this.clientRequestId;
    out.trace_location = {
      type: this.traceLocation.type,
      ...(this.traceLocation.mlflowExperiment
        ? { mlflow_experiment: { experiment_id: this.traceLocation.mlflowExperiment.experimentId } }
        : {}),
    };
    if (this.requestPreview !== undefined) out.request_preview = this.requestPreview;
    if (this.responsePreview !== undefined) out.response_preview = this.responsePreview;
    out.request_time = new Date(this.requestTime).toISOString();
    if (this.executionDuration != null) out.execution_duration = `${this.executionDuration / 1000}s`;
    out.state = this.state;
    out.trace_metadata = { ...this.traceMetadata };
    out.tags = { ...this.tags };
    out.assessments = this.assessments.map(assessmentJson);
    return out;
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

/** The spans of a trace (MLflow's `TraceData`), in start order. */
export class TraceData {
  spans: Span[];

  constructor(spans: Span[] = []) {
    this.spans = spans;
  }

  /** `{spans: [...]}` with each span's stored dict. */
  toJson(): { spans: Json[] } {
    return { spans: this.spans.map((s) => s.toJson()) };
  }

  static fromJson(json: { spans?: Array<SerializedSpan | Json> } | Json): TraceData {
    return new TraceData(((json?.spans ?? []) as Json[]).map((s) => Span.fromJson(s)));
  }
}

/** What `Trace.toJson()` returns: `{info, data: {spans}}`. */
export interface SerializedTrace {
  info: SerializedTraceInfo;
  data: { spans: Array<SerializedSpan | Json> };
}

/**
 * A finished trace: `info` and `data.spans` (in start order), as MLflow's TypeScript `Trace`.
 *
 * @example
 * ```ts
 * const text = JSON.stringify(trace.toJson(), (_k, v) => (typeof v === "bigint" ? v.toString() : v));
 * const copy = mlflow.Trace.fromJson(JSON.parse(text));
 * console.log(copy.data.spans.map((s) => s.name));
 * ```
 */
export class Trace {
  info: TraceInfo;
  data: TraceData;

  /** `new Trace(info, data)` as in MLflow, or (internally) from a stored trace dict. */
  constructor(info: TraceInfo | Json, data?: TraceData) {
    if (info instanceof TraceInfo) {
      this.info = info;
      this.data = data ?? new TraceData();
      return;
    }
    const raw = (info ?? {}) as Json;
    this.info = new TraceInfo((raw.info ?? {}) as Json);
    const spans = (((raw.data ?? {}) as Json).spans ?? []) as Json[];
    this.data = new TraceData(spans.map((s) => new Span(s, this.info.traceId)));
  }

  /** A trace from its JSON (`toJson()`, with times as numbers, strings or `bigint`). */
  static fromJson(json: SerializedTrace | Json): Trace {
    const info = TraceInfo.fromJson((json?.info ?? {}) as Json);
    const spans = ((json?.data?.spans ?? []) as Json[]).map((s) => {
      const span = Span.fromJson(s);
      stored.get(span)!.traceId ||= info.traceId;
      return span;
    });
    return new Trace(info, new TraceData(spans));
  }

  /** MLflow's trace JSON: `{info: info.toJson(), data: {spans}}`, span times as `bigint`. */
  toJson(): SerializedTrace {
    return { info: this.info.toJson(), data: this.data.toJson() };
  }
}
