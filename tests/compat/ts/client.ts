// MlflowClient: a traced call, then the trace read back through the client (`getTrace`,
// `getTraceInfo`), searched (`searchTraces` in the program's experiment), and an experiment
// looked up by name; a missing trace rejects.
//
// Mirrors: the "Query traces" / "Low-level client APIs" sections of MLflow's tracing docs in
// their TypeScript form (`new MlflowClient({ trackingUri, host })`, `getTrace`, `searchTraces`).
import * as mlflow from "ferrotrace";

const trackingUri = process.env.MLFLOW_TRACKING_URI ?? "";
const experimentId = process.env.COMPAT_EXPERIMENT_ID ?? "0";
mlflow.init({ trackingUri: process.env.MLFLOW_TRACKING_URI, experimentId });

const answer = mlflow.trace(
  async (question: string): Promise<string> => {
    const span = mlflow.getCurrentActiveSpan();
    span?.setAttribute("model", "echo-1");
    return `echo: ${question}`;
  },
  { name: "answer", spanType: mlflow.SpanType.LLM },
);

async function main(): Promise<void> {
  console.log(await answer("what is tracing?"));
  const traceId = mlflow.getLastActiveTraceId()!;
  await mlflow.flushTraces();

  const client = new mlflow.MlflowClient({ trackingUri, host: trackingUri });
  const trace: mlflow.Trace = await client.getTrace(traceId);
  const info: mlflow.TraceInfo = trace.info;
  console.log("state:", info.state, "same id:", info.traceId === traceId);
  for (const span of trace.data.spans) {
    const s: mlflow.Span = span;
    console.log("span", s.name, s.spanType, JSON.stringify(s.inputs), JSON.stringify(s.outputs), s.status.statusCode);
    console.log("model attribute:", s.attributes["model"]);
  }
  const again = await client.getTraceInfo(traceId);
  console.log("request preview:", again.requestPreview);

  const found = await client.searchTraces({ experimentIds: [experimentId], maxResults: 10 });
  console.log("searched:", found.traces.some((t) => t.traceId === traceId));

  try {
    await client.getTrace("tr-0123456789abcdef0123456789abcdef");
    console.log("missing trace found?!");
  } catch {
    console.log("missing trace rejected");
  }
  console.log(`COMPAT_TRACE_IDS ${JSON.stringify([traceId])}`);
}

void main();
