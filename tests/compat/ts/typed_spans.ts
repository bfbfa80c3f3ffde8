// Spans passed around with their declared types under `tsc --strict`: callbacks annotated with
// `mlflow.Span` or `mlflow.LiveSpan`, helpers taking a span, decoded inputs used as `any`,
// span hooks, `SpanOptions` / `TraceOptions` / `UpdateCurrentTraceOptions` objects built ahead.
//
// Mirrors: the mlflow-tracing package README and the TypeScript SDK reference of MLflow's tracing
// docs (`withSpan(async (span) => ...)`, `registerOnSpanStartHook`, the exported option types,
// `SpanStatusCode`), written the way a TypeScript codebase annotates them.
import * as mlflow from "ferrotrace";

mlflow.init({ trackingUri: process.env.MLFLOW_TRACKING_URI, experimentId: process.env.COMPAT_EXPERIMENT_ID });

const seen: string[] = [];
mlflow.registerOnSpanStartHook((span: mlflow.LiveSpan) => {
  seen.push(`start:${span.name}`);
});
mlflow.registerOnSpanEndHook((span: mlflow.LiveSpan) => {
  seen.push(`end:${span.name}:${span.status.statusCode}`);
});

/** A helper that only reads a span: typed with the read-only `Span`. */
function describe(span: mlflow.Span): string {
  const query: string = span.inputs?.query ?? "?";
  return `${span.name} (${span.spanType}) query=${query}`;
}

const options: mlflow.SpanOptions = { name: "lookup", spanType: mlflow.SpanType.RETRIEVER, inputs: { query: "rust" } };
const traceOptions: mlflow.TraceOptions = { name: "rank", spanType: mlflow.SpanType.RERANKER };
const update: mlflow.UpdateCurrentTraceOptions = { tags: { component: "search" } };

const rank = mlflow.trace((docs: string[]) => [...docs].sort(), traceOptions);

async function main(): Promise<void> {
  const docs = await mlflow.withSpan(async (span: mlflow.Span) => {
    console.log("inside:", describe(span));
    return ["b-doc", "a-doc"];
  }, options);
  console.log("ranked:", JSON.stringify(rank(docs)));
  const firstTrace = mlflow.getLastActiveTraceId()!;

  const total: number = await mlflow.withSpan(
    async (span: mlflow.LiveSpan) => {
      mlflow.updateCurrentTrace(update);
      span.setAttributes({ "retry.count": 0 });
      span.setStatus(mlflow.SpanStatusCode.OK);
      const child = mlflow.startSpan({ name: "count", parent: span });
      child.end({ outputs: 2, status: mlflow.SpanStatusCode.OK });
      return 2;
    },
    { name: "count_docs", spanType: mlflow.SpanType.CHAIN },
  );
  console.log("total:", total);
  const secondTrace = mlflow.getLastActiveTraceId()!;

  const failing = mlflow.withSpan((span: mlflow.LiveSpan) => {
    span.recordException(new Error("boom"));
    span.setStatus("ERROR", "boom");
    return "handled";
  }, { name: "flaky" });
  console.log("flaky:", failing);
  const thirdTrace = mlflow.getLastActiveTraceId()!;

  await mlflow.flushTraces();
  console.log("hooks:", seen.join(" "));
  console.log(`COMPAT_TRACE_IDS ${JSON.stringify([firstTrace, secondTrace, thirdTrace])}`);
}

void main();
