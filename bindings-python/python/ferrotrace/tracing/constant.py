"""The keys MLflow stores trace and span data under (``mlflow.tracing.constant``), with MLflow's
values: a program that reads ``span.attributes[SpanAttributeKey.CHAT_USAGE]`` or
``trace.info.trace_metadata[TraceMetadataKey.TRACE_USER]`` reads what ferrotrace wrote."""

from __future__ import annotations

from enum import Enum


class TraceMetadataKey:
    """Keys of ``TraceInfo.trace_metadata``."""

    INPUTS = "mlflow.traceInputs"
    OUTPUTS = "mlflow.traceOutputs"
    SOURCE_RUN = "mlflow.sourceRun"
    MODEL_ID = "mlflow.modelId"
    SIZE_STATS = "mlflow.trace.sizeStats"
    TOKEN_USAGE = "mlflow.trace.tokenUsage"
    TRACE_INFO_FINALIZED = "mlflow.trace.infoFinalized"
    COST = "mlflow.trace.cost"
    TRACE_USER = "mlflow.trace.user"
    TRACE_SESSION = "mlflow.trace.session"
    SIZE_BYTES = "mlflow.trace.sizeBytes"
    GATEWAY_ENDPOINT_ID = "mlflow.gateway.endpointId"
    GATEWAY_REQUEST_TYPE = "mlflow.gateway.requestType"
    GATEWAY_CALLER = "mlflow.gateway.caller"
    AUTH_USER_ID = "mlflow.auth.userId"
    AUTH_USERNAME = "mlflow.auth.username"


class TraceTagKey:
    """Keys of ``TraceInfo.tags`` that MLflow sets."""

    TRACE_NAME = "mlflow.traceName"
    EVAL_REQUEST_ID = "mlflow.eval.requestId"
    SPANS_LOCATION = "mlflow.trace.spansLocation"
    ARCHIVE_LOCATION = "mlflow.trace.archiveLocation"
    ARCHIVAL_FAILURE = "mlflow.trace.archivalFailure"
    SOURCE_SCORER_NAME = "mlflow.trace.sourceScorer"
    LINKED_PROMPTS = "mlflow.linkedPrompts"


class TokenUsageKey:
    """Keys inside the ``mlflow.chat.tokenUsage`` attribute and ``TraceInfo.token_usage``."""

    INPUT_TOKENS = "input_tokens"
    OUTPUT_TOKENS = "output_tokens"
    TOTAL_TOKENS = "total_tokens"
    CACHE_READ_INPUT_TOKENS = "cache_read_input_tokens"
    CACHE_CREATION_INPUT_TOKENS = "cache_creation_input_tokens"
    CACHE_CREATION_INPUT_TOKENS_ABOVE_1HR = "cache_creation_input_tokens_above_1hr"

    @classmethod
    def all_keys(cls) -> list[str]:
        return [cls.INPUT_TOKENS, cls.OUTPUT_TOKENS, cls.TOTAL_TOKENS, *cls.cache_keys()]

    @classmethod
    def cache_keys(cls) -> list[str]:
        return [cls.CACHE_READ_INPUT_TOKENS, cls.CACHE_CREATION_INPUT_TOKENS, cls.CACHE_CREATION_INPUT_TOKENS_ABOVE_1HR]


class CostKey:
    """Keys inside the ``mlflow.llm.cost`` attribute and ``TraceInfo.cost``."""

    INPUT_COST = "input_cost"
    OUTPUT_COST = "output_cost"
    TOTAL_COST = "total_cost"


class SpanAttributeKey:
    """Span attribute keys MLflow reads and writes."""

    EXPERIMENT_ID = "mlflow.experimentId"
    REQUEST_ID = "mlflow.traceRequestId"
    INPUTS = "mlflow.spanInputs"
    OUTPUTS = "mlflow.spanOutputs"
    SPAN_TYPE = "mlflow.spanType"
    LOG_LEVEL = "mlflow.spanLogLevel"
    FUNCTION_NAME = "mlflow.spanFunctionName"
    DESCRIPTION = "mlflow.spanDescription"
    START_TIME_NS = "mlflow.spanStartTimeNs"
    CHAT_TOOLS = "mlflow.chat.tools"
    CHAT_USAGE = "mlflow.chat.tokenUsage"
    LLM_COST = "mlflow.llm.cost"
    MODEL = "mlflow.llm.model"
    MODEL_PROVIDER = "mlflow.llm.provider"
    MESSAGE_FORMAT = "mlflow.message.format"
    INTERMEDIATE_OUTPUTS = "mlflow.trace.intermediate_outputs"
    LINKED_PROMPTS = "mlflow.linkedPrompts"
    LINKED_GATEWAY_TRACE_ID = "mlflow.gateway.linkedTraceId"
    USER_ID = "user.id"
    SESSION_ID = "session.id"
    TRACE_TAG_PREFIX = "mlflow.traceTag."


class AssessmentMetadataKey:
    """Keys of an assessment's metadata that MLflow sets."""

    SOURCE_RUN_ID = "mlflow.assessment.sourceRunId"
    JUDGE_COST = "mlflow.assessment.judgeCost"
    JUDGE_INPUT_TOKENS = "mlflow.assessment.judgeInputTokens"
    JUDGE_OUTPUT_TOKENS = "mlflow.assessment.judgeOutputTokens"
    SCORER_TRACE_ID = "mlflow.assessment.scorerTraceId"
    SCORER_NAME = "mlflow.assessment.scorerName"
    SCORER_VERSION = "mlflow.assessment.scorerVersion"


class SpansLocation(str, Enum):
    TRACKING_STORE = "TRACKING_STORE"
    ARTIFACT_REPO = "ARTIFACT_REPO"
    ARCHIVE_REPO = "ARCHIVE_REPO"


MAX_CHARS_IN_TRACE_INFO_METADATA = 250
MAX_CHARS_IN_TRACE_INFO_TAGS_KEY = 250
MAX_CHARS_IN_TRACE_INFO_TAGS_VALUE = 4096
TRUNCATION_SUFFIX = "..."
TRACE_REQUEST_RESPONSE_PREVIEW_MAX_LENGTH_OSS = 1000
TRACE_REQUEST_ID_PREFIX = "tr-"
TRACE_SCHEMA_VERSION = 3
TRACE_SCHEMA_VERSION_KEY = "mlflow.trace_schema.version"
STREAM_CHUNK_EVENT_NAME_FORMAT = "mlflow.chunk.item.{index}"
STREAM_CHUNK_EVENT_VALUE_KEY = "mlflow.chunk.value"
ASSESSMENT_ID_PREFIX = "a-"
