/**
 * MLflow's reserved keys and constants, as its TypeScript SDK exports them. The names of
 * MLflow's TypeScript SDK come first; where MLflow's Python SDK names the same key differently,
 * that name is an alias (`REQUEST_ID` = `TRACE_ID`, `CHAT_USAGE` = `TOKEN_USAGE`), and keys the
 * core writes or MLflow documents are included too (a superset: nothing here is renamed).
 *
 * @example
 * ```ts
 * span.setAttribute(SpanAttributeKey.TOKEN_USAGE, {
 *   [TokenUsageKey.INPUT_TOKENS]: 12, [TokenUsageKey.OUTPUT_TOKENS]: 30, [TokenUsageKey.TOTAL_TOKENS]: 42,
 * });
 * ```
 */

/** Prefix of MLflow V3 trace ids: `tr-` + 32 hex digits. */
export const TRACE_ID_PREFIX = "tr-";

/** Prefix of MLflow V4 trace ids (Unity Catalog traces, not supported here): `trace:/<location>/<hex>`. */
export const TRACE_ID_V4_PREFIX = "trace:/";

/** Request and response previews in the trace info are cut to this many characters (MLflow's value). */
export const REQUEST_RESPONSE_PREVIEW_MAX_LENGTH = 1000;

/** Name of a span started without one (`withSpan`, `startSpan`, an anonymous traced function). */
export const DEFAULT_SPAN_NAME = "span";

/** `traceId` of the no-op span returned when a span cannot be started. */
export const NO_OP_SPAN_TRACE_ID = "no-op-span-trace-id";

/** The trace schema version written into trace metadata. */
export const TRACE_SCHEMA_VERSION = "3";

/** Span attribute keys (values are stored as JSON text). */
export const SpanAttributeKey = Object.freeze({
  EXPERIMENT_ID: "mlflow.experimentId",
  TRACE_ID: "mlflow.traceRequestId",
  /** Python's name of `TRACE_ID`. */
  REQUEST_ID: "mlflow.traceRequestId",
  INPUTS: "mlflow.spanInputs",
  OUTPUTS: "mlflow.spanOutputs",
  SPAN_TYPE: "mlflow.spanType",
  FUNCTION_NAME: "mlflow.spanFunctionName",
  DESCRIPTION: "mlflow.spanDescription",
  LOG_LEVEL: "mlflow.spanLogLevel",
  START_TIME_NS: "mlflow.spanStartTimeNs",
  TOKEN_USAGE: "mlflow.chat.tokenUsage",
  /** Python's name of `TOKEN_USAGE`. */
  CHAT_USAGE: "mlflow.chat.tokenUsage",
  CHAT_TOOLS: "mlflow.chat.tools",
  LLM_COST: "mlflow.llm.cost",
  MODEL: "mlflow.llm.model",
  MODEL_PROVIDER: "mlflow.llm.provider",
  MESSAGE_FORMAT: "mlflow.message.format",
  LINKED_PROMPTS: "mlflow.linkedPrompts",
  INTERMEDIATE_OUTPUTS: "mlflow.trace.intermediate_outputs",
  /** Attribute of a stream's `mlflow.chunk.item.{i}` events: the item as JSON text. */
  CHUNK_VALUE: "mlflow.chunk.value",
  SESSION_ID: "session.id",
  USER_ID: "user.id",
} as const);

/** Trace metadata keys. */
export const TraceMetadataKey = Object.freeze({
  SOURCE_RUN: "mlflow.sourceRun",
  MODEL_ID: "mlflow.modelId",
  SIZE_BYTES: "mlflow.trace.sizeBytes",
  SIZE_STATS: "mlflow.trace.sizeStats",
  SCHEMA_VERSION: "mlflow.trace_schema.version",
  TOKEN_USAGE: "mlflow.trace.tokenUsage",
  COST: "mlflow.trace.cost",
  INPUTS: "mlflow.traceInputs",
  OUTPUTS: "mlflow.traceOutputs",
  TRACE_USER: "mlflow.trace.user",
  TRACE_SESSION: "mlflow.trace.session",
} as const);

/** Trace tag keys. */
export const TraceTagKey = Object.freeze({
  TRACE_NAME: "mlflow.traceName",
  MLFLOW_ARTIFACT_LOCATION: "mlflow.artifactLocation",
  EVAL_REQUEST_ID: "mlflow.eval.requestId",
  LINKED_PROMPTS: "mlflow.linkedPrompts",
} as const);

/** Keys of the token usage object (`SpanAttributeKey.TOKEN_USAGE`). */
export const TokenUsageKey = Object.freeze({
  INPUT_TOKENS: "input_tokens",
  OUTPUT_TOKENS: "output_tokens",
  TOTAL_TOKENS: "total_tokens",
  CACHE_READ_INPUT_TOKENS: "cache_read_input_tokens",
  CACHE_CREATION_INPUT_TOKENS: "cache_creation_input_tokens",
} as const);

/**
 * A span's verbosity, as Python's logging levels (MLflow's UI filters on it). Spans of types
 * LLM, CHAT_MODEL, TOOL, RETRIEVER, AGENT and EMBEDDING default to INFO, others to DEBUG; an
 * exception raises it to ERROR.
 */
export enum SpanLogLevel {
  DEBUG = 10,
  INFO = 20,
  WARNING = 30,
  ERROR = 40,
  CRITICAL = 50,
}
