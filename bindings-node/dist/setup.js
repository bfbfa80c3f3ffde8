"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.setSdkLanguage = setSdkLanguage;
exports.setProcessMetadata = setProcessMetadata;
exports.installExitHook = installExitHook;
/**
 * Once per process: metadata every trace carries (source, user), and the exit hook that
 * delivers what is still queued within a bounded time.
 */
const os = require("node:os");
const node_worker_threads_1 = require("node:worker_threads");
const leaves_1 = require("./leaves");
const native_1 = require("./native");
const span_1 = require("./span");
function userName() {
    try {
        return os.userInfo().username;
    }
    catch {
        // no passwd entry (some containers)
        return process.env.USER ?? process.env.LOGNAME ?? "unknown";
    }
}
/**
 * Spans exported to an MLflow server report `telemetry.sdk.language` = `nodejs`, as MLflow's
 * TypeScript SDK does (OpenTelemetry's Node SDK sets it).
 */
function setSdkLanguage() {
    try {
        native_1.native.configure(JSON.stringify({ sdkLanguage: "nodejs" }));
    }
    catch (e) {
        (0, span_1.internalError)("setting the SDK language", e);
    }
}
/** Sets `mlflow.source.name`, `mlflow.source.type` and `mlflow.user` for every trace. */
function setProcessMetadata() {
    try {
        native_1.native.setProcessMetadata(JSON.stringify({
            "mlflow.source.name": process.argv[1] ?? process.argv0,
            "mlflow.source.type": "LOCAL",
            "mlflow.user": userName(),
        }));
    }
    catch (e) {
        (0, span_1.internalError)("setting process metadata", e);
    }
}
/** Traces sealed but neither delivered nor counted as dropped (the core keeps the count). */
function pending() {
    return JSON.parse(native_1.native.stats()).traces_pending;
}
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
function installExitHook() {
    process.once("exit", () => {
        try {
            (0, leaves_1.stopKeeping)(); // kept leaves to the core; from now on each is recorded at once
            // A trace still open here (process.exit() inside a traced call) is counted by the
            // core's exit; in a worker thread only what is pending matters.
            if (!node_worker_threads_1.isMainThread && pending() <= 0)
                return;
            const timeoutMs = JSON.parse(native_1.native.config()).exitTimeout * 1000;
            // The core reports on stderr whatever it could not deliver in time.
            // Roots still pending never reached the core: it counts them with its own open ones.
            if (node_worker_threads_1.isMainThread)
                native_1.native.exitSync(timeoutMs, Math.max(0, span_1.lazyRoots.open));
            else
                native_1.native.flushSync(timeoutMs);
        }
        catch (e) {
            (0, span_1.internalError)("flushing at exit", e);
        }
    });
}
