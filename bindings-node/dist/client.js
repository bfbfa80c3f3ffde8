"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.MlflowClient = exports.MlflowHttpError = void 0;
/**
 * `MlflowClient` as MLflow's TypeScript SDK has it (traces and experiments), and
 * `MlflowHttpError`. Every call goes through the core's trace-level API: the MLflow tracking
 * server ferrotrace is configured for, or the local store when there is none. Calls run on the
 * libuv thread pool; nothing waits on the network on the JS thread.
 */
const node_http_1 = require("node:http");
const entities_1 = require("./entities");
const mlflow_1 = require("./mlflow");
const native_1 = require("./native");
const search_1 = require("./search");
const traces_1 = require("./traces");
const errors_1 = require("./errors");
const MAX_ERROR_BODY_LENGTH = 1000;
/**
 * A call to the MLflow server answered with an HTTP error (MLflow's `MlflowHttpError`):
 * `status`, `statusText`, `body` (the server's JSON error) and its `errorCode`
 * (`RESOURCE_DOES_NOT_EXIST`, ...), so callers branch on the status, not on the message.
 *
 * @example
 * ```ts
 * try {
 *   await client.getTrace("tr-0123456789abcdef0123456789abcdef");
 * } catch (e) {
 *   if (e instanceof mlflow.MlflowHttpError && e.status === 404) console.log("no such trace");
 * }
 * ```
 */
class MlflowHttpError extends Error {
    status;
    statusText;
    body;
    errorCode;
    constructor(status, statusText, body) {
        const shown = body.length > MAX_ERROR_BODY_LENGTH ? `${body.slice(0, MAX_ERROR_BODY_LENGTH)}... (truncated)` : body;
        super(`HTTP ${status}: ${statusText}${body ? ` - ${shown}` : ""}`);
        this.name = "MlflowHttpError";
        this.status = status;
        this.statusText = statusText;
        this.body = body;
        try {
            const code = JSON.parse(body).error_code;
            if (typeof code === "string")
                this.errorCode = code;
        }
        catch {
            // Not JSON: no error code.
        }
    }
}
exports.MlflowHttpError = MlflowHttpError;
/** MLflow's `error_code` for an HTTP status, when the answer named none. */
function errorCode(status) {
    if (status === 404)
        return "RESOURCE_DOES_NOT_EXIST";
    if (status === 401)
        return "UNAUTHENTICATED";
    if (status === 403)
        return "PERMISSION_DENIED";
    if (status >= 500)
        return "INTERNAL_ERROR";
    return "INVALID_PARAMETER_VALUE";
}
function httpError(status, message, code) {
    const body = JSON.stringify({ error_code: code ?? errorCode(status), message });
    return new MlflowHttpError(status, node_http_1.STATUS_CODES[status] ?? "", body);
}
/**
 * The addon's error as MLflow's client raises it: an `MlflowHttpError` when the server answered
 * (or the local store refused as a server would), from the error's `status` and `errorCode`;
 * its stable `code` (`ERR_FERROTRACE_NOT_FOUND`, ...) is kept.
 */
function asHttpError(e) {
    const err = e;
    if (typeof err?.status !== "number")
        return e;
    const message = String(err.message ?? "");
    // A server's answer reads "<request>: ... (HTTP 404): <the server's message>".
    const shown = /\(HTTP \d{3}\):\s*(.*)$/s.exec(message)?.[1] || message;
    const http = httpError(err.status, shown, typeof err.errorCode === "string" ? err.errorCode : undefined);
    return typeof err.code === "string" ? Object.assign(http, { code: err.code }) : http;
}
async function call(op, args) {
    let text;
    try {
        text = await native_1.native.traceApi(op, JSON.stringify(args));
    }
    catch (e) {
        throw asHttpError(e);
    }
    return text ? JSON.parse(text) : null;
}
function summary(e) {
    if (!e || !e.experiment_id)
        return null;
    const tags = {};
    for (const t of (e.tags ?? []))
        tags[t.key] = t.value;
    return { experimentId: String(e.experiment_id), name: String(e.name ?? ""), tags };
}
function configured() {
    return JSON.parse(native_1.native.config());
}
let warnedOtherServer = false;
/**
 * Client for MLflow's trace and experiment records (MLflow's TypeScript `MlflowClient`), on the
 * MLflow server or, with none configured, on the local store (`./ferrotrace-traces`, where
 * experiments are kept too). Constructed with a `trackingUri` while none is configured, it
 * configures that server (as `init({ trackingUri })` does).
 *
 * @example
 * ```ts
 * const client = new mlflow.MlflowClient({ trackingUri: "http://127.0.0.1:5000", host: "http://127.0.0.1:5000" });
 * const experimentId = await client.createExperiment(`demo-${Date.now()}`);
 * const trace = await client.getTrace(traceId);
 * const { traces } = await client.searchTraces({ experimentIds: [experimentId], filter: "trace.status = 'OK'" });
 * ```
 */
class MlflowClient {
    host;
    constructor(options = {}) {
        const o = options ?? {};
        const uri = o.trackingUri ?? o.host;
        if (uri !== undefined && /^databricks/i.test(uri)) {
            throw (0, errors_1.invalidArgument)("ferrotrace: MlflowClient does not support Databricks tracking URIs; use an MLflow server URL.");
        }
        const current = configured().trackingUri;
        if (uri && !current) {
            // As MLflow's client talks to the server it names: make it ferrotrace's server.
            (0, mlflow_1.init)({
                trackingUri: uri,
                trackingServerUsername: o.trackingServerUsername,
                trackingServerPassword: o.trackingServerPassword,
                trackingServerToken: o.trackingServerToken,
            });
        }
        else if (uri && current && uri.replace(/\/+$/, "") !== current.replace(/\/+$/, "") && !warnedOtherServer) {
            warnedOtherServer = true;
            console.warn(`ferrotrace: MlflowClient uses the configured tracking server ${current}, not ${uri}.`);
        }
        this.host = configured().trackingUri ?? uri ?? "";
    }
    /** The tracking server's URL (`""` on the local store). */
    getHost() {
        return this.host;
    }
    // ---- traces ----------------------------------------------------------------------------
    /** Writes a trace info record (MLflow's `createTrace`, `StartTraceV3`); server only. */
    async createTrace(traceInfo) {
        return entities_1.TraceInfo.fromJson((await call("create_trace", { trace_info: traceInfo.toJson() })));
    }
    /**
     * A trace with its spans; rejects with an `MlflowHttpError` (404) when there is none. Traces
     * this process finished a moment ago are delivered first, so they are found.
     */
    async getTrace(traceId) {
        const found = (await native_1.native.traceApi("get_trace", JSON.stringify({ trace_id: String(traceId) })).catch((e) => {
            throw asHttpError(e);
        }));
        if (!found || found === "null")
            throw Object.assign(httpError(404, `Trace with ID '${traceId}' not found.`), { code: "ERR_FERROTRACE_NOT_FOUND" });
        return new entities_1.Trace((0, traces_1.parseTrace)(found));
    }
    /** A trace's info (tags, metadata, state, assessments), without its spans. */
    async getTraceInfo(traceId) {
        return (await this.getTrace(traceId)).info;
    }
    /** One page of trace infos matching a filter, newest first unless `orderBy` says otherwise. */
    async searchTraces(options = {}) {
        const o = options ?? {};
        const ids = [
            ...(o.experimentIds ?? []),
            ...(o.locations ?? []).flatMap((l) => (l.mlflowExperiment ? [l.mlflowExperiment.experimentId] : [])),
        ];
        const res = (await call("search_traces", {
            experiment_ids: ids,
            filter: o.filter ?? o.filterString ?? null,
            max_results: o.maxResults ?? 100,
            order_by: o.orderBy ?? [],
            page_token: o.pageToken ?? null,
            include_spans: false,
        }));
        const page = { traces: res.traces.map((t) => entities_1.TraceInfo.fromJson((t.info ?? t))) };
        if (res.next_page_token)
            page.nextPageToken = res.next_page_token;
        return page;
    }
    /**
     * MLflow's `uploadTraceData`: not supported, ferrotrace writes a trace's spans with the trace
     * as it ends (use `trace` / `withSpan`). Rejects with an error saying so.
     */
    async uploadTraceData(traceInfo, _traceData) {
        throw (0, errors_1.invalidArgument)(`ferrotrace: uploadTraceData is not supported (trace ${traceInfo?.traceId}); spans are written with their trace as it ends.`);
    }
    /** Sets a tag on a finished trace (Python's `MlflowClient.set_trace_tag`). */
    async setTraceTag(traceId, key, value) {
        await (0, mlflow_1.setTraceTag)(traceId, key, value).catch((e) => {
            throw asHttpError(e);
        });
    }
    /** Removes a tag from a finished trace (Python's `MlflowClient.delete_trace_tag`). */
    async deleteTraceTag(traceId, key) {
        await (0, mlflow_1.deleteTraceTag)(traceId, key).catch((e) => {
            throw asHttpError(e);
        });
    }
    /** Deletes traces by id or age; resolves with how many (Python's `MlflowClient.delete_traces`). */
    async deleteTraces(options) {
        return (0, search_1.deleteTraces)(options).catch((e) => {
            throw asHttpError(e);
        });
    }
    // ---- experiments -----------------------------------------------------------------------
    /** Creates an experiment; resolves with its id. Rejects (400, `RESOURCE_ALREADY_EXISTS`) for a name in use. */
    async createExperiment(name, artifactLocation, tags) {
        const args = { name: String(name) };
        if (artifactLocation !== undefined)
            args.artifact_location = String(artifactLocation);
        if (tags)
            args.tags = tags;
        return String((await call("create_experiment", args)).experiment_id);
    }
    /** An experiment by id with its tags, or `null` when there is none. */
    async getExperiment(experimentId) {
        return summary((await call("get_experiment", { experiment_id: String(experimentId) })));
    }
    /** An experiment by name (a deleted one too, as MLflow's server answers), or `null`. */
    async getExperimentByName(name) {
        const s = summary((await call("get_experiment_by_name", { name: String(name) })));
        return s && { experimentId: s.experimentId, name: s.name };
    }
    /** Active experiments (ferrotrace's addition, as Python's `search_experiments`), at most `maxResults`. */
    async searchExperiments(options = {}) {
        const res = (await call("search_experiments", {
            filter: options.filter ?? null,
            max_results: options.maxResults ?? 1000,
            order_by: options.orderBy ?? null,
        }));
        return res.experiments.map(summary).filter((e) => e !== null);
    }
    /** Deletes (archives) an experiment. */
    async deleteExperiment(experimentId) {
        await call("delete_experiment", { experiment_id: String(experimentId) });
    }
}
exports.MlflowClient = MlflowClient;
