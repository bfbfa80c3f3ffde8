// ESM entry: the CommonJS build re-exported by name, so `import * as mlflow from "ferrotrace"`
// and `require("ferrotrace")` share one module instance (one AsyncLocalStorage, one tracer).
import cjs from "./index.js";

export const {
  configure,
  flushTraces,
  getConfig,
  getCurrentActiveSpan,
  getLastActiveTraceId,
  startSpan,
  stats,
  trace,
  updateCurrentTrace,
  withSpan,
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
