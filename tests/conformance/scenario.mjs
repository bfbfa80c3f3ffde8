// The conformance scenario in TypeScript/JavaScript. Its twin is scenario.py; both must produce
// the same normalised trace (expected.json).
import * as mlflow from "../../bindings-node/dist/index.mjs";

const search = mlflow.trace(function search(query, k) {
  return [{ id: 1, text: "doc about " + query }].slice(0, k);
}, { spanType: mlflow.SpanType.RETRIEVER });

const llm = mlflow.trace(function llm(prompt) {
  mlflow.getCurrentActiveSpan().setAttribute("mlflow.chat.tokenUsage", { input_tokens: 7, output_tokens: 3, total_tokens: 10 });
  return { content: "answer", score: 0.5 };
}, { spanType: mlflow.SpanType.LLM });

const tool = mlflow.trace(function tool(x) {
  throw new Error("boom");
}, { spanType: mlflow.SpanType.TOOL });

const agent = mlflow.trace(function agent(question) {
  mlflow.updateCurrentTrace({ tags: { env: "conformance" }, sessionId: "s1", user: "u1" });
  const docs = search(question, 2);
  try {
    tool(1);
  } catch {
    // the agent recovers
  }
  mlflow.withSpan((span) => {
    span.setInputs({ n: docs.length, flags: [true, null, 2.5] });
    span.setOutputs("clean");
  }, { name: "postprocess", spanType: mlflow.SpanType.PARSER });
  return llm("q: " + question).content;
}, { spanType: mlflow.SpanType.AGENT });

agent("what is tracing?");
await mlflow.flushTraces();
