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
export declare const TRACE_ID_PREFIX = "tr-";
/** Prefix of MLflow V4 trace ids (Unity Catalog traces, not supported here): `trace:/<location>/<hex>`. */
export declare const TRACE_ID_V4_PREFIX = "trace:/";
/** Request and response previews in the trace info are cut to this many characters (MLflow's value). */
export declare const REQUEST_RESPONSE_PREVIEW_MAX_LENGTH = 1000;
/** Name of a span started without one (`withSpan`, `startSpan`, an anonymous traced function). */
export declare const DEFAULT_SPAN_NAME = "span";
/** `traceId` of the no-op span returned when a span cannot be started. */
export declare const NO_OP_SPAN_TRACE_ID = "no-op-span-trace-id";
/** The trace schema version written into trace metadata. */
export declare const TRACE_SCHEMA_VERSION = "3";
/** Span attribute keys (values are stored as JSON text). */
export declare const SpanAttributeKey: Readonly<{
    readonly EXPERIMENT_ID: "mlflow.experimentId";
    readonly TRACE_ID: "mlflow.traceRequestId";
    /** Python's name of `TRACE_ID`. */
    readonly REQUEST_ID: "mlflow.traceRequestId";
    readonly INPUTS: "mlflow.spanInputs";
    readonly OUTPUTS: "mlflow.spanOutputs";
    readonly SPAN_TYPE: "mlflow.spanType";
    readonly FUNCTION_NAME: "mlflow.spanFunctionName";
    readonly DESCRIPTION: "mlflow.spanDescription";
    readonly LOG_LEVEL: "mlflow.spanLogLevel";
    readonly START_TIME_NS: "mlflow.spanStartTimeNs";
    readonly TOKEN_USAGE: "mlflow.chat.tokenUsage";
    /** Python's name of `TOKEN_USAGE`. */
    readonly CHAT_USAGE: "mlflow.chat.tokenUsage";
    readonly CHAT_TOOLS: "mlflow.chat.tools";
    readonly LLM_COST: "mlflow.llm.cost";
    readonly MODEL: "mlflow.llm.model";
    readonly MODEL_PROVIDER: "mlflow.llm.provider";
    readonly MESSAGE_FORMAT: "mlflow.message.format";
    readonly LINKED_PROMPTS: "mlflow.linkedPrompts";
    readonly INTERMEDIATE_OUTPUTS: "mlflow.trace.intermediate_outputs";
    /** Attribute of a stream's `mlflow.chunk.item.{i}` events: the item as JSON text. */
    readonly CHUNK_VALUE: "mlflow.chunk.value";
    readonly SESSION_ID: "session.id";
    readonly USER_ID: "user.id";
}>;
/** Trace metadata keys. */
export declare const TraceMetadataKey: Readonly<{
    readonly SOURCE_RUN: "mlflow.sourceRun";
    readonly MODEL_ID: "mlflow.modelId";
    readonly SIZE_BYTES: "mlflow.trace.sizeBytes";
    readonly SIZE_STATS: "mlflow.trace.sizeStats";
    readonly SCHEMA_VERSION: "mlflow.trace_schema.version";
    readonly TOKEN_USAGE: "mlflow.trace.tokenUsage";
    readonly COST: "mlflow.trace.cost";
    readonly INPUTS: "mlflow.traceInputs";
    readonly OUTPUTS: "mlflow.traceOutputs";
    readonly TRACE_USER: "mlflow.trace.user";
    readonly TRACE_SESSION: "mlflow.trace.session";
}>;
/** Trace tag keys. */
export declare const TraceTagKey: Readonly<{
    readonly TRACE_NAME: "mlflow.traceName";
    readonly MLFLOW_ARTIFACT_LOCATION: "mlflow.artifactLocation";
    readonly EVAL_REQUEST_ID: "mlflow.eval.requestId";
    readonly LINKED_PROMPTS: "mlflow.linkedPrompts";
}>;
/** Keys of the token usage object (`SpanAttributeKey.TOKEN_USAGE`). */
export declare const TokenUsageKey: Readonly<{
    readonly INPUT_TOKENS: "input_tokens";
    readonly OUTPUT_TOKENS: "output_tokens";
    readonly TOTAL_TOKENS: "total_tokens";
    readonly CACHE_READ_INPUT_TOKENS: "cache_read_input_tokens";
    readonly CACHE_CREATION_INPUT_TOKENS: "cache_creation_input_tokens";
}>;
/**
 * A span's verbosity, as Python's logging levels (MLflow's UI filters on it). Spans of types
 * LLM, CHAT_MODEL, TOOL, RETRIEVER, AGENT and EMBEDDING default to INFO, others to DEBUG; an
 * exception raises it to ERROR.
 */
export declare enum SpanLogLevel {
    DEBUG = 10,
    INFO = 20,
    WARNING = 30,
    ERROR = 40,
    CRITICAL = 50
}
