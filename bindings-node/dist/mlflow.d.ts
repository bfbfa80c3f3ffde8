import { OtlpOptions } from "./otlp";
import { type ProcessOptions } from "./process_options";
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
export declare function init(options?: InitOptions): void;
/**
 * A trace store in force (the tracking server or the local store), or a clear error for calls
 * that need one: only the memory destination keeps none.
 */
export declare function requireServer(what: string): void;
/** One call of the core's trace-level API (the tracking server or the local store). */
export declare function traceApi(op: string, args: Record<string, unknown>): Promise<unknown>;
/**
 * Sets a tag on a finished trace, on the MLflow server or in the local store; a trace that
 * ended a moment ago and is still queued is written first. Keys are cut at 250 characters and values at 4096, as in MLflow.
 *
 * @example
 * ```ts
 * await mlflow.setTraceTag(mlflow.getLastActiveTraceId()!, "reviewed", "yes");
 * ```
 */
export declare function setTraceTag(traceId: string, key: string, value: string): Promise<void>;
/**
 * Removes a tag from a finished trace (MLflow server or local store).
 *
 * @example
 * ```ts
 * await mlflow.deleteTraceTag(traceId, "reviewed");
 * ```
 */
export declare function deleteTraceTag(traceId: string, key: string): Promise<void>;
/** Kinds of trace location (MLflow's `TraceLocationType`); ferrotrace supports experiments. */
export declare enum TraceLocationType {
    TRACE_LOCATION_TYPE_UNSPECIFIED = "TRACE_LOCATION_TYPE_UNSPECIFIED",
    MLFLOW_EXPERIMENT = "MLFLOW_EXPERIMENT",
    INFERENCE_TABLE = "INFERENCE_TABLE",
    /** A Databricks Unity Catalog table prefix (MLflow's newest SDK); not supported. */
    UC_TABLE_PREFIX = "UC_TABLE_PREFIX",
    /** A Unity Catalog schema (earlier MLflow versions); not supported. */
    UC_SCHEMA = "UC_SCHEMA"
}
/** Where traces are logged: an MLflow experiment (MLflow's `TraceLocation` shape). */
export interface TraceLocation {
    type: TraceLocationType | `${TraceLocationType}`;
    mlflowExperiment?: {
        experimentId: string;
    };
}
/** What `setDestination` accepts besides a `TraceLocation`. */
export type TraceDestination = TraceLocation | {
    type: "experiment";
    experimentId: string;
} | {
    experimentId: string;
}
/** MLflow's Databricks Unity Catalog destinations (`{kind: "uc_schema", location}`): not supported. */
 | {
    kind: string;
    location: unknown;
} | string;
/**
 * The `TraceLocation` of an MLflow experiment.
 *
 * @example
 * ```ts
 * mlflow.setDestination(mlflow.createTraceLocationFromExperimentId("123"));
 * ```
 */
export declare function createTraceLocationFromExperimentId(experimentId: string): TraceLocation;
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
export declare function setDestination(destination: TraceDestination | null): void;
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
export declare function resetDestination(): void;
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
export declare function getDestination(): TraceLocation | undefined;
