import { Trace, TraceInfo } from "./entities";
import type { TraceData } from "./entities";
import type { TraceLocation } from "./mlflow";
import type { DeleteTracesOptions } from "./search";
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
export declare class MlflowHttpError extends Error {
    readonly status: number;
    readonly statusText: string;
    readonly body: string;
    readonly errorCode?: string;
    constructor(status: number, statusText: string, body: string);
}
/** Options of `new MlflowClient(...)` (every MLflow version's fields; all optional here). */
export interface MlflowClientOptions {
    /** The MLflow tracking server; default: the one `init` / `MLFLOW_TRACKING_URI` set, else the local store. */
    trackingUri?: string;
    /** The server's URL (older MLflow versions); the tracking URI if not given. */
    host?: string;
    /** MLflow's auth provider object (newer versions): not used, credentials come from `init` / the environment. */
    authProvider?: unknown;
    /** Basic auth (as `init`'s options of the same names). */
    trackingServerUsername?: string;
    trackingServerPassword?: string;
    /** Bearer token. */
    trackingServerToken?: string;
    /** Databricks only: not supported. */
    databricksToken?: string;
}
/** Options of `MlflowClient.searchTraces`. */
export interface ClientSearchTracesOptions {
    /** Default: the experiment ferrotrace logs to. */
    experimentIds?: string[];
    /** MLflow experiment locations (`createTraceLocationFromExperimentId`), as experiment ids. */
    locations?: TraceLocation[];
    /** MLflow's filter grammar: `trace.status = 'OK'`, `tags.env = 'prod'`, ... */
    filter?: string;
    /** Same as `filter` (the name in some MLflow versions). */
    filterString?: string;
    maxResults?: number;
    /** `["timestamp_ms DESC"]` by default. */
    orderBy?: string[];
    pageToken?: string;
}
/** One page of `MlflowClient.searchTraces`. */
export interface ClientSearchTracesResult {
    traces: TraceInfo[];
    nextPageToken?: string;
}
/** An experiment as `getExperiment` returns it. */
export interface ExperimentSummary {
    experimentId: string;
    name: string;
    tags: Record<string, string>;
}
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
export declare class MlflowClient {
    private readonly host;
    constructor(options?: MlflowClientOptions);
    /** The tracking server's URL (`""` on the local store). */
    getHost(): string;
    /** Writes a trace info record (MLflow's `createTrace`, `StartTraceV3`); server only. */
    createTrace(traceInfo: TraceInfo): Promise<TraceInfo>;
    /**
     * A trace with its spans; rejects with an `MlflowHttpError` (404) when there is none. Traces
     * this process finished a moment ago are delivered first, so they are found.
     */
    getTrace(traceId: string): Promise<Trace>;
    /** A trace's info (tags, metadata, state, assessments), without its spans. */
    getTraceInfo(traceId: string): Promise<TraceInfo>;
    /** One page of trace infos matching a filter, newest first unless `orderBy` says otherwise. */
    searchTraces(options?: ClientSearchTracesOptions): Promise<ClientSearchTracesResult>;
    /**
     * MLflow's `uploadTraceData`: not supported, ferrotrace writes a trace's spans with the trace
     * as it ends (use `trace` / `withSpan`). Rejects with an error saying so.
     */
    uploadTraceData(traceInfo: TraceInfo, _traceData: TraceData): Promise<void>;
    /** Sets a tag on a finished trace (Python's `MlflowClient.set_trace_tag`). */
    setTraceTag(traceId: string, key: string, value: string): Promise<void>;
    /** Removes a tag from a finished trace (Python's `MlflowClient.delete_trace_tag`). */
    deleteTraceTag(traceId: string, key: string): Promise<void>;
    /** Deletes traces by id or age; resolves with how many (Python's `MlflowClient.delete_traces`). */
    deleteTraces(options: DeleteTracesOptions): Promise<number>;
    /** Creates an experiment; resolves with its id. Rejects (400, `RESOURCE_ALREADY_EXISTS`) for a name in use. */
    createExperiment(name: string, artifactLocation?: string, tags?: Record<string, string>): Promise<string>;
    /** An experiment by id with its tags, or `null` when there is none. */
    getExperiment(experimentId: string): Promise<ExperimentSummary | null>;
    /** An experiment by name (a deleted one too, as MLflow's server answers), or `null`. */
    getExperimentByName(name: string): Promise<{
        experimentId: string;
        name: string;
    } | null>;
    /** Active experiments (ferrotrace's addition, as Python's `search_experiments`), at most `maxResults`. */
    searchExperiments(options?: {
        filter?: string;
        maxResults?: number;
        orderBy?: string[];
    }): Promise<ExperimentSummary[]>;
    /** Deletes (archives) an experiment. */
    deleteExperiment(experimentId: string): Promise<void>;
}
