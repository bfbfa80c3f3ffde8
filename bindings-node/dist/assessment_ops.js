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
 * two REST requests run on the libuv thread pool.
 */
const assessments_1 = require("./assessments");
const mlflow_1 = require("./mlflow");
function assessmentIdOf(id, what) {
    if (typeof id !== "string" || id.trim() === "")
        throw new Error(`${what} requires \`assessmentId\`.`);
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
 * A feedback stays a feedback and an expectation an expectation (the kind is read from the
 * server first). To keep the old value on record, use `overrideFeedback` instead.
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
    const old = await fetchRaw(t, a);
    const isExpectation = old.expectation !== undefined && old.feedback === undefined;
    const d = {
        assessment_id: a,
        trace_id: t,
        assessment_name: u.name === undefined || u.name === null ? String(old.assessment_name ?? "") : String(u.name),
    };
    const paths = ["assessment_name"];
    const hasValue = u.value !== undefined && u.value !== null;
    const hasError = u.error !== undefined && u.error !== null && u.error !== "";
    if (isExpectation && hasError)
        throw new Error("updateAssessment: an expectation has no `error`.");
    if (hasValue || hasError) {
        if (isExpectation) {
            d.expectation = { value: (0, assessments_1.jsonValue)(u.value) };
            paths.push("expectation");
        }
        else {
            const feedback = {};
            if (hasValue)
                feedback.value = (0, assessments_1.jsonValue)(u.value);
            if (hasError)
                feedback.error = (0, assessments_1.assessmentError)(u.error);
            d.feedback = feedback;
            paths.push("feedback");
        }
    }
    if (u.rationale !== undefined && u.rationale !== null) {
        d.rationale = String(u.rationale);
        paths.push("rationale");
    }
    const metadata = (0, assessments_1.metadataStrings)(u.metadata);
    if (metadata) {
        d.metadata = metadata;
        paths.push("metadata");
    }
    const changes = Object.fromEntries(paths.map((p) => [p, d[p]]));
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
        throw new Error("overrideFeedback requires `value`.");
    const src = (0, assessments_1.source)(options.source, assessments_1.AssessmentSourceType.CODE);
    (0, mlflow_1.requireServer)("overrideFeedback");
    const old = await fetchRaw(t, a);
    if (old.feedback === undefined) {
        throw new Error(`The assessment with ID ${a} is not a feedback assessment.`);
    }
    const d = (0, assessments_1.body)(t, String(old.assessment_name ?? "feedback"), old.span_id ? String(old.span_id) : undefined, src, { feedback: { value: (0, assessments_1.jsonValue)(options.value) } }, options.rationale === undefined || options.rationale === null ? undefined : String(options.rationale), (0, assessments_1.metadataStrings)(options.metadata), true, a);
    return (0, assessments_1.feedbackFrom)((await (0, mlflow_1.traceApi)("log_assessment", { trace_id: t, assessment: d })));
}
