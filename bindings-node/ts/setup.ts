/**
 * Once per process: metadata every trace carries (source, user), and the exit hook that
 * delivers what is still queued within a bounded time.
 */
import * as os from "node:os";
import { isMainThread } from "node:worker_threads";

import { stopKeeping } from "./leaves";
import { native } from "./native";
import { internalError, lazyRoots } from "./span";

function userName(): string {
  try {
    return os.userInfo().username;
  } catch {
    // no passwd entry (some containers)
    return process.env.USER ?? process.env.LOGNAME ?? "unknown";
  }
}

/**
 * Spans exported to an MLflow server report `telemetry.sdk.language` = `nodejs`, as MLflow's
 * TypeScript SDK does (OpenTelemetry's Node SDK sets it).
 */
export function setSdkLanguage(): void {
  try {
    native.configure(JSON.stringify({ sdkLanguage: "nodejs" }));
  } catch (e) {
    internalError("setting the SDK language", e);
  }
}

/** Sets `mlflow.source.name`, `mlflow.source.type` and `mlflow.user` for every trace. */
export function setProcessMetadata(): void {
  try {
    native.setProcessMetadata(
      JSON.stringify({
        "mlflow.source.name": process.argv[1] ?? process.argv0,
        "mlflow.source.type": "LOCAL",
        "mlflow.user": userName(),
      }),
    );
  } catch (e) {
    internalError("setting process metadata", e);
  }
}

/** Traces sealed but neither delivered nor counted as dropped (the core keeps the count). */
function pending(): number {
  return (JSON.parse(native.stats()) as { traces_pending: number }).traces_pending;
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
export function installExitHook(): void {
  process.once("exit", () => {
    try {
      stopKeeping(); // kept leaves to the core; from now on each is recorded at once
      // A trace still open here (process.exit() inside a traced call) is counted by the
      // core's exit; in a worker thread only what is pending matters.
      if (!isMainThread && pending() <= 0) return;
      const timeoutMs = (JSON.parse(native.config()) as { exitTimeout: number }).exitTimeout * 1000;
      // The core reports on stderr whatever it could not deliver in time.
      // Roots still pending never reached the core: it counts them with its own open ones.
      if (isMainThread) native.exitSync(timeoutMs, Math.max(0, lazyRoots.open));
      else native.flushSync(timeoutMs);
    } catch (e) {
      internalError("flushing at exit", e);
    }
  });
}
