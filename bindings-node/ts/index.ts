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
import { installExitHook, setProcessMetadata, setSdkLanguage } from "./setup";
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
  TracerConfig,
  TracerStats,
  UpdateCurrentTraceOptions,
} from "./api";
export { AssessmentSourceType, logExpectation, logFeedback } from "./assessments";
export type {
  AssessmentError,
  AssessmentSource,
  Expectation,
  Feedback,
  FeedbackValueType,
  LogExpectationOptions,
  LogFeedbackOptions,
} from "./assessments";
export { CAPS, toJsonText } from "./capture";
export { deleteTraceTag, init, setTraceTag } from "./mlflow";
export type { InitOptions, MLflowTracingInitOptions } from "./mlflow";
export { LiveSpan, SpanEvent, SpanStatus, SpanStatusCode, SpanType } from "./span";
export type { AttributeValue } from "./span";
export { testing };

setSdkLanguage();
setProcessMetadata();
installExitHook();
