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
  updateCurrentTrace,
  withSpan,
} from "./api";
export type {
  ConfigureOptions,
  SpanOptions,
  TracerConfig,
  TracerStats,
  UpdateCurrentTraceOptions,
} from "./api";
export { deleteAssessment, getAssessment, overrideFeedback, updateAssessment } from "./assessment_ops";
export type { Assessment, OverrideFeedbackOptions, UpdateAssessmentOptions } from "./assessment_ops";
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
export {
  DEFAULT_SPAN_NAME,
  NO_OP_SPAN_TRACE_ID,
  REQUEST_RESPONSE_PREVIEW_MAX_LENGTH,
  SpanAttributeKey,
  SpanLogLevel,
  TokenUsageKey,
  TRACE_ID_PREFIX,
  TRACE_ID_V4_PREFIX,
  TRACE_SCHEMA_VERSION,
  TraceMetadataKey,
  TraceTagKey,
} from "./constants";
export {
  getTracingContextHeadersForHttpRequest,
  tracingContext,
  withTracingContextFromHeaders,
  withTracingContextFromHeadersAsync,
} from "./context";
export type { HeadersLike, TracingContextOptions } from "./context";
export { registerOnSpanEndHook, registerOnSpanStartHook } from "./hooks";
export type { SpanHook } from "./hooks";
export {
  createTraceLocationFromExperimentId,
  deleteTraceTag,
  getDestination,
  init,
  resetDestination,
  setDestination,
  setTraceTag,
  TraceLocationType,
} from "./mlflow";
export type { InitOptions, MLflowTracingInitOptions, TraceDestination, TraceLocation } from "./mlflow";
export type { OtlpOptions } from "./otlp";
export type { OtlpSemconv } from "./otlp";
export type { ProcessOptions } from "./process_options";
export { tracedAnthropic } from "./anthropic";
export { tracedOpenAI } from "./openai";
export { LiveSpan, SpanEvent, SpanStatus, SpanStatusCode, SpanType } from "./span";
export { NoOpSpan } from "./span";
export type { AttributeValue, HrTime, SpanLink } from "./span";
export { trace } from "./trace";
export { getTrace, Span, Trace, TraceInfo } from "./traces";
export type { GetTraceOptions, TokenUsage } from "./traces";
export { TraceData } from "./entities";
export type { SerializedSpan, SerializedTrace, SerializedTraceInfo, TraceInfoParams } from "./entities";
export { MlflowClient, MlflowHttpError } from "./client";
export type {
  ClientSearchTracesOptions,
  ClientSearchTracesResult,
  ExperimentSummary,
  MlflowClientOptions,
} from "./client";
export { deleteTraces, searchTraces, searchTracesPage } from "./search";
export type { DeleteTracesOptions, SearchTracesOptions, TracePage } from "./search";
export type { TraceDecorator, TraceOptions } from "./trace";
export { testing };

setSdkLanguage();
setProcessMetadata();
installExitHook();
