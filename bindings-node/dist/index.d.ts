import * as testing from "./testing";
export { configure, flushTraces, getConfig, getCurrentActiveSpan, getLastActiveTraceId, startSpan, stats, trace, updateCurrentTrace, withSpan, } from "./api";
export type { ConfigureOptions, SpanOptions, TraceOptions, TracerStats, UpdateCurrentTraceOptions, } from "./api";
export { CAPS, toJsonText } from "./capture";
export { LiveSpan, SpanEvent, SpanStatus, SpanStatusCode, SpanType } from "./span";
export type { AttributeValue } from "./span";
export { testing };
