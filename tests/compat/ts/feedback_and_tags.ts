// Feedback and tags: a chat turn tagged while it runs (`updateCurrentTrace` with tags, metadata
// and a client request id), then user feedback and a ground-truth expectation logged on the
// finished trace, and the trace read back with them.
//
// Mirrors: the "Collect user feedback" and "Attach custom tags / metadata" pages of MLflow's
// tracing docs, TypeScript tabs (`updateCurrentTrace({ tags, metadata })`, `logFeedback`,
// `logExpectation`; the feedback functions are in mlflow-tracing's newest versions).
import * as mlflow from "ferrotrace";

mlflow.init({ trackingUri: process.env.MLFLOW_TRACKING_URI, experimentId: process.env.COMPAT_EXPERIMENT_ID });

const chat = mlflow.trace(
  async (message: string, requestId: string): Promise<string> => {
    mlflow.updateCurrentTrace({
      tags: { environment: "staging", topic: "billing" },
      metadata: { "mlflow.trace.user": "user-7", "mlflow.trace.session": "conv-42" },
      clientRequestId: requestId,
    });
    return `You asked about ${message}. Refunds take 5 days.`;
  },
  { name: "chat", spanType: mlflow.SpanType.CHAIN },
);

async function main(): Promise<void> {
  console.log(await chat("refunds", "req-001"));
  const traceId = mlflow.getLastActiveTraceId()!;

  const feedback = await mlflow.logFeedback({
    traceId,
    name: "user_satisfaction",
    value: true,
    rationale: "answered the question",
    source: { sourceType: "HUMAN", sourceId: "user-7" },
  });
  console.log("feedback:", feedback.name, feedback.value, feedback.source.sourceType);
  const expectation = await mlflow.logExpectation({
    traceId,
    name: "expected_answer",
    value: "Refunds take 5 business days.",
    source: { sourceType: "HUMAN", sourceId: "reviewer" },
  });
  console.log("expectation:", expectation.name, JSON.stringify(expectation.value));

  const trace = await mlflow.getTrace(traceId);
  const info = trace!.info;
  console.log("tags:", info.tags["environment"], info.tags["topic"]);
  console.log("user/session:", info.traceMetadata["mlflow.trace.user"], info.traceMetadata["mlflow.trace.session"]);
  console.log("client request id:", info.clientRequestId);
  console.log("assessments:", info.assessments.map((a) => a.name).sort().join(","));
  console.log(`COMPAT_TRACE_IDS ${JSON.stringify([traceId])}`);
}

void main();
