"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.Trace = exports.TraceData = exports.TraceInfo = exports.Span = void 0;
/**
 * MLflow's TypeScript trace entities: `Span` (a finished span, read only), `TraceInfo`,
 * `TraceData` and `Trace`, with their `fromJson` / `toJson`. Values are decoded from their JSON
 * text, times in nanoseconds are `bigint`. Decoded values are typed `any`, as in MLflow's SDK,
 * so code written for it type-checks unchanged.
 */
const assessments_1 = require("./assessments");
const mlflow_1 = require("./mlflow");
const span_1 = require("./span");
/** `SpanStatusCode` of a stored status (`STATUS_CODE_OK` or `OK`). */
function statusCode(code) {
    const c = String(code ?? "").replace(/^STATUS_CODE_/, "");
    return c === "OK" ? span_1.SpanStatusCode.OK : c === "ERROR" ? span_1.SpanStatusCode.ERROR : span_1.SpanStatusCode.UNSET;
}
function decoded(text) {
    if (typeof text !== "string")
        return text;
    try {
        return JSON.parse(text);
    }
    catch {
        return text;
    }
}
const hex = (b64) => typeof b64 === "string" && b64 !== "" ? Buffer.from(b64, "base64").toString("hex") : null;
const hr = (ns) => [Number(ns / 1000000000n), Number(ns % 1000000000n)];
/** A time in nanoseconds as `bigint` (JSON gives numbers or numeric strings). */
function nanos(v) {
    if (typeof v === "bigint")
        return v;
    if (typeof v === "number" && Number.isFinite(v))
        return BigInt(Math.trunc(v));
    if (typeof v === "string" && /^\d+$/.test(v))
        return BigInt(v);
    return null;
}
/**
 * What a `Span` reads from, kept outside the instance: the class then has only MLflow's public
 * members, so a `LiveSpan` is assignable to `Span` (`withSpan(async (span: Span) => ...)`).
 */
const stored = new WeakMap();
const rawOf = (span) => stored.get(span)?.raw ?? {};
/**
 * A finished span as stored (read only): MLflow's `Span` getters.
 *
 * @example
 * ```ts
 * const trace = await mlflow.getTrace(id);
 * for (const span of trace?.data.spans ?? []) console.log(span.name, span.spanType, span.outputs);
 * ```
 */
class Span {
    /** @internal Use `Span.fromJson`; spans of a `Trace` are made by it. */
    constructor(raw, traceId) {
        stored.set(this, { raw, traceId });
    }
    /** A span from its stored dict (`span.toJson()`, MLflow's `SerializedSpan`). */
    static fromJson(json) {
        const raw = { ...(json ?? {}) };
        raw.start_time_unix_nano = nanos(raw.start_time_unix_nano) ?? 0n;
        raw.end_time_unix_nano = nanos(raw.end_time_unix_nano);
        raw.events = (raw.events ?? []).map((e) => ({ ...e, time_unix_nano: nanos(e.time_unix_nano) ?? 0n }));
        const fromId = hex(raw.trace_id);
        return new Span(raw, fromId ? `tr-${fromId}` : "");
    }
    get traceId() {
        const id = this.getAttribute("mlflow.traceRequestId");
        return typeof id === "string" ? id : (stored.get(this)?.traceId ?? "");
    }
    /** 16 hex digits. */
    get spanId() {
        return hex(rawOf(this).span_id) ?? "";
    }
    get parentId() {
        return hex(rawOf(this).parent_span_id);
    }
    get name() {
        return String(rawOf(this).name ?? "");
    }
    /** `mlflow.spanType`: a `SpanType` value, or the custom string it was given. */
    get spanType() {
        return (this.getAttribute("mlflow.spanType") ?? span_1.SpanType.UNKNOWN);
    }
    get startTimeNs() {
        return rawOf(this).start_time_unix_nano ?? 0n;
    }
    get endTimeNs() {
        return rawOf(this).end_time_unix_nano ?? null;
    }
    get startTime() {
        return hr(this.startTimeNs);
    }
    get endTime() {
        const end = this.endTimeNs;
        return end === null ? null : hr(end);
    }
    get status() {
        const s = (rawOf(this).status ?? {});
        return new span_1.SpanStatus(statusCode(s.code), String(s.message ?? ""));
    }
    get inputs() {
        return this.getAttribute("mlflow.spanInputs");
    }
    get outputs() {
        return this.getAttribute("mlflow.spanOutputs");
    }
    /** Every attribute, decoded from its JSON text. */
    get attributes() {
        const out = {};
        for (const [k, v] of Object.entries((rawOf(this).attributes ?? {})))
            out[k] = decoded(v);
        return out;
    }
    getAttribute(key) {
        const v = (rawOf(this).attributes ?? {})[key];
        return v === undefined ? undefined : decoded(v);
    }
    get events() {
        return (rawOf(this).events ?? []).map((e) => new span_1.SpanEvent({
            name: String(e.name),
            timestamp: e.time_unix_nano,
            attributes: (e.attributes ?? {}),
        }));
    }
    /** MLflow's span dict (`Span.to_dict()`): base64 ids, attribute values as JSON text. */
    toJson() {
        return rawOf(this);
    }
}
exports.Span = Span;
/** The REST JSON of a feedback or expectation read back in camelCase. */
function assessmentJson(a) {
    const out = { assessment_id: a.assessmentId, assessment_name: a.name, trace_id: a.traceId };
    if (a.spanId)
        out.span_id = a.spanId;
    out.source = { source_type: a.source.sourceType, source_id: a.source.sourceId };
    out.create_time = a.createTime;
    out.last_update_time = a.lastUpdateTime;
    const fb = a;
    if (kinds.get(a) === "expectation")
        out.expectation = { value: a.value };
    else {
        out.feedback = {};
        if (fb.value !== undefined)
            out.feedback.value = fb.value;
        if (fb.error) {
            out.feedback.error = { error_code: fb.error.errorCode };
            if (fb.error.errorMessage !== undefined)
                out.feedback.error.error_message = fb.error.errorMessage;
            if (fb.error.stackTrace !== undefined)
                out.feedback.error.stack_trace = fb.error.stackTrace;
        }
    }
    if (fb.rationale !== undefined)
        out.rationale = fb.rationale;
    if (a.metadata)
        out.metadata = a.metadata;
    if (fb.overrides)
        out.overrides = fb.overrides;
    if (a.valid !== undefined)
        out.valid = a.valid;
    return out;
}
/** Whether each assessment read from JSON was an expectation or a feedback. */
const kinds = new WeakMap();
/**
 * A trace's metadata, as MLflow's TypeScript `TraceInfo`.
 *
 * @example
 * ```ts
 * const info = mlflow.TraceInfo.fromJson(trace.info.toJson());
 * console.log(info.state, info.executionDuration, info.tags);
 * ```
 */
class TraceInfo {
    traceId;
    traceLocation;
    /** Start of the trace, in milliseconds since the epoch. */
    requestTime;
    /** `"OK"`, `"ERROR"` or `"IN_PROGRESS"`. */
    state;
    requestPreview;
    responsePreview;
    clientRequestId;
    /** In milliseconds. */
    executionDuration;
    traceMetadata;
    tags;
    /** Feedback and expectations (read from the server; none for a trace found locally). */
    assessments;
    /** From MLflow's constructor fields (camelCase) or from a trace info dict (snake_case). */
    constructor(params) {
        if (params && typeof params === "object" && "traceId" in params && !("trace_id" in params)) {
            const p = params;
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
        const raw = (params ?? {});
        const loc = (raw.trace_location ?? {});
        this.traceId = String(raw.trace_id ?? "");
        this.traceLocation = {
            type: String(loc.type ?? mlflow_1.TraceLocationType.MLFLOW_EXPERIMENT),
            ...(loc.mlflow_experiment
                ? { mlflowExperiment: { experimentId: String(loc.mlflow_experiment.experiment_id) } }
                : {}),
        };
        const t = raw.request_time;
        this.requestTime = typeof t === "number" ? t : t ? new Date(String(t)).getTime() : 0;
        this.state = String(raw.state ?? "STATE_UNSPECIFIED");
        if (raw.request_preview != null)
            this.requestPreview = String(raw.request_preview);
        if (raw.response_preview != null)
            this.responsePreview = String(raw.response_preview);
        if (raw.client_request_id != null)
            this.clientRequestId = String(raw.client_request_id);
        // The stored dict has `execution_duration_ms`; MLflow's REST JSON `execution_duration: "1.5s"`.
        if (raw.execution_duration_ms != null)
            this.executionDuration = Number(raw.execution_duration_ms);
        else if (raw.execution_duration != null) {
            this.executionDuration = Math.round(parseFloat(String(raw.execution_duration).replace(/s$/, "")) * 1000);
        }
        this.traceMetadata = { ...(raw.trace_metadata ?? {}) };
        this.tags = { ...(raw.tags ?? {}) };
        this.assessments = (raw.assessments ?? []).map((a) => {
            const expectation = a.expectation !== undefined && a.feedback === undefined;
            const out = expectation ? (0, assessments_1.expectationFrom)(a) : (0, assessments_1.feedbackFrom)(a);
            kinds.set(out, expectation ? "expectation" : "feedback");
            return out;
        });
    }
    /** A trace info from its JSON (`toJson()`, MLflow's REST shape, or the stored dict). */
    static fromJson(json) {
        return new TraceInfo(json);
    }
    /** MLflow's REST JSON of the trace info (what `MlflowClient.createTrace` sends). */
    toJson() {
        const out = { trace_id: this.traceId };
        if (this.clientRequestId !== undefined)
            out.client_request_id = this.clientRequestId;
        out.trace_location = {
            type: this.traceLocation.type,
            ...(this.traceLocation.mlflowExperiment
                ? { mlflow_experiment: { experiment_id: this.traceLocation.mlflowExperiment.experimentId } }
                : {}),
        };
        if (this.requestPreview !== undefined)
            out.request_preview = this.requestPreview;
        if (this.responsePreview !== undefined)
            out.response_preview = this.responsePreview;
        out.request_time = new Date(this.requestTime).toISOString();
        if (this.executionDuration != null)
            out.execution_duration = `${this.executionDuration / 1000}s`;
        out.state = this.state;
        out.trace_metadata = { ...this.traceMetadata };
        out.tags = { ...this.tags };
        out.assessments = this.assessments.map(assessmentJson);
        return out;
    }
    /** The trace's token counts, or `null` when no span reported any. */
    get tokenUsage() {
        const text = this.traceMetadata["mlflow.trace.tokenUsage"];
        if (!text)
            return null;
        try {
            return JSON.parse(text);
        }
        catch {
            return null;
        }
    }
}
exports.TraceInfo = TraceInfo;
/** The spans of a trace (MLflow's `TraceData`), in start order. */
class TraceData {
    spans;
    constructor(spans = []) {
        this.spans = spans;
    }
    /** `{spans: [...]}` with each span's stored dict. */
    toJson() {
        return { spans: this.spans.map((s) => s.toJson()) };
    }
    static fromJson(json) {
        return new TraceData((json?.spans ?? []).map((s) => Span.fromJson(s)));
    }
}
exports.TraceData = TraceData;
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
class Trace {
    info;
    data;
    /** `new Trace(info, data)` as in MLflow, or (internally) from a stored trace dict. */
    constructor(info, data) {
        if (info instanceof TraceInfo) {
            this.info = info;
            this.data = data ?? new TraceData();
            return;
        }
        const raw = (info ?? {});
        this.info = new TraceInfo((raw.info ?? {}));
        const spans = ((raw.data ?? {}).spans ?? []);
        this.data = new TraceData(spans.map((s) => new Span(s, this.info.traceId)));
    }
    /** A trace from its JSON (`toJson()`, with times as numbers, strings or `bigint`). */
    static fromJson(json) {
        const info = TraceInfo.fromJson((json?.info ?? {}));
        const spans = (json?.data?.spans ?? []).map((s) => {
            const span = Span.fromJson(s);
            stored.get(span).traceId ||= info.traceId;
            return span;
        });
        return new Trace(info, new TraceData(spans));
    }
    /** MLflow's trace JSON: `{info: info.toJson(), data: {spans}}`, span times as `bigint`. */
    toJson() {
        return { info: this.info.toJson(), data: this.data.toJson() };
    }
}
exports.Trace = Trace;
