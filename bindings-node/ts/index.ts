/**
 * ferrotrace for Node: MLflow Tracing's TypeScript API backed by a native core.
 *
 * @example
 * ```ts
 * import * as mlflow from "ferrotrace";
 * const answer = mlflow.trace(async (question: string) => `echo ${question}`, { name: "answer" });
 * await answer("hi");
 * console.log(mlflow.getLastActiveTraceId());
 * ```
 */
import { installExitHook, setProcessMetadata } from "./setup";
import * as testing from "./testing";

export {
  configure,
  flushTraces,
  getConfig,
  getCurrentActiveSpan,
  getLastActiveTraceId,
  startSpan,
  stats,
  trace,
  updateCurrentTrace,
  withSpan,
} from "./api";
export type {
  ConfigureOptions,
  SpanOptions,
  TraceOptions,
  TracerStats,
  UpdateCurrentTraceOptions,
} from "./api";
export { CAPS, toJsonText } from "./capture";
export { LiveSpan, SpanEvent, SpanStatus, SpanStatusCode, SpanType } from "./span";
export type { AttributeValue } from "./span";
export { testing };

setProcessMetadata();
installExitHook();
