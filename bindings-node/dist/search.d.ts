import { Trace } from "./traces";
/** Options of `searchTraces` (MLflow's names in camelCase). */
export interface SearchTracesOptions {
    /** MLflow's filter grammar: `trace.name = 'agent' AND tags.env = 'prod'`, `span.type = 'LLM'`... */
    filterString?: string;
    /** Default: all matching traces. */
    maxResults?: number;
    /** `["timestamp_ms DESC"]` (the default order), `["trace.name ASC"]`, ... */
    orderBy?: string[];
    /** The `nextPageToken` of an earlier page. */
    pageToken?: string;
    /** Default `true`: traces come with their spans. */
    includeSpans?: boolean;
    /** Server only: the experiments to search (default: the configured one). */
    experimentIds?: string[];
}
/** One page of `searchTracesPage`. */
export interface TracePage {
    traces: Trace[];
    nextPageToken: string | null;
}
/**
 * One page of traces matching a filter, newest first unless `orderBy` says otherwise.
 *
 * @example
 * ```ts
 * const page = await mlflow.searchTracesPage({ filterString: "tags.topic = 'billing'", maxResults: 50 });
 * const next = page.nextPageToken ? await mlflow.searchTracesPage({ pageToken: page.nextPageToken }) : null;
 * ```
 */
export declare function searchTracesPage(options?: SearchTracesOptions): Promise<TracePage>;
/**
 * Traces matching a filter (MLflow's `search_traces`): on the local store when no server is
 * configured, where tags and feedback given after a trace ended are searchable too.
 *
 * @example
 * ```ts
 * const bad = await mlflow.searchTraces({ filterString: "feedback.user_satisfaction = 'false'" });
 * ```
 */
export declare function searchTraces(options?: SearchTracesOptions): Promise<Trace[]>;
/** Options of `deleteTraces`: `traceIds`, or `maxTimestampMillis` (with `maxTraces`). */
export interface DeleteTracesOptions {
    traceIds?: string[];
    maxTimestampMillis?: number;
    maxTraces?: number;
    experimentId?: string;
}
/**
 * Deletes traces (MLflow's `MlflowClient.delete_traces`): the given ids, or those started
 * before `maxTimestampMillis` (at most `maxTraces`, oldest first). Resolves with how many.
 *
 * @example
 * ```ts
 * await mlflow.deleteTraces({ maxTimestampMillis: Date.now() - 7 * 24 * 3600_000 });
 * ```
 */
export declare function deleteTraces(options: DeleteTracesOptions): Promise<number>;
