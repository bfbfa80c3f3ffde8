// ESM entry: the CommonJS build re-exported by name, so `import * as mlflow from "ferrotrace"`
// and `require("ferrotrace")` share one module instance (one AsyncLocalStorage, one tracer).
import cjs from "./index.js";

export const {
  configure,
  deleteTraceTag,
  flushTraces,
  getConfig,
  getCurrentActiveSpan,
  getLastActiveTraceId,
  init,
  logExpectation,
  logFeedback,
  setTraceTag,
  startSpan,
  stats,
  trace,
  updateCurrentTrace,
  withSpan,
  AssessmentSourceType,
  CAPS,
  toJsonText,
  LiveSpan,
  SpanEvent,
  SpanStatus,
  SpanStatusCode,
  SpanType,
  testing,
} = cjs;
export default cjs;
