"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.Trace = exports.TraceInfo = exports.Span = void 0;
exports.parseTrace = parseTrace;
exports.getTrace = getTrace;
/**
 * `getTrace`: a finished trace read back as MLflow's `Trace` (`info` + `data.spans`), from the
 * traces this process finished recently or else from the MLflow server. The shapes follow
 * MLflow's TypeScript entities (`Trace`, `TraceInfo`, `Span`); values are decoded from their
 * JSON text, times in nanoseconds are `bigint`.
 */
const assessments_1 = require("./assessments");
const span_1 = require("./span");
const native_1 = require("./native");
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
/** A finished span as stored (read only): MLflow's `Span` getters. */
class Span {
    /** The stored span dict: base64 ids, attribute values as JSON text, times as `bigint`. */
    raw;
    fallbackTraceId;
    constructor(raw, traceId) {
        this.raw = raw;
        this.fallbackTraceId = traceId;
    }
    get traceId() {
        const id = this.getAttribute("mlflow.traceRequestId");
        return typeof id === "string" ? id : this.fallbackTraceId;
    }
    /** 16 hex digits. */
    get spanId() {
        return hex(this.raw.span_id) ?? "";
    }
    get parentId() {
        return hex(this.raw.parent_span_id);
    }
    get name() {
        return String(this.raw.name ?? "");
    }
    get spanType() {
        return this.getAttribute("mlflow.spanType") ?? span_1.SpanType.UNKNOWN;
    }
    get startTimeNs() {
        return this.raw.start_time_unix_nano;
    }
    get endTimeNs() {
        return this.raw.end_time_unix_nano ?? null;
    }
    get startTime() {
        return hr(this.startTimeNs);
    }
    get endTime() {
        const end = this.endTimeNs;
        return end === null ? null : hr(end);
    }
    get status() {
        const s = (this.raw.status ?? {});
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
        for (const [k, v] of Object.entries((this.raw.attributes ?? {})))
            out[k] = decoded(v);
        return out;
    }
    getAttribute(key) {
        const v = (this.raw.attributes ?? {})[key];
        return v === undefined ? undefined : decoded(v);
    }
    get events() {
        return (this.raw.events ?? []).map((e) => new span_1.SpanEvent({
            name: String(e.name),
            timestamp: e.time_unix_nano,
            attributes: (e.attributes ?? {}),
        }));
    }
    /** MLflow's span dict (`Span.to_dict()`): base64 ids, attribute values as JSON text. */
    toJson() {
        return this.raw;
    }
}
exports.Span = Span;
/** A trace's metadata, as MLflow's TypeScript `TraceInfo`. */
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
    constructor(raw) {
        const loc = (raw.trace_location ?? {});
        this.traceId = String(raw.trace_id ?? "");
        this.traceLocation = {
            type: String(loc.type ?? "MLFLOW_EXPERIMENT"),
            ...(loc.mlflow_experiment
                ? { mlflowExperiment: { experimentId: String(loc.mlflow_experiment.experiment_id) } }
                : {}),
        };
        this.requestTime = raw.request_time ? new Date(String(raw.request_time)).getTime() : 0;
        this.state = String(raw.state ?? "STATE_UNSPECIFIED");
        if (raw.request_preview != null)
            this.requestPreview = String(raw.request_preview);
        if (raw.response_preview != null)
            this.responsePreview = String(raw.response_preview);
        if (raw.client_request_id != null)
            this.clientRequestId = String(raw.client_request_id);
        if (raw.execution_duration_ms != null)
            this.executionDuration = Number(raw.execution_duration_ms);
        this.traceMetadata = { ...(raw.trace_metadata ?? {}) };
        this.tags = { ...(raw.tags ?? {}) };
        this.assessments = (raw.assessments ?? []).map((a) => a.expectation !== undefined && a.feedback === undefined ? (0, assessments_1.expectationFrom)(a) : (0, assessments_1.feedbackFrom)(a));
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
/** A finished trace: `info` and `data.spans` (in start order), as MLflow's TypeScript `Trace`. */
class Trace {
    info;
    data;
    raw;
    constructor(raw) {
        this.raw = raw;
        this.info = new TraceInfo((raw.info ?? {}));
        const spans = ((raw.data ?? {}).spans ?? []);
        this.data = { spans: spans.map((s) => new Span(s, this.info.traceId)) };
    }
    /** MLflow's trace dict (`Trace.to_dict()`), span times as `bigint`. */
    toJson() {
        return this.raw;
    }
}
exports.Trace = Trace;
/** Parses the core's trace JSON, keeping nanosecond times exact (they pass 2^53). */
function parseTrace(text) {
    const quoted = text.replace(/"((?:start_|end_)?time_unix_nano)":(\d+)/g, '"$1":"$2"');
    return JSON.parse(quoted, (key, value) => typeof value === "string" && /^(?:start_|end_)?time_unix_nano$/.test(key) ? BigInt(value) : value);
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
async function getTrace(traceId, options = {}) {
    let text;
    try {
        const found = await native_1.native.traceApi("get_trace", JSON.stringify({ trace_id: String(traceId), timeout_ms: options.timeoutMs ?? 30_000 }));
        text = found === "null" ? "" : found;
    }
    catch (e) {
        if (!options.silent)
            console.warn(`ferrotrace: getTrace(${JSON.stringify(traceId)}) failed: ${String(e?.message ?? e)}`);
        return null;
    }
    if (!text) {
        if (!options.silent)
            console.warn(`ferrotrace: trace ${traceId} was not found.`);
        return null;
    }
    try {
        return new Trace(parseTrace(text));
    }
    catch (e) {
        (0, span_1.internalError)("getTrace", e);
        return null;
    }
}
