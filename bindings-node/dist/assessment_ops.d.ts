import type { AssessmentError, AssessmentSource, Expectation, Feedback, FeedbackValueType } from "./assessments";
/** A feedback or an expectation, as the server stores it. */
export type Assessment = Feedback | Expectation;
/**
 * Reads one assessment (feedback or expectation) of a trace from the MLflow server.
 *
 * @example
 * ```ts
 * const fb = await mlflow.getAssessment(traceId, "a-1234...");
 * console.log(fb.name, fb.value, fb.valid);
 * ```
 */
export declare function getAssessment(traceId: string, assessmentId: string): Promise<Assessment>;
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
export declare function updateAssessment(traceId: string, assessmentId: string, assessment: UpdateAssessmentOptions): Promise<Assessment>;
/**
 * Deletes an assessment from the MLflow server.
 *
 * @example
 * ```ts
 * await mlflow.deleteAssessment(traceId, fb.assessmentId);
 * ```
 */
export declare function deleteAssessment(traceId: string, assessmentId: string): Promise<void>;
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
export declare function overrideFeedback(options: OverrideFeedbackOptions): Promise<Feedback>;
