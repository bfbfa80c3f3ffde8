/**
 * `searchTraces` and `deleteTraces` (MLflow's `search_traces` and `MlflowClient.delete_traces`)
 * on the MLflow server or the local store, with MLflow's filter grammar.
 */
import { traceApi } from "./mlflow";
import { Trace, parseTrace } from "./traces";

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
export async function searchTracesPage(options: SearchTracesOptions = {}): Promise<TracePage> {
  const o = options ?? {};
  const res = (await traceApi("search_traces", {
    filter: o.filterString ?? null,
    max_results: o.maxResults ?? null,
    order_by: o.orderBy ?? [],
    page_token: o.pageToken ?? null,
    include_spans: o.includeSpans ?? true,
    experiment_ids: o.experimentIds ?? [],
  })) as { traces: unknown[]; next_page_token: string | null };
  return {
    traces: res.traces.map((t) => new Trace(parseTrace(JSON.stringify(t)))),
    nextPageToken: res.next_page_token ?? null,
  };
}

/**
 * Traces matching a filter (MLflow's `search_traces`): on the local store when no server is
 * configured, where tags and feedback given after a trace ended are searchable too.
 *
 * @example
 * ```ts
 * const bad = await mlflow.searchTraces({ filterString: "feedback.user_satisfaction = 'false'" });
 * ```
 */
export async function searchTraces(options: SearchTracesOptions = {}): Promise<Trace[]> {
  return (await searchTracesPage(options)).traces;
}

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
export async function deleteTraces(options: DeleteTracesOptions): Promise<number> {
  const o = options ?? {};
  const res = (await traceApi("delete_traces", {
    trace_ids: o.traceIds ?? null,
    max_timestamp_millis: o.maxTimestampMillis ?? null,
    max_traces: o.maxTraces ?? null,
    experiment_id: o.experimentId ?? null,
  })) as { deleted: number };
  return res.deleted;
}
