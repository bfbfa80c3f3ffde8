"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.TraceLocationType = void 0;
exports.init = init;
exports.requireServer = requireServer;
exports.traceApi = traceApi;
exports.setTraceTag = setTraceTag;
exports.deleteTraceTag = deleteTraceTag;
exports.createTraceLocationFromExperimentId = createTraceLocationFromExperimentId;
exports.setDestination = setDestination;
exports.resetDestination = resetDestination;
exports.getDestination = getDestination;
/**
 * Where traces go: MLflow's `init` (tracking server, experiment, credentials), and tags on
 * traces already on the server. Nothing here waits on the network on the JS thread: server
 * calls run on the libuv thread pool and settle Promises.
 */
const native_1 = require("./native");
const errors_1 = require("./errors");
const otlp_1 = require("./otlp");
const process_options_1 = require("./process_options");
const span_1 = require("./span");
/** How long `init` lets its background experiment check wait for the server. */
const RESOLVE_TIMEOUT_MS = 3_000;
const OPTIONS = [
    "trackingUri",
    "experimentId",
    "experimentName",
    "trackingServerUsername",
    "trackingServerPassword",
    "trackingServerToken",
    ...otlp_1.OTLP_OPTIONS,
    ...process_options_1.PROCESS_OPTIONS,
];
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
function init(options = {}) {
    if (options === null || typeof options !== "object") {
        throw (0, errors_1.invalidArgument)("ferrotrace: init takes an options object, e.g. init({ trackingUri })", TypeError);
    }
    const given = {};
    for (const key of OPTIONS) {
        const value = options[key];
        if (value !== undefined)
            given[key] = value;
    }
    for (const key of UNSUPPORTED) {
        if (options[key] !== undefined) {
            console.warn(`ferrotrace: the init option ${key} is not supported (Databricks/workspaces); ignored.`);
        }
    }
    // The core reads the fallback variables (its own list); process.env is passed because a worker
    // thread may hold its own copy.
    const env = {};
    for (const name of native_1.native.initEnvNames()) {
        const value = process.env[name];
        if (value !== undefined)
            env[name] = value;
    }
    // Validates and applies in one step; throws naming the option.
    const hasServer = native_1.native.init(JSON.stringify({ options: given, env }));
    // init sets the destination anew: resetDestination returns to this one.
    saved = null;
    if (!hasServer)
        return;
    // The check runs on the thread pool and reports a problem itself (once, on stderr).
    try {
        native_1.native.resolveExperiment(RESOLVE_TIMEOUT_MS).catch((e) => (0, span_1.internalError)("init", e));
    }
    catch (e) {
        (0, span_1.internalError)("init", e);
    }
}
/**
 * A trace store in force (the tracking server or the local store), or a clear error for calls
 * that need one: only the memory destination keeps none.
 */
function requireServer(what) {
    const { trackingUri, destination } = JSON.parse(native_1.native.config());
    if (!trackingUri && destination === "memory") {
        throw (0, errors_1.invalidArgument)(`ferrotrace: ${what} needs an MLflow tracking server: call init({ trackingUri }) or set MLFLOW_TRACKING_URI, ` +
            `or use the local store (the memory destination keeps no store).`);
    }
}
/** One call of the core's trace-level API (the tracking server or the local store). */
async function traceApi(op, args) {
    const text = await native_1.native.traceApi(op, JSON.stringify(args));
    return text ? JSON.parse(text) : null;
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
async function setTraceTag(traceId, key, value) {
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
async function deleteTraceTag(traceId, key) {
    requireServer("deleteTraceTag");
    await traceApi("delete_trace_tag", { trace_id: String(traceId), key: String(key).slice(0, 250) });
}
// ---- destination ------------------------------------------------------------------------------
/** Kinds of trace location (MLflow's `TraceLocationType`); ferrotrace supports experiments. */
var TraceLocationType;
(function (TraceLocationType) {
    TraceLocationType["TRACE_LOCATION_TYPE_UNSPECIFIED"] = "TRACE_LOCATION_TYPE_UNSPECIFIED";
    TraceLocationType["MLFLOW_EXPERIMENT"] = "MLFLOW_EXPERIMENT";
    TraceLocationType["INFERENCE_TABLE"] = "INFERENCE_TABLE";
    /** A Databricks Unity Catalog table prefix (MLflow's newest SDK); not supported. */
    TraceLocationType["UC_TABLE_PREFIX"] = "UC_TABLE_PREFIX";
    /** A Unity Catalog schema (earlier MLflow versions); not supported. */
    TraceLocationType["UC_SCHEMA"] = "UC_SCHEMA";
})(TraceLocationType || (exports.TraceLocationType = TraceLocationType = {}));
/**
 * The `TraceLocation` of an MLflow experiment.
 *
 * @example
 * ```ts
 * mlflow.setDestination(mlflow.createTraceLocationFromExperimentId("123"));
 * ```
 */
function createTraceLocationFromExperimentId(experimentId) {
    return { type: TraceLocationType.MLFLOW_EXPERIMENT, mlflowExperiment: { experimentId: String(experimentId) } };
}
function experimentIdOf(destination) {
    if (typeof destination === "string" || typeof destination === "number")
        return String(destination);
    if (destination === null || typeof destination !== "object") {
        throw (0, errors_1.invalidArgument)("setDestination takes a TraceLocation, e.g. { type: \"MLFLOW_EXPERIMENT\", mlflowExperiment: { experimentId } }", TypeError);
    }
    const d = destination;
    if (d.kind !== undefined) {
        throw (0, errors_1.invalidArgument)(`setDestination: ${String(d.kind)} (Databricks Unity Catalog) destinations are not supported; use an MLflow experiment.`);
    }
    const type = typeof d.type === "string" ? d.type.toUpperCase() : undefined;
    if (type !== undefined && type !== "MLFLOW_EXPERIMENT" && type !== "EXPERIMENT") {
        throw (0, errors_1.invalidArgument)(`setDestination: trace location type ${String(d.type)} is not supported; use an MLflow experiment.`);
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
function setDestination(destination) {
    // MLflow: `null` clears the destination set before.
    if (destination === null) {
        resetDestination();
        return;
    }
    const experimentId = experimentIdOf(destination);
    const before = JSON.parse(native_1.native.config());
    native_1.native.configure(JSON.stringify({ experimentId }));
    // What `resetDestination` returns to: the experiment in force before the first call.
    saved ??= { experimentId: before.experimentId, experimentName: before.experimentName };
    checkExperiment("setDestination");
}
let saved = null;
/** Checks the experiment now configured on the server, in the background (as `init`). */
function checkExperiment(what) {
    const { trackingUri } = JSON.parse(native_1.native.config());
    if (!trackingUri)
        return;
    try {
        native_1.native.resolveExperiment(RESOLVE_TIMEOUT_MS).catch((e) => (0, span_1.internalError)(what, e));
    }
    catch (e) {
        (0, span_1.internalError)(what, e);
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
function resetDestination() {
    if (saved === null)
        return;
    const { experimentId, experimentName } = saved;
    saved = null;
    const update = experimentId ? { experimentId } : experimentName ? { experimentName } : { experimentId: "0" };
    native_1.native.configure(JSON.stringify(update));
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
function getDestination() {
    const { experimentId } = JSON.parse(native_1.native.config());
    return experimentId ? createTraceLocationFromExperimentId(experimentId) : undefined;
}
