/**
 * Who made an assessment. Strings are accepted in any case (`"human"` is `HUMAN`).
 *
 * @example
 * ```ts
 * await logFeedback({ traceId, value: 4, source: { sourceType: AssessmentSourceType.HUMAN, sourceId: "alice" } });
 * ```
 */
export declare enum AssessmentSourceType {
    SOURCE_TYPE_UNSPECIFIED = "SOURCE_TYPE_UNSPECIFIED",
    HUMAN = "HUMAN",
    LLM_JUDGE = "LLM_JUDGE",
    CODE = "CODE",
    /** @deprecated Use `LLM_JUDGE`; sent as `LLM_JUDGE` (with a warning). */
    AI_JUDGE = "AI_JUDGE"
}
/** The source of an assessment: a type and an id (`"default"` if not given). */
export interface AssessmentSource {
    sourceType: AssessmentSourceType | string;
    sourceId?: string;
}
/** Why a feedback could not be produced (a judge that failed, for example). */
export interface AssessmentError {
    errorCode: string;
    errorMessage?: string;
    stackTrace?: string;
}
/** A feedback value: a score, a label, a flag, or a list or object of them. */
export type FeedbackValueType = number | string | boolean | FeedbackValueType[] | {
    [key: string]: FeedbackValueType;
};
/** Options of `logFeedback`. */
export interface LogFeedbackOptions {
    /** The trace (`tr-...`), e.g. from `getLastActiveTraceId()`. */
    traceId: string;
    /** Default `"feedback"`. */
    name?: string;
    /** The judgement; give `value` or `error`. */
    value?: FeedbackValueType;
    /** Default `{ sourceType: CODE, sourceId: "default" }`. */
    source?: AssessmentSource;
    /** Why there is no value: an `Error` (name, message, stack), `{errorCode, ...}` or a message. */
    error?: Error | AssessmentError | string;
    rationale?: string;
    /** Values that are not strings are stored as their JSON text. */
    metadata?: Record<string, unknown>;
    /** A span of the trace (16 hex digits, `span.spanId`) the feedback is about. */
    spanId?: string;
}
/** Options of `logExpectation`. */
export interface LogExpectationOptions {
    traceId: string;
    name: string;
    /** The expected value (ground truth): any JSON value. */
    value: unknown;
    /** Default `{ sourceType: HUMAN, sourceId: "default" }`. */
    source?: AssessmentSource;
    metadata?: Record<string, unknown>;
    spanId?: string;
}
/** What feedback and expectations share, as the server returns them. */
interface AssessmentBase {
    /** The server's id (`a-...`). */
    assessmentId: string;
    name: string;
    traceId: string;
    spanId?: string;
    source: {
        sourceType: string;
        sourceId: string;
    };
    metadata?: Record<string, string>;
    /** RFC 3339, e.g. `2026-11-25T11:39:00.560Z`. */
    createTime: string;
    lastUpdateTime: string;
    valid?: boolean;
}
/** A feedback logged on the server. */
export interface Feedback extends AssessmentBase {
    value?: FeedbackValueType;
    error?: AssessmentError;
    rationale?: string;
    overrides?: string;
}
/** An expectation logged on the server. */
export interface Expectation extends AssessmentBase {
    value: unknown;
}
export declare function source(given: AssessmentSource | undefined, fallback: string): Record<string, string>;
/** A value as the JSON it is sent as (BigInt, Map, Date, ... as ferrotrace captures them). */
export declare function jsonValue(value: unknown): unknown;
export declare function assessmentError(error: Error | AssessmentError | string): Record<string, string>;
export declare function metadataStrings(metadata: Record<string, unknown> | undefined): Record<string, string> | undefined;
export declare function traceIdOf(options: {
    traceId?: unknown;
} | undefined, what: string): string;
/**
 * The body sent for a feedback or an expectation, in the key order of Python's
 * `Assessment.to_dictionary()` with `trace_id` last (as ferrotrace's Python `log_assessment`).
 */
export declare function body(traceId: string, name: string, spanId: string | undefined, src: Record<string, string>, value: Record<string, unknown>, rationale: string | undefined, metadata: Record<string, string> | undefined, valid: boolean | undefined, overrides?: string): Record<string, unknown>;
/** MLflow's REST JSON of an assessment. */
export type Json = Record<string, any>;
/** A feedback as the server returned it (MLflow's REST JSON), in camelCase. */
export declare function feedbackFrom(a: Json): Feedback;
/** An expectation as the server returned it, in camelCase. */
export declare function expectationFrom(a: Json): Expectation;
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
export declare function logFeedback(options: LogFeedbackOptions): Promise<Feedback>;
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
export declare function logExpectation(options: LogExpectationOptions): Promise<Expectation>;
export {};
