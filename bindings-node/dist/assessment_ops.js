"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.getAssessment = getAssessment;
exports.updateAssessment = updateAssessment;
exports.deleteAssessment = deleteAssessment;
exports.overrideFeedback = overrideFeedback;
/**
 * Reading and changing assessments already logged (MLflow server or local store): `getAssessment`,
 * `updateAssessment`, `deleteAssessment`, `overrideFeedback` (the camelCase names of MLflow's
 * Python `get_assessment`, ...; MLflow's TypeScript SDK has none of them). Each call is one or
 * two REST requests, made by the core on the libuv thread pool; this file only converts names.
 */
const assessments_1 = require("./assessments");
const errors_1 = require("./errors");
const mlflow_1 = require("./mlflow");
function assessmentIdOf(id, what) {
    if (typeof id !== "string" || id.trim() === "")
        throw (0, errors_1.invalidArgument)(`${what} requires \`assessmentId\`.`);
    return id;
}
async function fetchRaw(traceId, assessmentId) {
    return ((await (0, mlflow_1.traceApi)("get_assessment", { trace_id: traceId, assessment_id: assessmentId })) ?? {});
}
/** A server assessment in camelCase: a `Feedback` or an `Expectation`. */
function assessmentFrom(a) {
    return a.feedback !== undefined || a.expectation === undefined ? (0, assessments_1.feedbackFrom)(a) : (0, assessments_1.expectationFrom)(a);
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
async function getAssessment(traceId, assessmentId) {
    const t = (0, assessments_1.traceIdOf)({ traceId }, "getAssessment");
    const a = assessmentIdOf(assessmentId, "getAssessment");
    (0, mlflow_1.requireServer)("getAssessment");
    return assessmentFrom(await fetchRaw(t, a));
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
async function updateAssessment(traceId, assessmentId, assessment) {
    const t = (0, assessments_1.traceIdOf)({ traceId }, "updateAssessment");
    const a = assessmentIdOf(assessmentId, "updateAssessment");
    const u = assessment ?? {};
    (0, mlflow_1.requireServer)("updateAssessment");
    // Bare `value` / `error`: the core puts them in the kind the assessment already is, and keeps
    // the name when none is given.
    const changes = {};
    if (u.name !== undefined && u.name !== null)
        changes.assessment_name = String(u.name);
    if (u.value !== undefined && u.value !== null)
        changes.value = (0, assessments_1.jsonValue)(u.value);
    if (u.error !== undefined && u.error !== null && u.error !== "") {
        changes.error = (0, assessments_1.assessmentError)(u.error);
    }
    if (u.rationale !== undefined && u.rationale !== null)
        changes.rationale = String(u.rationale);
    const metadata = (0, assessments_1.metadataStrings)(u.metadata);
    if (metadata)
        changes.metadata = metadata;
    const updated = await (0, mlflow_1.traceApi)("update_assessment", { trace_id: t, assessment_id: a, assessment: changes });
    return assessmentFrom((updated ?? {}));
}
/**
 * Deletes an assessment from the MLflow server.
 *
 * @example
 * ```ts
 * await mlflow.deleteAssessment(traceId, fb.assessmentId);
 * ```
 */
async function deleteAssessment(traceId, assessmentId) {
    const t = (0, assessments_1.traceIdOf)({ traceId }, "deleteAssessment");
    const a = assessmentIdOf(assessmentId, "deleteAssessment");
    (0, mlflow_1.requireServer)("deleteAssessment");
    await (0, mlflow_1.traceApi)("delete_assessment", { trace_id: t, assessment_id: a });
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
async function overrideFeedback(options) {
    const t = (0, assessments_1.traceIdOf)(options, "overrideFeedback");
    const a = assessmentIdOf(options?.assessmentId, "overrideFeedback");
    if (options.value === undefined || options.value === null)
        throw (0, errors_1.invalidArgument)("overrideFeedback requires `value`.");
    const src = (0, assessments_1.source)(options.source, assessments_1.AssessmentSourceType.CODE);
    (0, mlflow_1.requireServer)("overrideFeedback");
    // The name and span are the old feedback's: the core fills them in (and refuses an expectation).
    const d = (0, assessments_1.body)(t, "", undefined, src, { feedback: { value: (0, assessments_1.jsonValue)(options.value) } }, options.rationale === undefined || options.rationale === null ? undefined : String(options.rationale), (0, assessments_1.metadataStrings)(options.metadata), true);
    delete d.assessment_name;
    return (0, assessments_1.feedbackFrom)((await (0, mlflow_1.traceApi)("override_feedback", { trace_id: t, assessment_id: a, assessment: d })));
}
