/**
 * Reading and changing assessments already logged (MLflow server or local store): `getAssessment`,
 * `updateAssessment`, `deleteAssessment`, `overrideFeedback` (the camelCase names of MLflow's
 * Python `get_assessment`, ...; MLflow's TypeScript SDK has none of them). Each call is one or
 * two REST requests, made by the core on the libuv thread pool; this file only converts names.
 */
import {
  assessmentError,
  AssessmentSourceType,
  body,
  expectationFrom,
  feedbackFrom,
  jsonValue,
  metadataStrings,
  source,
  traceIdOf,
} from "./assessments";
import type { AssessmentError, AssessmentSource, Expectation, Feedback, FeedbackValueType, Json } from "./assessments";
import { invalidArgument } from "./errors";
import { requireServer, traceApi } from "./mlflow";

/** A feedback or an expectation, as the server stores it. */
export type Assessment = Feedback | Expectation;

function assessmentIdOf(id: unknown, what: string): string {
  if (typeof id !== "string" || id.trim() === "") throw invalidArgument(`${what} requires \`assessmentId\`.`);
  return id;
}

async function fetchRaw(traceId: string, assessmentId: string): Promise<Json> {
  return ((await traceApi("get_assessment", { trace_id: traceId, assessment_id: assessmentId })) ?? {}) as Json;
}

/** A server assessment in camelCase: a `Feedback` or an `Expectation`. */
function assessmentFrom(a: Json): Assessment {
  return a.feedback !== undefined || a.expectation === undefined ? feedbackFrom(a) : expectationFrom(a);
}

/**
 * Reads one assessment (feedback or expectation) of a trace from the MLflow server.
 *
 * @example
 * ```ts
 * const fb = await mlflow.getAssessment(traceId, "a-1234...");
 * console.log(fb.name, fb.value, fb.valid);
 * ```
 */
export async function getAssessment(traceId: string, assessmentId: string): Promise<Assessment> {
  const t = traceIdOf({ traceId }, "getAssessment");
  const a = assessmentIdOf(assessmentId, "getAssessment");
  requireServer("getAssessment");
  return assessmentFrom(await fetchRaw(t, a));
}

/** What `updateAssessment` changes; fields not given keep their value. */
export interface UpdateAssessmentOptions {
  name?: string;
  /** The new value (of a feedback or an expectation). */
  value?: unknown;
  /** A feedback's error (as `logFeedback`'s `error`). */
  error?: Error | AssessmentError | string;
  rationale?: string;
  /** Replaces the metadata; values that are not strings are stored as JSON text. */
  metadata?: Record<string, unknown>;
}

/**
 * Changes the name, value (or error), rationale or metadata of an assessment in place, as
 * MLflow's Python `update_assessment`; resolves with the assessment as the server now stores it.
 * A feedback stays a feedback and an expectation an expectation (the core reads the kind from
 * the server first); an expectation has no `error`. To keep the old value on record, use `overrideFeedback` instead.
 *
 * @example
 * ```ts
 * await mlflow.updateAssessment(traceId, fb.assessmentId, { value: 0.4, rationale: "re-judged" });
 * ```
 */
export async function updateAssessment(
  traceId: string,
  assessmentId: string,
  assessment: UpdateAssessmentOptions,
): Promise<Assessment> {
  const t = traceIdOf({ traceId }, "updateAssessment");
  const a = assessmentIdOf(assessmentId, "updateAssessment");
  const u = assessment ?? {};
  requireServer("updateAssessment");
  // Bare `value` / `error`: the core puts them in the kind the assessment already is, and keeps
  // the name when none is given.
  const changes: Record<string, unknown> = {};
  if (u.name !== undefined && u.name !== null) changes.assessment_name = String(u.name);
  if (u.value !== undefined && u.value !== null) changes.value = jsonValue(u.value);
  if (u.error !== undefined && u.error !== null && u.error !== "") {
    changes.error = assessmentError(u.error as Error | AssessmentError | string);
  }
  if (u.rationale !== undefined && u.rationale !== null) changes.rationale = String(u.rationale);
  const metadata = metadataStrings(u.metadata);
  if (metadata) changes.metadata = metadata;
  const updated = await traceApi("update_assessment", { trace_id: t, assessment_id: a, assessment: changes });
  return assessmentFrom((updated ?? {}) as Json);
}

/**
 * Deletes an assessment from the MLflow server.
 *
 * @example
 * ```ts
 * await mlflow.deleteAssessment(traceId, fb.assessmentId);
 * ```
 */
export async function deleteAssessment(traceId: string, assessmentId: string): Promise<void> {
  const t = traceIdOf({ traceId }, "deleteAssessment");
  const a = assessmentIdOf(assessmentId, "deleteAssessment");
  requireServer("deleteAssessment");
  await traceApi("delete_assessment", { trace_id: t, assessment_id: a });
}

/** Options of `overrideFeedback`. */
export interface OverrideFeedbackOptions {
  traceId: string;
  /** The feedback to override (`a-...`). */
  assessmentId: string;
  /** The corrected value. */
  value: FeedbackValueType;
  rationale?: string;
  /** Default `{ sourceType: CODE, sourceId: "default" }`, as `logFeedback`. */
  source?: AssessmentSource;
  metadata?: Record<string, unknown>;
}

/**
 * Logs a corrected feedback that overrides an earlier one, as MLflow's Python
 * `override_feedback`: the new feedback keeps the old one's name and span and names it in
 * `overrides`; the server marks the old one invalid (`valid: false`) and keeps it. Rejects if
 * the assessment is not a feedback.
 *
 * @example
 * ```ts
 * const judged = await mlflow.logFeedback({ traceId, name: "correct", value: false, source: judge });
 * const fixed = await mlflow.overrideFeedback({
 *   traceId, assessmentId: judged.assessmentId, value: true, rationale: "the judge misread it",
 *   source: { sourceType: "HUMAN", sourceId: "alice" },
 * });
 * fixed.overrides === judged.assessmentId; // true
 * ```
 */
export async function overrideFeedback(options: OverrideFeedbackOptions): Promise<Feedback> {
  const t = traceIdOf(options, "overrideFeedback");
  const a = assessmentIdOf(options?.assessmentId, "overrideFeedback");
  if (options.value === undefined || options.value === null) throw invalidArgument("overrideFeedback requires `value`.");
  const src = source(options.source, AssessmentSourceType.CODE);
  requireServer("overrideFeedback");
  // The name and span are the old feedback's: the core fills them in (and refuses an expectation).
  const d = body(
    t,
    "",
    undefined,
    src,
    { feedback: { value: jsonValue(options.value) } },
    options.rationale === undefined || options.rationale === null ? undefined : String(options.rationale),
    metadataStrings(options.metadata),
    true,
  );
  delete d.assessment_name;
  return feedbackFrom((await traceApi("override_feedback", { trace_id: t, assessment_id: a, assessment: d })) as Json);
}
