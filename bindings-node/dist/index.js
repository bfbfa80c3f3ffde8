"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.testing = exports.trace = exports.SpanType = exports.SpanStatusCode = exports.SpanStatus = exports.SpanEvent = exports.LiveSpan = exports.TraceLocationType = exports.setTraceTag = exports.setDestination = exports.init = exports.getDestination = exports.deleteTraceTag = exports.createTraceLocationFromExperimentId = exports.registerOnSpanStartHook = exports.registerOnSpanEndHook = exports.withTracingContextFromHeadersAsync = exports.withTracingContextFromHeaders = exports.tracingContext = exports.getTracingContextHeadersForHttpRequest = exports.TraceTagKey = exports.TraceMetadataKey = exports.TRACE_SCHEMA_VERSION = exports.TRACE_ID_PREFIX = exports.TokenUsageKey = exports.SpanLogLevel = exports.SpanAttributeKey = exports.NO_OP_SPAN_TRACE_ID = exports.DEFAULT_SPAN_NAME = exports.toJsonText = exports.CAPS = exports.logFeedback = exports.logExpectation = exports.AssessmentSourceType = exports.withSpan = exports.updateCurrentTrace = exports.stats = exports.startSpan = exports.getLastActiveTraceId = exports.getCurrentActiveSpan = exports.getConfig = exports.flushTraces = exports.configure = void 0;
/**
 * ferrotrace for Node: MLflow Tracing's TypeScript API backed by a native core.
 *
 * @example
 * ```ts
 * import * as mlflow from "ferrotrace";
 * const answer = mlflow.trace(async (question: string) => `echo ${question}`, { name: "answer" });
 * await answer("hi");
 * console.log(mlflow.getLastActiveTraceId());
 * ```
 */
const setup_1 = require("./setup");
const testing = require("./testing");
exports.testing = testing;
var api_1 = require("./api");
Object.defineProperty(exports, "configure", { enumerable: true, get: function () { return api_1.configure; } });
Object.defineProperty(exports, "flushTraces", { enumerable: true, get: function () { return api_1.flushTraces; } });
Object.defineProperty(exports, "getConfig", { enumerable: true, get: function () { return api_1.getConfig; } });
Object.defineProperty(exports, "getCurrentActiveSpan", { enumerable: true, get: function () { return api_1.getCurrentActiveSpan; } });
Object.defineProperty(exports, "getLastActiveTraceId", { enumerable: true, get: function () { return api_1.getLastActiveTraceId; } });
Object.defineProperty(exports, "startSpan", { enumerable: true, get: function () { return api_1.startSpan; } });
Object.defineProperty(exports, "stats", { enumerable: true, get: function () { return api_1.stats; } });
Object.defineProperty(exports, "updateCurrentTrace", { enumerable: true, get: function () { return api_1.updateCurrentTrace; } });
Object.defineProperty(exports, "withSpan", { enumerable: true, get: function () { return api_1.withSpan; } });
var assessments_1 = require("./assessments");
Object.defineProperty(exports, "AssessmentSourceType", { enumerable: true, get: function () { return assessments_1.AssessmentSourceType; } });
Object.defineProperty(exports, "logExpectation", { enumerable: true, get: function () { return assessments_1.logExpectation; } });
Object.defineProperty(exports, "logFeedback", { enumerable: true, get: function () { return assessments_1.logFeedback; } });
var capture_1 = require("./capture");
Object.defineProperty(exports, "CAPS", { enumerable: true, get: function () { return capture_1.CAPS; } });
Object.defineProperty(exports, "toJsonText", { enumerable: true, get: function () { return capture_1.toJsonText; } });
var constants_1 = require("./constants");
Object.defineProperty(exports, "DEFAULT_SPAN_NAME", { enumerable: true, get: function () { return constants_1.DEFAULT_SPAN_NAME; } });
Object.defineProperty(exports, "NO_OP_SPAN_TRACE_ID", { enumerable: true, get: function () { return constants_1.NO_OP_SPAN_TRACE_ID; } });
Object.defineProperty(exports, "SpanAttributeKey", { enumerable: true, get: function () { return constants_1.SpanAttributeKey; } });
Object.defineProperty(exports, "SpanLogLevel", { enumerable: true, get: function () { return constants_1.SpanLogLevel; } });
Object.defineProperty(exports, "TokenUsageKey", { enumerable: true, get: function () { return constants_1.TokenUsageKey; } });
Object.defineProperty(exports, "TRACE_ID_PREFIX", { enumerable: true, get: function () { return constants_1.TRACE_ID_PREFIX; } });
Object.defineProperty(exports, "TRACE_SCHEMA_VERSION", { enumerable: true, get: function () { return constants_1.TRACE_SCHEMA_VERSION; } });
Object.defineProperty(exports, "TraceMetadataKey", { enumerable: true, get: function () { return constants_1.TraceMetadataKey; } });
Object.defineProperty(exports, "TraceTagKey", { enumerable: true, get: function () { return constants_1.TraceTagKey; } });
var context_1 = require("./context");
Object.defineProperty(exports, "getTracingContextHeadersForHttpRequest", { enumerable: true, get: function () { return context_1.getTracingContextHeadersForHttpRequest; } });
Object.defineProperty(exports, "tracingContext", { enumerable: true, get: function () { return context_1.tracingContext; } });
Object.defineProperty(exports, "withTracingContextFromHeaders", { enumerable: true, get: function () { return context_1.withTracingContextFromHeaders; } });
Object.defineProperty(exports, "withTracingContextFromHeadersAsync", { enumerable: true, get: function () { return context_1.withTracingContextFromHeadersAsync; } });
var hooks_1 = require("./hooks");
Object.defineProperty(exports, "registerOnSpanEndHook", { enumerable: true, get: function () { return hooks_1.registerOnSpanEndHook; } });
Object.defineProperty(exports, "registerOnSpanStartHook", { enumerable: true, get: function () { return hooks_1.registerOnSpanStartHook; } });
var mlflow_1 = require("./mlflow");
Object.defineProperty(exports, "createTraceLocationFromExperimentId", { enumerable: true, get: function () { return mlflow_1.createTraceLocationFromExperimentId; } });
Object.defineProperty(exports, "deleteTraceTag", { enumerable: true, get: function () { return mlflow_1.deleteTraceTag; } });
Object.defineProperty(exports, "getDestination", { enumerable: true, get: function () { return mlflow_1.getDestination; } });
Object.defineProperty(exports, "init", { enumerable: true, get: function () { return mlflow_1.init; } });
Object.defineProperty(exports, "setDestination", { enumerable: true, get: function () { return mlflow_1.setDestination; } });
Object.defineProperty(exports, "setTraceTag", { enumerable: true, get: function () { return mlflow_1.setTraceTag; } });
Object.defineProperty(exports, "TraceLocationType", { enumerable: true, get: function () { return mlflow_1.TraceLocationType; } });
var span_1 = require("./span");
Object.defineProperty(exports, "LiveSpan", { enumerable: true, get: function () { return span_1.LiveSpan; } });
Object.defineProperty(exports, "SpanEvent", { enumerable: true, get: function () { return span_1.SpanEvent; } });
Object.defineProperty(exports, "SpanStatus", { enumerable: true, get: function () { return span_1.SpanStatus; } });
Object.defineProperty(exports, "SpanStatusCode", { enumerable: true, get: function () { return span_1.SpanStatusCode; } });
Object.defineProperty(exports, "SpanType", { enumerable: true, get: function () { return span_1.SpanType; } });
var trace_1 = require("./trace");
Object.defineProperty(exports, "trace", { enumerable: true, get: function () { return trace_1.trace; } });
(0, setup_1.setSdkLanguage)();
(0, setup_1.setProcessMetadata)();
(0, setup_1.installExitHook)();
