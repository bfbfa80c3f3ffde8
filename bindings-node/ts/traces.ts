/**
 * `getTrace`: a finished trace read back as MLflow's `Trace` (`info` + `data.spans`), from the
 * traces this process finished recently or else from the MLflow server (the entity classes are
 * in `entities.ts`).
 */
import { internalError } from "./span";
import { native } from "./native";
import { Trace } from "./entities";
import type { Json } from "./assessments";

export { Span, Trace, TraceData, TraceInfo } from "./entities";
export type { TokenUsage } from "./entities";
/** Parses the core's trace JSON, keeping nanosecond times exact (they pass 2^53). */
export function parseTrace(text: string): Json {
  const quoted = text.replace(/"((?:start_|end_)?time_unix_nano)":(\d+)/g, '"$1":"$2"');
  return JSON.parse(quoted, (key: string, value: unknown) =>
    typeof value === "string" && /^(?:start_|end_)?time_unix_nano$/.test(key) ? BigInt(value) : value,
  ) as Json;
}

/** Options of `getTrace`. */
export interface GetTraceOptions {
  /** Do not warn when the trace cannot be found. */
  silent?: boolean;
  /** How long to wait for traces still queued to be delivered first (default 30 s). */
  timeoutMs?: number;
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
export async function getTrace(traceId: string, options: GetTraceOptions = {}): Promise<Trace | null> {
  let text: string;
  try {
    const found = await native.traceApi("get_trace", JSON.stringify({ trace_id: String(traceId), timeout_ms: options.timeoutMs ?? 30_000 }));
    text = found === "null" ? "" : found;
  } catch (e) {
    if (!options.silent) console.warn(`ferrotrace: getTrace(${JSON.stringify(traceId)}) failed: ${String((e as Error)?.message ?? e)}`);
    return null;
  }
  if (!text) {
    if (!options.silent) console.warn(`ferrotrace: trace ${traceId} was not found.`);
    return null;
  }
  try {
    return new Trace(parseTrace(text));
  } catch (e) {
    internalError("getTrace", e);
    return null;
  }
}
