//! Attribute, metadata and tag keys MLflow reads and writes.

/// Span attribute keys (`mlflow.entities.span.SpanAttributeKey`).
pub mod attr {
    pub const REQUEST_ID: &str = "mlflow.traceRequestId";
    pub const SPAN_TYPE: &str = "mlflow.spanType";
    pub const INPUTS: &str = "mlflow.spanInputs";
    pub const OUTPUTS: &str = "mlflow.spanOutputs";
    pub const FUNCTION_NAME: &str = "mlflow.spanFunctionName";
    pub const DESCRIPTION: &str = "mlflow.spanDescription";
    pub const LOG_LEVEL: &str = "mlflow.spanLogLevel";
    pub const TOKEN_USAGE: &str = "mlflow.chat.tokenUsage";
    pub const LLM_COST: &str = "mlflow.llm.cost";
    pub const CHUNK_VALUE: &str = "mlflow.chunk.value";
    pub const SESSION_ID: &str = "session.id";
    pub const USER_ID: &str = "user.id";
    pub const TRACE_TAG_PREFIX: &str = "mlflow.traceTag.";
}

/// Trace metadata keys (`TraceMetadataKey`).
pub mod meta {
    pub const SCHEMA_VERSION: &str = "mlflow.trace_schema.version";
    pub const INPUTS: &str = "mlflow.traceInputs";
    pub const OUTPUTS: &str = "mlflow.traceOutputs";
    pub const TOKEN_USAGE: &str = "mlflow.trace.tokenUsage";
    pub const COST: &str = "mlflow.trace.cost";
    pub const USER: &str = "mlflow.trace.user";
    pub const SESSION: &str = "mlflow.trace.session";
    pub const SIZE_BYTES: &str = "mlflow.trace.sizeBytes";
    pub const SIZE_STATS: &str = "mlflow.trace.sizeStats";
    pub const SOURCE_RUN: &str = "mlflow.sourceRun";
    pub const MODEL_ID: &str = "mlflow.modelId";
}

/// Trace tag keys.
pub mod tag {
    pub const TRACE_NAME: &str = "mlflow.traceName";
}

/// Span types MLflow knows; any other string is accepted too.
pub const SPAN_TYPES: &[&str] = &[
    "LLM",
    "CHAT_MODEL",
    "CHAIN",
    "AGENT",
    "TOOL",
    "RETRIEVER",
    "PARSER",
    "EMBEDDING",
    "RERANKER",
    "MEMORY",
    "UNKNOWN",
    "WORKFLOW",
    "TASK",
    "GUARDRAIL",
    "EVALUATOR",
];

/// The schema version MLflow 3 writes into trace metadata.
pub const TRACE_SCHEMA_VERSION: &str = "3";
/// MLflow caps `mlflow.traceInputs` / `mlflow.traceOutputs` at this many characters.
pub const MAX_CHARS_IN_TRACE_INFO_METADATA: usize = 250;
/// MLflow caps request/response previews at this many characters (OSS server).
pub const MAX_CHARS_IN_PREVIEW: usize = 1000;
