/**
 * Where traces go: MLflow's `init` (tracking server, experiment, credentials), and tags on
 * traces already on the server. Nothing here waits on the network on the JS thread: server
 * calls run on the libuv thread pool and settle Promises.
 */
import { native } from "./native";
import { invalidArgument } from "./errors";
import { OTLP_OPTIONS, OtlpOptions } from "./otlp";
import { PROCESS_OPTIONS, type ProcessOptions } from "./process_options";
import { internalError } from "./span";

/** How long `init` lets its background experiment check wait for the server. */
const RESOLVE_TIMEOUT_MS = 3_000;

/**
 * Options of `init` (MLflow's `MLflowTracingInitOptions` for an MLflow tracking server). Each
 * one not given falls back to its environment variable, read when `init` is called.
 */
export interface InitOptions extends OtlpOptions, ProcessOptions {
  /** `http(s)://host:port` of the MLflow tracking server (`MLFLOW_TRACKING_URI`). */
  trackingUri?: string;
  /** Experiment to log traces to (`MLFLOW_EXPERIMENT_ID`); it must exist on the server. */
  experimentId?: string;
  /**
   * Experiment to log traces to, by name (`MLFLOW_EXPERIMENT_NAME`), created if missing. Not in
   * MLflow's TypeScript SDK (ferrotrace's addition, as Python's `set_experiment(name)`). Give
   * `experimentId` or `experimentName`, not both; with neither, MLflow's Default experiment "0".
   */
  experimentName?: string;
  /** Basic auth user (`MLFLOW_TRACKING_USERNAME`); basic auth wins over a token, as in MLflow. */
  trackingServerUsername?: string;
  /** Basic auth password (`MLFLOW_TRACKING_PASSWORD`). */
  trackingServerPassword?: string;
  /** Bearer token (`MLFLOW_TRACKING_TOKEN`). */
  trackingServerToken?: string;
  // MLflow's Databricks and workspace options: accepted so programs written for MLflow
  // type-check; ignored with a warning.
  /** Not supported (Databricks): ignored with a warning. */
  databricksConfigPath?: string;
  /** Not supported (Databricks): ignored with a warning. */
  host?: string;
  /** Not supported (Databricks): ignored with a warning. */
  databricksToken?: string;
  /** Not supported (workspaces): ignored with a warning. */
  workspace?: string;
  /** Not supported (Unity Catalog locations): ignored with a warning. */
  traceLocation?: unknown;
  /** Not supported (MLflow's auth providers): ignored with a warning; use the credentials above. */
  authProvider?: unknown;
}

/** MLflow's name for the options of `init`. */
export type MLflowTracingInitOptions = InitOptions;

const OPTIONS = [
  "trackingUri",
  "experimentId",
  "experimentName",
  "trackingServerUsername",
  "trackingServerPassword",
  "trackingServerToken",
  ...OTLP_OPTIONS,
  ...PROCESS_OPTIONS,
] as const;

/** MLflow options ferrotrace does not support (Databricks, workspaces): ignored with a warning. */
const UNSUPPORTED = [
  "databricksConfigPath",
  "host",
  "databricksToken",
  "workspace",
  "traceLocation",
  "authProvider",
];

/**
 * Sends traces to an MLflow tracking server, as MLflow's `init`. Options not given fall back to
 * `MLFLOW_TRACKING_URI`, `MLFLOW_EXPERIMENT_ID` / `MLFLOW_EXPERIMENT_NAME`,
 * `MLFLOW_TRACKING_USERNAME` / `MLFLOW_TRACKING_PASSWORD` and `MLFLOW_TRACKING_TOKEN`.
 *
 * Throws only for an invalid option (the error names it, e.g. `trackingUri`); then nothing
 * changes. It never waits for the server: the experiment is checked (or created, by name) in the
 * background, and a server that is down or refuses the experiment gives one warning on stderr.
 * Calling it again applies the new settings.
 *
 * Differences from MLflow: without any tracking URI, traces go to the local store
 * (`./ferrotrace-traces`) instead of `init` throwing; without an experiment, MLflow's Default
 * experiment "0" is used; Databricks URIs are not supported.
 *
 * @example
 * ```ts
 * import * as mlflow from "ferrotrace";
 * mlflow.init({ trackingUri: "http://localhost:5000", experimentId: "123456789" });
 * // or by name, created if missing:
 * mlflow.init({ trackingUri: "http://localhost:5000", experimentName: "my-agent" });
 * ```
 */
export function init(options: InitOptions = {}): void {
  if (options === null || typeof options !== "object") {
    throw invalidArgument("ferrotrace: init takes an options object, e.g. init({ trackingUri })", TypeError);
  }
  const given: Record<string, unknown> = {};
  for (const key of OPTIONS) {
    const value = (options as Record<string, unknown>)[key];
    if (value !== undefined) given[key] = value;
  }
  for (const key of UNSUPPORTED) {
    if ((options as Record<string, unknown>)[key] !== undefined) {
      console.warn(`ferrotrace: the init option ${key} is not supported (Databricks/workspaces); ignored.`);
    }
  }
  // The core reads the fallback variables (its own list); process.env is passed because a worker
  // thread may hold its own copy.
  const env: Record<string, string> = {};
  for (const name of native.initEnvNames()) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  // Validates and applies in one step; throws naming the option.
  const hasServer = native.init(JSON.stringify({ options: given, env }));
  // init sets the destination anew: resetDestination returns to this one.
  saved = null;
  if (!hasServer) return;
  // The check runs on the thread pool and reports a problem itself (once, on stderr).
  try {
    native.resolveExperiment(RESOLVE_TIMEOUT_MS).catch((e: unknown) => internalError("init", e));
  } catch (e) {
    internalError("init", e);
  }
}

/**
 * A trace store in force (the tracking server or the local store), or a clear error for calls
 * that need one: only the memory destination keeps none.
 */
export function requireServer(what: string): void {
  const { trackingUri, destination } = JSON.parse(native.config()) as { trackingUri: string | null; destination: string };
  if (!trackingUri && destination === "memory") {
    throw invalidArgument(
      `ferrotrace: ${what} needs an MLflow tracking server: call init({ trackingUri }) or set MLFLOW_TRACKING_URI, ` +
        `or use the local store (the memory destination keeps no store).`,
    );
  }
}

/** One call of the core's trace-level API (the tracking server or the local store). */
export async function traceApi(op: string, args: Record<string, unknown>): Promise<unknown> {
  const text = await native.traceApi(op, JSON.stringify(args));
  return text ? (JSON.parse(text) as unknown) : null;
}

/**
 * Sets a tag on a finished trace, on the MLflow server or in the local store; a trace that
 * ended a moment ago and is still queued is written first. Keys are cut at 250 characters and values at 4096, as in MLflow.
 *
 * @example
 * ```ts
 * await mlflow.setTraceTag(mlflow.getLastActiveTraceId()!, "reviewed", "yes");
 * ```
 */
export async function setTraceTag(traceId: string, key: string, value: string): Promise<void> {
  requireServer("setTraceTag");
  await traceApi("set_trace_tag", {
    trace_id: String(traceId),
    key: String(key).slice(0, 250),
    value: String(value).slice(0, 4096),
  });
}

/**
 * Removes a tag from a finished trace (MLflow server or local store).
 *
 * @example
 * ```ts
 * await mlflow.deleteTraceTag(traceId, "reviewed");
 * ```
 */
export async function deleteTraceTag(traceId: string, key: string): Promise<void> {
  requireServer("deleteTraceTag");
  await traceApi("delete_trace_tag", { trace_id: String(traceId), key: String(key).slice(0, 250) });
}

// ---- destination ------------------------------------------------------------------------------

/** Kinds of trace location (MLflow's `TraceLocationType`); ferrotrace supports experiments. */
export enum TraceLocationType {
  TRACE_LOCATION_TYPE_UNSPECIFIED = "TRACE_LOCATION_TYPE_UNSPECIFIED",
  MLFLOW_EXPERIMENT = "MLFLOW_EXPERIMENT",
  INFERENCE_TABLE = "INFERENCE_TABLE",
  /** A Databricks Unity Catalog table prefix (MLflow's newest SDK); not supported. */
  UC_TABLE_PREFIX = "UC_TABLE_PREFIX",
  /** A Unity Catalog schema (earlier MLflow versions); not supported. */
  UC_SCHEMA = "UC_SCHEMA",
}

/** Where traces are logged: an MLflow experiment (MLflow's `TraceLocation` shape). */
export interface TraceLocation {
  type: TraceLocationType | `${TraceLocationType}`;
  mlflowExperiment?: { experimentId: string };
}

/** What `setDestination` accepts besides a `TraceLocation`. */
export type TraceDestination =
  | TraceLocation
  | { type: "experiment"; experimentId: string }
  | { experimentId: string }
  /** MLflow's Databricks Unity Catalog destinations (`{kind: "uc_schema", location}`): not supported. */
  | { kind: string; location: unknown }
  | string;

/**
 * The `TraceLocation` of an MLflow experiment.
 *
 * @example
 * ```ts
 * mlflow.setDestination(mlflow.createTraceLocationFromExperimentId("123"));
 * ```
 */
export function createTraceLocationFromExperimentId(experimentId: string): TraceLocation {
  return { type: TraceLocationType.MLFLOW_EXPERIMENT, mlflowExperiment: { experimentId: String(experimentId) } };
}

function experimentIdOf(destination: unknown): string {
  if (typeof destination === "string" || typeof destination === "number") return String(destination);
  if (destination === null || typeof destination !== "object") {
    throw invalidArgument("setDestination takes a TraceLocation, e.g. { type: \"MLFLOW_EXPERIMENT\", mlflowExperiment: { experimentId } }", TypeError);
  }
  const d = destination as { type?: unknown; kind?: unknown; experimentId?: unknown; mlflowExperiment?: { experimentId?: unknown } };
  if (d.kind !== undefined) {
    throw invalidArgument(`setDestination: ${String(d.kind)} (Databricks Unity Catalog) destinations are not supported; use an MLflow experiment.`);
  }
  const type = typeof d.type === "string" ? d.type.toUpperCase() : undefined;
  if (type !== undefined && type !== "MLFLOW_EXPERIMENT" && type !== "EXPERIMENT") {
    throw invalidArgument(`setDestination: trace location type ${String(d.type)} is not supported; use an MLflow experiment.`);
  }
  const id = d.mlflowExperiment?.experimentId ?? d.experimentId;
  if (typeof id !== "string" && typeof id !== "number") {
    throw new TypeError("setDestination: the location names no experimentId");
  }
  return String(id);
}

/**
 * Logs traces to this MLflow experiment from now on (the core's experiment setting, as
 * `init({ experimentId })` sets it; process-wide). Accepts MLflow's `TraceLocation`
 * (`{type: "MLFLOW_EXPERIMENT", mlflowExperiment: {experimentId}}`), `{type: "experiment",
 * experimentId}`, `{experimentId}` or the id itself. Throws for other location types (Unity
 * Catalog, inference tables). With a tracking server set, the experiment is checked in the
 * background as by `init`; traces still queued for the previous experiment are delivered
 * there first (at most `exitTimeout`). `setDestination(null)` clears it, as `resetDestination()`.
 *
 * @example
 * ```ts
 * mlflow.setDestination({ type: "MLFLOW_EXPERIMENT", mlflowExperiment: { experimentId: "42" } });
 * ```
 */
export function setDestination(destination: TraceDestination | null): void {
  // MLflow: `null` clears the destination set before.
  if (destination === null) {
    resetDestination();
    return;
  }
  const experimentId = experimentIdOf(destination);
  const before = JSON.parse(native.config()) as Experiment;
  native.configure(JSON.stringify({ experimentId }));
  // What `resetDestination` returns to: the experiment in force before the first call.
  saved ??= { experimentId: before.experimentId, experimentName: before.experimentName };
  checkExperiment("setDestination");
}

/** The experiment settings `setDestination` replaced (`null`: nothing to restore). */
interface Experiment {
  trackingUri?: string | null;
  experimentId: string | null;
  experimentName: string | null;
}
let saved: Experiment | null = null;

/** Checks the experiment now configured on the server, in the background (as `init`). */
function checkExperiment(what: string): void {
  const { trackingUri } = JSON.parse(native.config()) as Experiment;
  if (!trackingUri) return;
  try {
    native.resolveExperiment(RESOLVE_TIMEOUT_MS).catch((e: unknown) => internalError(what, e));
  } catch (e) {
    internalError(what, e);
  }
}

/**
 * Undoes `setDestination`: traces go to the experiment that `init` or the environment
 * (`MLFLOW_EXPERIMENT_ID` / `MLFLOW_EXPERIMENT_NAME`) set before the first `setDestination`
 * call since the last `init`, or, if none was set, to MLflow's Default experiment "0" (where
 * traces go without an experiment; `getDestination()` then says "0"). Nothing happens when
 * `setDestination` was not called. Process-wide, like `setDestination`.
 *
 * @example
 * ```ts
 * mlflow.setDestination(mlflow.createTraceLocationFromExperimentId("42"));
 * await evaluate();            // traced into experiment 42
 * mlflow.resetDestination();   // back to the experiment from init
 * ```
 */
export function resetDestination(): void {
  if (saved === null) return;
  const { experimentId, experimentName } = saved;
  saved = null;
  const update = experimentId ? { experimentId } : experimentName ? { experimentName } : { experimentId: "0" };
  native.configure(JSON.stringify(update));
  checkExperiment("resetDestination");
}

/**
 * The experiment traces are logged to, as a `TraceLocation`, or `undefined` when none is set by
 * id (`setDestination`, `init`, `MLFLOW_EXPERIMENT_ID`; an experiment given by name is
 * resolved by the server later).
 *
 * @example
 * ```ts
 * mlflow.getDestination()?.mlflowExperiment?.experimentId; // "42"
 * ```
 */
export function getDestination(): TraceLocation | undefined {
  const { experimentId } = JSON.parse(native.config()) as { experimentId: string | null };
  return experimentId ? createTraceLocationFromExperimentId(experimentId) : undefined;
}
