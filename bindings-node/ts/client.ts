/**
 * `MlflowClient` as MLflow's TypeScript SDK has it (traces and experiments), and
 * `MlflowHttpError`. Every call goes through the core's trace-level API: the MLflow tracking
 * server ferrotrace is configured for, or the local store when there is none. Calls run on the
 * libuv thread pool; nothing waits on the network on the JS thread.
 */
import { STATUS_CODES } from "node:http";

import type { Json } from "./assessments";
import { Trace, TraceInfo } from "./entities";
import type { TraceData } from "./entities";
import { deleteTraceTag, init, setTraceTag } from "./mlflow";
import type { TraceLocation } from "./mlflow";
import { native } from "./native";
import { deleteTraces } from "./search";
import type { DeleteTracesOptions } from "./search";
import { parseTrace } from "./traces";
import { invalidArgument } from "./errors";

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
export class MlflowHttpError extends Error {
  readonly status: number;
  readonly statusText: string;
  readonly body: string;
  readonly errorCode?: string;

  constructor(status: number, statusText: string, body: string) {
    const shown = body.length > MAX_ERROR_BODY_LENGTH ? `${body.slice(0, MAX_ERROR_BODY_LENGTH)}... (truncated)` : body;
    super(`HTTP ${status}: ${statusText}${body ? ` - ${shown}` : ""}`);
    this.name = "MlflowHttpError";
    this.status = status;
    this.statusText = statusText;
    this.body = body;
    try {
      const code = (JSON.parse(body) as { error_code?: unknown }).error_code;
      if (typeof code === "string") this.errorCode = code;
    } catch {
      // Not JSON: no error code.
    }
  }
}

/** MLflow's `error_code` for an HTTP status, when the answer named none. */
function errorCode(status: number): string {
  if (status === 404) return "RESOURCE_DOES_NOT_EXIST";
  if (status === 401) return "UNAUTHENTICATED";
  if (status === 403) return "PERMISSION_DENIED";
  if (status >= 500) return "INTERNAL_ERROR";
  return "INVALID_PARAMETER_VALUE";
}

function httpError(status: number, message: string, code?: string): MlflowHttpError {
  const body = JSON.stringify({ error_code: code ?? errorCode(status), message });
  return new MlflowHttpError(status, STATUS_CODES[status] ?? "", body);
}

/**
 * The addon's error as MLflow's client raises it: an `MlflowHttpError` when the server answered
 * (or the local store refused as a server would), from the error's `status` and `errorCode`;
 * its stable `code` (`ERR_FERROTRACE_NOT_FOUND`, ...) is kept.
 */
function asHttpError(e: unknown): unknown {
  const err = e as { status?: unknown; errorCode?: unknown; code?: unknown; message?: unknown } | null;
  if (typeof err?.status !== "number") return e;
  const message = String(err.message ?? "");
  // A server's answer reads "<request>: ... (HTTP 404): <the server's message>".
  const shown = /\(HTTP \d{3}\):\s*(.*)$/s.exec(message)?.[1] || message;
  const http = httpError(err.status, shown, typeof err.errorCode === "string" ? err.errorCode : undefined);
  return typeof err.code === "string" ? Object.assign(http, { code: err.code }) : http;
}

async function call(op: string, args: Record<string, unknown>): Promise<any> {
  let text: string;
  try {
    text = await native.traceApi(op, JSON.stringify(args));
  } catch (e) {
    throw asHttpError(e);
  }
  return text ? (JSON.parse(text) as unknown) : null;
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

function summary(e: Json | null): ExperimentSummary | null {
  if (!e || !e.experiment_id) return null;
  const tags: Record<string, string> = {};
  for (const t of (e.tags ?? []) as Array<{ key: string; value: string }>) tags[t.key] = t.value;
  return { experimentId: String(e.experiment_id), name: String(e.name ?? ""), tags };
}

function configured(): { trackingUri: string | null } {
  return JSON.parse(native.config()) as { trackingUri: string | null };
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
export class MlflowClient {
  private readonly host: string;

  constructor(options: MlflowClientOptions = {}) {
    const o = options ?? {};
    const uri = o.trackingUri ?? o.host;
    if (uri !== undefined && /^databricks/i.test(uri)) {
      throw invalidArgument("ferrotrace: MlflowClient does not support Databricks tracking URIs; use an MLflow server URL.");
    }
    const current = configured().trackingUri;
    if (uri && !current) {
      // As MLflow's client talks to the server it names: make it ferrotrace's server.
      init({
        trackingUri: uri,
        trackingServerUsername: o.trackingServerUsername,
        trackingServerPassword: o.trackingServerPassword,
        trackingServerToken: o.trackingServerToken,
      });
    } else if (uri && current && uri.replace(/\/+$/, "") !== current.replace(/\/+$/, "") && !warnedOtherServer) {
      warnedOtherServer = true;
      console.warn(`ferrotrace: MlflowClient uses the configured tracking server ${current}, not ${uri}.`);
    }
    this.host = configured().trackingUri ?? uri ?? "";
  }

  /** The tracking server's URL (`""` on the local store). */
  getHost(): string {
    return this.host;
  }

  // ---- traces ----------------------------------------------------------------------------

  /** Writes a trace info record (MLflow's `createTrace`, `StartTraceV3`); server only. */
  async createTrace(traceInfo: TraceInfo): Promise<TraceInfo> {
    return TraceInfo.fromJson((await call("create_trace", { trace_info: traceInfo.toJson() })) as Json);
  }

  /**
   * A trace with its spans; rejects with an `MlflowHttpError` (404) when there is none. Traces
   * this process finished a moment ago are delivered first, so they are found.
   */
  async getTrace(traceId: string): Promise<Trace> {
    const found = (await native.traceApi("get_trace", JSON.stringify({ trace_id: String(traceId) })).catch((e: unknown) => {
      throw asHttpError(e);
    })) as string;
    if (!found || found === "null") throw Object.assign(httpError(404, `Trace with ID '${traceId}' not found.`), { code: "ERR_FERROTRACE_NOT_FOUND" });
    return new Trace(parseTrace(found));
  }

  /** A trace's info (tags, metadata, state, assessments), without its spans. */
  async getTraceInfo(traceId: string): Promise<TraceInfo> {
    return (await this.getTrace(traceId)).info;
  }

  /** One page of trace infos matching a filter, newest first unless `orderBy` says otherwise. */
  async searchTraces(options: ClientSearchTracesOptions = {}): Promise<ClientSearchTracesResult> {
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
    })) as { traces: Json[]; next_page_token: string | null };
    const page: ClientSearchTracesResult = { traces: res.traces.map((t) => TraceInfo.fromJson((t.info ?? t) as Json)) };
    if (res.next_page_token) page.nextPageToken = res.next_page_token;
    return page;
  }

  /**
   * MLflow's `uploadTraceData`: not supported, ferrotrace writes a trace's spans with the trace
   * as it ends (use `trace` / `withSpan`). Rejects with an error saying so.
   */
  async uploadTraceData(traceInfo: TraceInfo, _traceData: TraceData): Promise<void> {
    throw invalidArgument(
      `ferrotrace: uploadTraceData is not supported (trace ${traceInfo?.traceId}); spans are written with their trace as it ends.`,
    );
  }

  /** Sets a tag on a finished trace (Python's `MlflowClient.set_trace_tag`). */
  async setTraceTag(traceId: string, key: string, value: string): Promise<void> {
    await setTraceTag(traceId, key, value).catch((e: unknown) => {
      throw asHttpError(e);
    });
  }

  /** Removes a tag from a finished trace (Python's `MlflowClient.delete_trace_tag`). */
  async deleteTraceTag(traceId: string, key: string): Promise<void> {
    await deleteTraceTag(traceId, key).catch((e: unknown) => {
      throw asHttpError(e);
    });
  }

  /** Deletes traces by id or age; resolves with how many (Python's `MlflowClient.delete_traces`). */
  async deleteTraces(options: DeleteTracesOptions): Promise<number> {
    return deleteTraces(options).catch((e: unknown) => {
      throw asHttpError(e);
    });
  }

  // ---- experiments -----------------------------------------------------------------------

  /** Creates an experiment; resolves with its id. Rejects (400, `RESOURCE_ALREADY_EXISTS`) for a name in use. */
  async createExperiment(name: string, artifactLocation?: string, tags?: Record<string, string>): Promise<string> {
    const args: Record<string, unknown> = { name: String(name) };
    if (artifactLocation !== undefined) args.artifact_location = String(artifactLocation);
    if (tags) args.tags = tags;
    return String(((await call("create_experiment", args)) as Json).experiment_id);
  }

  /** An experiment by id with its tags, or `null` when there is none. */
  async getExperiment(experimentId: string): Promise<ExperimentSummary | null> {
    return summary((await call("get_experiment", { experiment_id: String(experimentId) })) as Json | null);
  }

  /** An experiment by name (a deleted one too, as MLflow's server answers), or `null`. */
  async getExperimentByName(name: string): Promise<{ experimentId: string; name: string } | null> {
    const s = summary((await call("get_experiment_by_name", { name: String(name) })) as Json | null);
    return s && { experimentId: s.experimentId, name: s.name };
  }

  /** Active experiments (ferrotrace's addition, as Python's `search_experiments`), at most `maxResults`. */
  async searchExperiments(options: { filter?: string; maxResults?: number; orderBy?: string[] } = {}): Promise<ExperimentSummary[]> {
    const res = (await call("search_experiments", {
      filter: options.filter ?? null,
      max_results: options.maxResults ?? 1000,
      order_by: options.orderBy ?? null,
    })) as { experiments: Json[] };
    return res.experiments.map(summary).filter((e): e is ExperimentSummary => e !== null);
  }

  /** Deletes (archives) an experiment. */
  async deleteExperiment(experimentId: string): Promise<void> {
    await call("delete_experiment", { experiment_id: String(experimentId) });
  }
}
