/**
 * Spans exported to an MLflow server report `telemetry.sdk.language` = `nodejs`, as MLflow's
 * TypeScript SDK does (OpenTelemetry's Node SDK sets it).
 */
export declare function setSdkLanguage(): void;
/** Sets `mlflow.source.name`, `mlflow.source.type` and `mlflow.user` for every trace. */
export declare function setProcessMetadata(): void;
/**
 * Flushes at `exit`, which runs both for a natural end and for `process.exit()`. Only
 * synchronous work can run there, so this is a blocking wait bounded by the exit timeout
 * (`FERROTRACE_EXIT_TIMEOUT`, seconds, default 5). The main thread always calls the core's exit,
 * which counts traces left open (`open_at_exit`) and returns at once when nothing is queued.
 * `beforeExit` is not used: it does not fire on `process.exit()`, and fires again after any
 * asynchronous flush it starts.
 *
 * A worker thread's `exit` ends only that thread: there the wait delivers what is queued but
 * leaves the process-wide export worker running for the other threads (and reports nothing).
 */
export declare function installExitHook(): void;
