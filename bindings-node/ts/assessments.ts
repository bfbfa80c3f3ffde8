/**
 * Feedback and expectations on traces (MLflow's assessments), logged on the MLflow tracking
 * server. The request body is MLflow's REST JSON, field for field what ferrotrace's Python
 * `Assessment.to_dictionary()` sends; the call runs on the libuv thread pool.
 */
import { toJsonText } from "./capture";
import { invalidArgument } from "./errors";
import { requireServer, traceApi } from "./mlflow";
import { native } from "./native";
import { describeError } from "./span";

/**
 * Who made an assessment. Strings are accepted in any case (`"human"` is `HUMAN`).
 *
 * @example
 * ```ts
 * await logFeedback({ traceId, value: 4, source: { sourceType: AssessmentSourceType.HUMAN, sourceId: "alice" } });
 * ```
 */
export enum AssessmentSourceType {
  SOURCE_TYPE_UNSPECIFIED = "SOURCE_TYPE_UNSPECIFIED",
  HUMAN = "HUMAN",
  LLM_JUDGE = "LLM_JUDGE",
  CODE = "CODE",
  /** @deprecated Use `LLM_JUDGE`; sent as `LLM_JUDGE` (with a warning). */
  AI_JUDGE = "AI_JUDGE",
}

const SOURCE_TYPES = ["SOURCE_TYPE_UNSPECIFIED", "HUMAN", "LLM_JUDGE", "CODE"];

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
export type FeedbackValueType =
  | number
  | string
  | boolean
  | FeedbackValueType[]
  | { [key: string]: FeedbackValueType };

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
  source: { sourceType: string; sourceId: string };
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

const STACK_TRACE_LIMIT = 10_000;
const STACK_TRACE_PREFIX = "[Stack trace is truncated]\n...\n";

let warnedAiJudge = false;

function sourceType(value: unknown): string {
  const upper = String(value).toUpperCase();
  if (upper === "AI_JUDGE") {
    if (!warnedAiJudge) {
      warnedAiJudge = true;
      console.warn("ferrotrace: AI_JUDGE is deprecated; use LLM_JUDGE.");
    }
    return "LLM_JUDGE";
  }
  if (!SOURCE_TYPES.includes(upper)) {
    throw invalidArgument(
      `Invalid assessment source type: ${String(value)}. Valid source types: ${SOURCE_TYPES.join(", ")}`,
    );
  }
  return upper;
}

export function source(given: AssessmentSource | undefined, fallback: string): Record<string, string> {
  if (given === undefined || given === null) return { source_type: fallback, source_id: "default" };
  return {
    source_type: sourceType(given.sourceType),
    source_id: given.sourceId ? String(given.sourceId) : "default",
  };
}

/** A value as the JSON it is sent as (BigInt, Map, Date, ... as ferrotrace captures them). */
export function jsonValue(value: unknown): unknown {
  return JSON.parse(toJsonText(value)) as unknown;
}

export function assessmentError(error: Error | AssessmentError | string): Record<string, string> {
  if (typeof error === "string") return { error_code: "ASSESSMENT_ERROR", error_message: error };
  let code: string;
  let message: string | undefined;
  let stack: string | undefined;
  if (error instanceof Error) {
    const e = describeError(error);
    [code, message, stack] = [e.type, e.message, e.stack || undefined];
  } else {
    const e = error as AssessmentError;
    code = e.errorCode ? String(e.errorCode) : "ASSESSMENT_ERROR";
    message = e.errorMessage === undefined || e.errorMessage === null ? undefined : String(e.errorMessage);
    stack = e.stackTrace === undefined || e.stackTrace === null ? undefined : String(e.stackTrace);
  }
  const out: Record<string, string> = { error_code: code };
  if (message !== undefined) out.error_message = message;
  if (stack !== undefined) {
    // As MLflow: keep the end of a long stack trace.
    out.stack_trace =
      stack.length <= STACK_TRACE_LIMIT
        ? stack
        : STACK_TRACE_PREFIX + stack.slice(-(STACK_TRACE_LIMIT - STACK_TRACE_PREFIX.length));
  }
  return out;
}

export function metadataStrings(metadata: Record<string, unknown> | undefined): Record<string, string> | undefined {
  if (!metadata || typeof metadata !== "object") return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(metadata)) out[k] = typeof v === "string" ? v : toJsonText(v);
  return Object.keys(out).length > 0 ? out : undefined;
}

export function traceIdOf(options: { traceId?: unknown } | undefined, what: string): string {
  const id = options?.traceId;
  if (typeof id !== "string" || id.trim() === "") throw invalidArgument(`${what} requires \`traceId\`.`);
  return id;
}

/**
 * The body sent for a feedback or an expectation, in the key order of Python's
 * `Assessment.to_dictionary()` with `trace_id` last (as ferrotrace's Python `log_assessment`).
 */
export function body(
  traceId: string,
  name: string,
  spanId: string | undefined,
  src: Record<string, string>,
  value: Record<string, unknown>,
  rationale: string | undefined,
  metadata: Record<string, string> | undefined,
  valid: boolean | undefined,
  overrides?: string,
): Record<string, unknown> {
  const now = new Date().toISOString();
  const d: Record<string, unknown> = { assessment_name: name };
  if (spanId) d.span_id = spanId;
  d.source = src;
  d.create_time = now;
  d.last_update_time = now;
  Object.assign(d, value);
  if (rationale !== undefined) d.rationale = rationale;
  if (metadata) d.metadata = metadata;
  if (overrides) d.overrides = overrides;
  if (valid !== undefined) d.valid = valid;
  d.trace_id = traceId;
  return d;
}

/** MLflow's REST JSON of an assessment. */
export type Json = Record<string, any>;

function common(a: Json): AssessmentBase {
  const out: AssessmentBase = {
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
  if (a.span_id) out.spanId = String(a.span_id);
  if (a.metadata && Object.keys(a.metadata).length > 0) out.metadata = a.metadata as Record<string, string>;
  if (a.valid !== undefined) out.valid = Boolean(a.valid);
  return out;
}

/** A feedback as the server returned it (MLflow's REST JSON), in camelCase. */
export function feedbackFrom(a: Json): Feedback {
  const out: Feedback = common(a);
  const fb = (a.feedback ?? {}) as Json;
  if (fb.value !== undefined && fb.value !== null) out.value = fb.value as FeedbackValueType;
  if (fb.error) {
    out.error = { errorCode: String(fb.error.error_code ?? "") };
    if (fb.error.error_message !== undefined) out.error.errorMessage = String(fb.error.error_message);
    if (fb.error.stack_trace !== undefined) out.error.stackTrace = String(fb.error.stack_trace);
  }
  if (a.rationale !== undefined) out.rationale = String(a.rationale);
  if (a.overrides) out.overrides = String(a.overrides);
  return out;
}

/** An expectation as the server returned it, in camelCase. */
export function expectationFrom(a: Json): Expectation {
  const exp = (a.expectation ?? {}) as Json;
  let value: unknown = exp.value;
  if (value === undefined && exp.serialized_value) {
    try {
      value = JSON.parse(String(exp.serialized_value.value ?? "null"));
    } catch {
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
export async function logFeedback(options: LogFeedbackOptions): Promise<Feedback> {
  const traceId = traceIdOf(options, "logFeedback");
  const { value, error } = options;
  const hasValue = value !== undefined && value !== null;
  const hasError = error !== undefined && error !== null && error !== "";
  if (!hasValue && !hasError) throw invalidArgument("logFeedback requires `value` or `error`.");
  const feedback: Record<string, unknown> = {};
  if (hasValue) feedback.value = jsonValue(value);
  if (hasError) feedback.error = assessmentError(error);
  const d = body(
    traceId,
    options.name === undefined || options.name === null ? "feedback" : String(options.name),
    options.spanId,
    source(options.source, AssessmentSourceType.CODE),
    { feedback },
    options.rationale === undefined || options.rationale === null ? undefined : String(options.rationale),
    metadataStrings(options.metadata),
    true,
  );
  requireServer("logFeedback");
  return feedbackFrom((await traceApi("log_assessment", { trace_id: traceId, assessment: d })) as Json);
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
export async function logExpectation(options: LogExpectationOptions): Promise<Expectation> {
  const traceId = traceIdOf(options, "logExpectation");
  if (options.name === undefined || options.name === null || options.name === "") {
    throw invalidArgument("logExpectation requires `name`.");
  }
  if (options.value === undefined || options.value === null) {
    throw invalidArgument("logExpectation requires `value`.");
  }
  const d = body(
    traceId,
    String(options.name),
    options.spanId,
    source(options.source, AssessmentSourceType.HUMAN),
    { expectation: { value: jsonValue(options.value) } },
    undefined,
    metadataStrings(options.metadata),
    undefined,
  );
  requireServer("logExpectation");
  return expectationFrom((await traceApi("log_assessment", { trace_id: traceId, assessment: d })) as Json);
}
