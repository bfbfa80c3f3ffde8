/**
 * Helpers for tests: read what the memory destination (`FERROTRACE_DESTINATION=memory`) or a
 * local store folder holds, as MLflow trace dicts (`Trace.to_dict()`).
 *
 * @example
 * ```ts
 * import { testing, flushTraces } from "ferrotrace";
 * await flushTraces();
 * const [t] = testing.memoryTraces();
 * t.data.spans.map((s) => s.name);
 * ```
 */
import { addonPath as loadedFrom, native } from "./native";

/** A span as stored: base64 ids, attribute values as JSON text. */
export interface StoredSpan {
  trace_id: string;
  span_id: string;
  parent_span_id: string | null;
  name: string;
  start_time_unix_nano: number;
  end_time_unix_nano: number | null;
  events: Array<{ name: string; time_unix_nano: number; attributes: Record<string, unknown> }>;
  status: { code: string; message: string };
  attributes: Record<string, string>;
  links: unknown[];
}

/** A trace as stored (`{info, data: {spans}}`). Times above 2^53 ns lose precision here. */
export interface StoredTrace {
  info: {
    trace_id: string;
    request_time: string;
    state: string;
    trace_metadata: Record<string, string>;
    tags: Record<string, string>;
    request_preview?: string;
    response_preview?: string;
    client_request_id?: string;
    execution_duration_ms: number | null;
    [key: string]: unknown;
  };
  data: { spans: StoredSpan[] };
}

/** Traces delivered to the memory destination so far (call `flushTraces()` first). */
export function memoryTraces(): StoredTrace[] {
  return JSON.parse(native.memoryTraces()) as StoredTrace[];
}

/** Empties the memory destination. */
export function clearMemoryTraces(): void {
  native.clearMemory();
}

/** Every trace in a local store folder, plus warnings about damaged records. */
export function readLocalStore(dir: string): { traces: StoredTrace[]; warnings: string[] } {
  return JSON.parse(native.readLocalStore(dir)) as { traces: StoredTrace[]; warnings: string[] };
}

/** Decodes a stored attribute value (JSON text). */
export function attribute(span: StoredSpan, key: string): unknown {
  const v = span.attributes[key];
  return v === undefined ? undefined : (JSON.parse(v) as unknown);
}

/** The file the native addon was loaded from (every thread of a process uses the same one). */
export function addonPath(): string {
  return loadedFrom;
}
