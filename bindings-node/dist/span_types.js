"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.SpanEvent = exports.SpanStatus = exports.SpanStatusCode = exports.SpanType = void 0;
exports.hrTime = hrTime;
exports.describeError = describeError;
exports.internalError = internalError;
exports.toNs = toNs;
/**
 * The value types around a span: span types, status codes and statuses, events, links, times,
 * and the error description and internal-failure report every module uses.
 */
/** MLflow's span types (any other string is accepted as well). */
var SpanType;
(function (SpanType) {
    SpanType["LLM"] = "LLM";
    SpanType["CHAIN"] = "CHAIN";
    SpanType["AGENT"] = "AGENT";
    SpanType["TOOL"] = "TOOL";
    SpanType["CHAT_MODEL"] = "CHAT_MODEL";
    SpanType["RETRIEVER"] = "RETRIEVER";
    SpanType["PARSER"] = "PARSER";
    SpanType["EMBEDDING"] = "EMBEDDING";
    SpanType["RERANKER"] = "RERANKER";
    SpanType["MEMORY"] = "MEMORY";
    SpanType["UNKNOWN"] = "UNKNOWN";
    SpanType["WORKFLOW"] = "WORKFLOW";
    SpanType["TASK"] = "TASK";
    SpanType["GUARDRAIL"] = "GUARDRAIL";
    SpanType["EVALUATOR"] = "EVALUATOR";
})(SpanType || (exports.SpanType = SpanType = {}));
/** A span's status code. */
var SpanStatusCode;
(function (SpanStatusCode) {
    SpanStatusCode["UNSET"] = "UNSET";
    SpanStatusCode["OK"] = "OK";
    SpanStatusCode["ERROR"] = "ERROR";
})(SpanStatusCode || (exports.SpanStatusCode = SpanStatusCode = {}));
/**
 * A status code plus description.
 *
 * @example
 * ```ts
 * span.setStatus(new SpanStatus(SpanStatusCode.ERROR, "quota exceeded"));
 * ```
 */
class SpanStatus {
    statusCode;
    description;
    constructor(statusCode, description = "") {
        this.statusCode = statusCode;
        this.description = description;
    }
}
exports.SpanStatus = SpanStatus;
/** @internal `ns` as `[seconds, nanoseconds]`. */
function hrTime(ns) {
    return [Number(ns / 1000000000n), Number(ns % 1000000000n)];
}
/**
 * Something that happened during a span, at a time in nanoseconds since the epoch.
 *
 * @example
 * ```ts
 * span.addEvent(new SpanEvent({ name: "cache_miss", attributes: { key: "q1" } }));
 * ```
 */
class SpanEvent {
    name;
    timestamp;
    attributes;
    constructor(params) {
        this.name = params.name;
        this.timestamp = params.timestamp ?? BigInt(Date.now()) * 1000000n;
        this.attributes = params.attributes ?? {};
    }
    /** An `exception` event with `exception.type`, `exception.message`, `exception.stacktrace`. */
    static fromException(error) {
        const e = describeError(error);
        return new SpanEvent({
            name: "exception",
            attributes: {
                "exception.message": e.message,
                "exception.type": e.type,
                "exception.stacktrace": e.stack,
            },
        });
    }
}
exports.SpanEvent = SpanEvent;
/** Type, message and stack of anything thrown, without letting a getter's throw escape. */
function describeError(err) {
    try {
        if (err instanceof Error || (typeof err === "object" && err !== null && "message" in err)) {
            const e = err;
            const type = String(e.name || e.constructor?.name || "Error");
            return { type, message: String(e.message ?? ""), stack: String(e.stack ?? "") };
        }
        const type = err === null ? "null" : typeof err;
        return { type, message: String(err), stack: "" };
    }
    catch {
        return { type: "Error", message: "[unreadable error]", stack: "" };
    }
}
let warned = false;
/** Reports an internal failure once; tracing must never break the traced code. */
function internalError(what, err) {
    if (warned)
        return;
    warned = true;
    console.warn(`ferrotrace: ${what} failed (tracing continues, data may be incomplete):`, err);
}
/** Converts a nanosecond time given as number or bigint. */
function toNs(t) {
    if (t === undefined || t === null)
        return null;
    try {
        return typeof t === "bigint" ? t : BigInt(Math.round(t));
    }
    catch {
        return null;
    }
}
