/** A span as stored: base64 ids, attribute values as JSON text. */
export interface StoredSpan {
    trace_id: string;
    span_id: string;
    parent_span_id: string | null;
    name: string;
    start_time_unix_nano: number;
    end_time_unix_nano: number | null;
    events: Array<{
        name: string;
        time_unix_nano: number;
        attributes: Record<string, unknown>;
    }>;
    status: {
        code: string;
        message: string;
    };
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
    data: {
        spans: StoredSpan[];
    };
}
/** Traces delivered to the memory destination so far (call `flushTraces()` first). */
export declare function memoryTraces(): StoredTrace[];
/** Empties the memory destination. */
export declare function clearMemoryTraces(): void;
/** Every trace in a local store folder, plus warnings about damaged records. */
export declare function readLocalStore(dir: string): {
    traces: StoredTrace[];
    warnings: string[];
};
/** Decodes a stored attribute value (JSON text). */
export declare function attribute(span: StoredSpan, key: string): unknown;
/** The file the native addon was loaded from (every thread of a process uses the same one). */
export declare function addonPath(): string;
