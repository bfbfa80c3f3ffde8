"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.TraceInfo = exports.TraceData = exports.Trace = exports.Span = void 0;
exports.parseTrace = parseTrace;
exports.getTrace = getTrace;
/**
 * `getTrace`: a finished trace read back as MLflow's `Trace` (`info` + `data.spans`), from the
 * traces this process finished recently or else from the MLflow server (the entity classes are
 * in `entities.ts`).
 */
const span_1 = require("./span");
const native_1 = require("./native");
const entities_1 = require("./entities");
var entities_2 = require("./entities");
Object.defineProperty(exports, "Span", { enumerable: true, get: function () { return entities_2.Span; } });
Object.defineProperty(exports, "Trace", { enumerable: true, get: function () { return entities_2.Trace; } });
Object.defineProperty(exports, "TraceData", { enumerable: true, get: function () { return entities_2.TraceData; } });
Object.defineProperty(exports, "TraceInfo", { enumerable: true, get: function () { return entities_2.TraceInfo; } });
/** Parses the core's trace JSON, keeping nanosecond times exact (they pass 2^53). */
function parseTrace(text) {
    const quoted = text.replace(/"((?:start_|end_)?time_unix_nano)":(\d+)/g, '"$1":"$2"');
    return JSON.parse(quoted, (key, value) => typeof value === "string" && /^(?:start_|end_)?time_unix_nano$/.test(key) ? BigInt(value) : value);
}
/**
 * A finished trace by id (`tr-...`) as stored, with the tags and assessments it was given
 * after it ended, from the local store (any process's traces) or the MLflow server; `null`
 * (with a warning unless `silent`) when it cannot be found. Traces still queued are delivered first, so a
 * trace that ended a moment ago is found. Never rejects.
 *
 * @example
 * ```ts
 * await agent("hi");
 * const trace = await mlflow.getTrace(mlflow.getLastActiveTraceId()!);
 * trace?.data.spans.map((s) => s.name);      // ["agent", "llm"]
 * trace?.info.assessments.map((a) => a.name); // feedback logged on it (from the server)
 * ```
 */
async function getTrace(traceId, options = {}) {
    let text;
    try {
        const found = await native_1.native.traceApi("get_trace", JSON.stringify({ trace_id: String(traceId), timeout_ms: options.timeoutMs ?? 30_000 }));
        text = found === "null" ? "" : found;
    }
    catch (e) {
        if (!options.silent)
            console.warn(`ferrotrace: getTrace(${JSON.stringify(traceId)}) failed: ${String(e?.message ?? e)}`);
        return null;
    }
    if (!text) {
        if (!options.silent)
            console.warn(`ferrotrace: trace ${traceId} was not found.`);
        return null;
    }
    try {
        return new entities_1.Trace(parseTrace(text));
    }
    catch (e) {
        (0, span_1.internalError)("getTrace", e);
        return null;
    }
}
