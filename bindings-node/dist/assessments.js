"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.AssessmentSourceType = void 0;
exports.source = source;
exports.jsonValue = jsonValue;
exports.assessmentError = assessmentError;
exports.metadataStrings = metadataStrings;
exports.traceIdOf = traceIdOf;
exports.body = body;
exports.feedbackFrom = feedbackFrom;
exports.expectationFrom = expectationFrom;
exports.logFeedback = logFeedback;
exports.logExpectation = logExpectation;
/**
 * Feedback and expectations on traces (MLflow's assessments), logged on the MLflow tracking
 * server. The request body is MLflow's REST JSON, field for field what ferrotrace's Python
 * `Assessment.to_dictionary()` sends; the call runs on the libuv thread pool.
 */
const capture_1 = require("./capture");
const errors_1 = require("./errors");
const mlflow_1 = require("./mlflow");
const span_1 = require("./span");
/**
 * Who made an assessment. Strings are accepted in any case (`"human"` is `HUMAN`).
 *
 * @example
 * ```ts
 * await logFeedback({ traceId, value: 4, source: { sourceType: AssessmentSourceType.HUMAN, sourceId: "alice" } });
 * ```
 */
var AssessmentSourceType;
(function (AssessmentSourceType) {
    AssessmentSourceType["SOURCE_TYPE_UNSPECIFIED"] = "SOURCE_TYPE_UNSPECIFIED";
    AssessmentSourceType["HUMAN"] = "HUMAN";
    AssessmentSourceType["LLM_JUDGE"] = "LLM_JUDGE";
    AssessmentSourceType["CODE"] = "CODE";
    /** @deprecated Use `LLM_JUDGE`; sent as `LLM_JUDGE` (with a warning). */
    AssessmentSourceType["AI_JUDGE"] = "AI_JUDGE";
})(AssessmentSourceType || (exports.AssessmentSourceType = AssessmentSourceType = {}));
const SOURCE_TYPES = ["SOURCE_TYPE_UNSPECIFIED", "HUMAN", "LLM_JUDGE", "CODE"];
const STACK_TRACE_LIMIT = 10_000;
const STACK_TRACE_PREFIX = "[Stack trace is truncated]\n...\n";
let warnedAiJudge = false;
function sourceType(value) {
    const upper = String(value).toUpperCase();
    if (upper === "AI_JUDGE") {
        if (!warnedAiJudge) {
            warnedAiJudge = true;
            console.warn("ferrotrace: AI_JUDGE is deprecated; use LLM_JUDGE.");
        }
        return "LLM_JUDGE";
    }
    if (!SOURCE_TYPES.includes(upper)) {
        throw (0, errors_1.invalidArgument)(`Invalid assessment source type: ${String(value)}. Valid source types: ${SOURCE_TYPES.join(", ")}`);
    }
    return upper;
}
function source(given, fallback) {
    if (given === undefined || given === null)
        return { source_type: fallback, source_id: "default" };
    return {
        source_type: sourceType(given.sourceType),
        source_id: given.sourceId ? String(given.sourceId) : "default",
    };
}
/** A value as the JSON it is sent as (BigInt, Map, Date, ... as ferrotrace captures them). */
function jsonValue(value) {
    return JSON.parse((0, capture_1.toJsonText)(value));
}
function assessmentError(error) {
    if (typeof error === "string")
        return { error_code: "ASSESSMENT_ERROR", error_message: error };
    let code;
    let message;
    let stack;
    if (error instanceof Error) {
        const e = (0, span_1.describeError)(error);
        [code, message, stack] = [e.type, e.message, e.stack || undefined];
    }
    else {
        const e = error;
        code = e.errorCode ? String(e.errorCode) : "ASSESSMENT_ERROR";
        message = e.errorMessage === undefined || e.errorMessage === null ? undefined : String(e.errorMessage);
        stack = e.stackTrace === undefined || e.stackTrace === null ? undefined : String(e.stackTrace);
    }
    const out = { error_code: code };
    if (message !== undefined)
        out.error_message = message;
    if (stack !== undefined) {
        // As MLflow: keep the end of a long stack trace.
        out.stack_trace =
            stack.length <= STACK_TRACE_LIMIT
                ? stack
                : STACK_TRACE_PREFIX + stack.slice(-(STACK_TRACE_LIMIT - STACK_TRACE_PREFIX.length));
    }
    return out;
}
function metadataStrings(metadata) {
    if (!metadata || typeof metadata !== "object")
        return undefined;
    const out = {};
    for (const [k, v] of Object.entries(metadata))
        out[k] = typeof v === "string" ? v : (0, capture_1.toJsonText)(v);
    return Object.keys(out).length > 0 ? out : undefined;
}
function traceIdOf(options, what) {
    const id = options?.traceId;
    if (typeof id !== "string" || id.trim() === "")
        throw (0, errors_1.invalidArgument)(`${what} requires \`traceId\`.`);
    return id;
}
/**
 * The body sent for a feedback or an expectation, in the key order of Python's
 * `Assessment.to_dictionary()` with `trace_id` last (as ferrotrace's Python `log_assessment`).
 */
function body(traceId, name, spanId, src, value, rationale, metadata, valid, overrides) {
    const now = new Date().toISOString();
    const d = { assessment_name: name };
    if (spanId)
        d.span_id = spanId;
    d.source = src;
    d.create_time = now;
    d.last_update_time = now;
    Object.assign(d, value);
    if (rationale !== undefined)
        d.rationale = rationale;
    if (metadata)
        d.metadata = metadata;
    if (overrides)
        d.overrides = overrides;
    if (valid !== undefined)
        d.valid = valid;
    d.trace_id = traceId;
    return d;
}
function common(a) {
    const out = {
        assessmentId: String(a.assessment_id ?? ""),
        name: String(a.assessment_name ?? ""),
        traceId: String(a.trace_id ?? ""),
        source: {
            sourceType: String(a.source?.source_type ?? "SOURCE_TYPE_UNSPECIFIED"),
            sourceId: String(a.source?.source_id ?? "default"),
        },
        createTime: String(a.create_time ?? ""),
        lastUpdateTime: String(a.last_update_time ?? a.create_time ?? ""),
    };
    if (a.span_id)
        out.spanId = String(a.span_id);
    if (a.metadata && Object.keys(a.metadata).length > 0)
        out.metadata = a.metadata;
    if (a.valid !== undefined)
        out.valid = Boolean(a.valid);
    return out;
}
/** A feedback as the server returned it (MLflow's REST JSON), in camelCase. */
function feedbackFrom(a) {
    const out = common(a);
    const fb = (a.feedback ?? {});
    if (fb.value !== undefined && fb.value !== null)
        out.value = fb.value;
    if (fb.error) {
        out.error = { errorCode: String(fb.error.error_code ?? "") };
        if (fb.error.error_message !== undefined)
            out.error.errorMessage = String(fb.error.error_message);
        if (fb.error.stack_trace !== undefined)
            out.error.stackTrace = String(fb.error.stack_trace);
    }
    if (a.rationale !== undefined)
        out.rationale = String(a.rationale);
    if (a.overrides)
        out.overrides = String(a.overrides);
    return out;
}
/** An expectation as the server returned it, in camelCase. */
function expectationFrom(a) {
    const exp = (a.expectation ?? {});
    let value = exp.value;
    if (value === undefined && exp.serialized_value) {
        try {
            value = JSON.parse(String(exp.serialized_value.value ?? "null"));
        }
        catch {
            value = exp.serialized_value.value;
        }
    }
    return { ...common(a), value };
}
/**
 * Logs feedback on a trace (or one of its spans): a score, label, flag or structure, or the
 * error that prevented one. A trace that ended a moment ago and is still queued is delivered
 * first, so feedback right after a traced call finds its trace. Resolves with the feedback as
 * the server stored it (with its `assessmentId`); rejects with the server's message if it
 * refuses (an unknown trace, for example). The source defaults to CODE / `"default"`.
 *
 * @example
 * ```ts
 * await answer("what is MLflow?");
 * const fb = await mlflow.logFeedback({
 *   traceId: mlflow.getLastActiveTraceId()!,
 *   name: "relevance",
 *   value: 0.9,
 *   rationale: "on topic",
 *   source: { sourceType: mlflow.AssessmentSourceType.LLM_JUDGE, sourceId: "gpt-judge" },
 * });
 * console.log(fb.assessmentId); // "a-..."
 * ```
 */
async function logFeedback(options) {
    const traceId = traceIdOf(options, "logFeedback");
    const { value, error } = options;
    const hasValue = value !== undefined && value !== null;
    const hasError = error !== undefined && error !== null && error !== "";
    if (!hasValue && !hasError)
        throw (0, errors_1.invalidArgument)("logFeedback requires `value` or `error`.");
    const feedback = {};
    if (hasValue)
        feedback.value = jsonValue(value);
    if (hasError)
        feedback.error = assessmentError(error);
    const d = body(traceId, options.name === undefined || options.name === null ? "feedback" : String(options.name), options.spanId, source(options.source, AssessmentSourceType.CODE), { feedback }, options.rationale === undefined || options.rationale === null ? undefined : String(options.rationale), metadataStrings(options.metadata), true);
    (0, mlflow_1.requireServer)("logFeedback");
    return feedbackFrom((await (0, mlflow_1.traceApi)("log_assessment", { trace_id: traceId, assessment: d })));
}
/**
 * Logs an expectation (the expected answer, ground truth) on a trace or one of its spans.
 * Resolves with the expectation as the server stored it (with its `assessmentId`). The source
 * defaults to HUMAN / `"default"`.
 *
 * @example
 * ```ts
 * await mlflow.logExpectation({
 *   traceId,
 *   name: "expected_answer",
 *   value: "MLflow is an open source platform",
 *   source: { sourceType: "HUMAN", sourceId: "alice@example.com" },
 * });
 * ```
 */
async function logExpectation(options) {
    const traceId = traceIdOf(options, "logExpectation");
    if (options.name === undefined || options.name === null || options.name === "") {
        throw (0, errors_1.invalidArgument)("logExpectation requires `name`.");
    }
    if (options.value === undefined || options.value === null) {
        throw (0, errors_1.invalidArgument)("logExpectation requires `value`.");
    }
    const d = body(traceId, String(options.name), options.spanId, source(options.source, AssessmentSourceType.HUMAN), { expectation: { value: jsonValue(options.value) } }, undefined, metadataStrings(options.metadata), undefined);
    (0, mlflow_1.requireServer)("logExpectation");
    return expectationFrom((await (0, mlflow_1.traceApi)("log_assessment", { trace_id: traceId, assessment: d })));
}
