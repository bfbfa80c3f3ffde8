// Traces to an MLflow tracking server, then user feedback and the expected answer on the trace.
//
//   mlflow server --port 5000 &          # MLflow 3.4 or later
//   MLFLOW_TRACKING_URI=http://127.0.0.1:5000 node examples/node/mlflow_feedback.mjs
//
// The trace, its spans and the assessments then show in the MLflow UI, in the experiment
// "ferrotrace-node-example" (created if missing; MLFLOW_EXPERIMENT_NAME overrides it).
//
// In an application: `import * as mlflow from "ferrotrace";` (was: "mlflow-tracing").
import * as mlflow from "../../bindings-node/dist/index.mjs";

const { AssessmentSourceType, SpanType } = mlflow;

// Options not given come from MLFLOW_TRACKING_URI, MLFLOW_TRACKING_TOKEN, ... Never waits for
// the server: a server that is down gives one warning and the app goes on.
mlflow.init({ experimentName: process.env.MLFLOW_EXPERIMENT_NAME ?? "ferrotrace-node-example" });

const answer = mlflow.trace(async function answer(question) {
  mlflow.updateCurrentTrace({ sessionId: "session-1", user: "alice" });
  return mlflow.withSpan((span) => {
    span.setAttribute("mlflow.chat.tokenUsage", { input_tokens: 7, output_tokens: 5, total_tokens: 12 });
    return "MLflow is an open source platform for the ML lifecycle.";
  }, { name: "llm", spanType: SpanType.LLM, inputs: { question } });
}, { spanType: SpanType.AGENT });

await answer("What is MLflow?");
const traceId = mlflow.getLastActiveTraceId();

// The user clicked thumbs up. The trace may still be queued: logging it delivers it first.
const feedback = await mlflow.logFeedback({
  traceId,
  name: "user_satisfaction",
  value: true,
  rationale: "clear and short",
  source: { sourceType: AssessmentSourceType.HUMAN, sourceId: "alice" },
});
// A reviewer's ground truth for the same question.
const expectation = await mlflow.logExpectation({
  traceId,
  name: "expected_answer",
  value: "MLflow is an open source platform for managing the ML lifecycle.",
});
await mlflow.setTraceTag(traceId, "reviewed", "true");

console.log(`trace ${traceId} on ${mlflow.getConfig().trackingUri}`);
console.log(`feedback ${feedback.assessmentId}, expectation ${expectation.assessmentId}`);
