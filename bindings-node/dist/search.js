"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.searchTracesPage = searchTracesPage;
exports.searchTraces = searchTraces;
exports.deleteTraces = deleteTraces;
/**
 * `searchTraces` and `deleteTraces` (MLflow's `search_traces` and `MlflowClient.delete_traces`)
 * on the MLflow server or the local store, with MLflow's filter grammar.
 */
const mlflow_1 = require("./mlflow");
const traces_1 = require("./traces");
/**
 * One page of traces matching a filter, newest first unless `orderBy` says otherwise.
 *
 * @example
 * ```ts
 * const page = await mlflow.searchTracesPage({ filterString: "tags.topic = 'billing'", maxResults: 50 });
 * const next = page.nextPageToken ? await mlflow.searchTracesPage({ pageToken: page.nextPageToken }) : null;
 * ```
 */
async function searchTracesPage(options = {}) {
    const o = options ?? {};
    const res = (await (0, mlflow_1.traceApi)("search_traces", {
        filter: o.filterString ?? null,
        max_results: o.maxResults ?? null,
        order_by: o.orderBy ?? [],
        page_token: o.pageToken ?? null,
        include_spans: o.includeSpans ?? true,
        experiment_ids: o.experimentIds ?? [],
    }));
    return {
        traces: res.traces.map((t) => new traces_1.Trace((0, traces_1.parseTrace)(JSON.stringify(t)))),
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
async function searchTraces(options = {}) {
    return (await searchTracesPage(options)).traces;
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
async function deleteTraces(options) {
    const o = options ?? {};
    const res = (await (0, mlflow_1.traceApi)("delete_traces", {
        trace_ids: o.traceIds ?? null,
        max_timestamp_millis: o.maxTimestampMillis ?? null,
        max_traces: o.maxTraces ?? null,
        experiment_id: o.experimentId ?? null,
    }));
    return res.deleted;
}
