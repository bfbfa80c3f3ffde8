/**
 * Options of `init` (MLflow's `MLflowTracingInitOptions` for an MLflow tracking server). Each
 * one not given falls back to its environment variable, read when `init` is called.
 */
export interface InitOptions {
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
/** The tracking server in force, or a clear error for calls that need one. */
export declare function requireServer(what: string): void;
/**
 * Sets a tag on a trace on the MLflow server; a trace that ended a moment ago and is still
 * queued is delivered first. Keys are cut at 250 characters and values at 4096, as in MLflow.
 *
 * @example
 * ```ts
 * await mlflow.setTraceTag(mlflow.getLastActiveTraceId()!, "reviewed", "yes");
 * ```
 */
export declare function setTraceTag(traceId: string, key: string, value: string): Promise<void>;
/**
 * Removes a tag from a trace on the MLflow server.
 *
 * @example
 * ```ts
 * await mlflow.deleteTraceTag(traceId, "reviewed");
 * ```
 */
export declare function deleteTraceTag(traceId: string, key: string): Promise<void>;
