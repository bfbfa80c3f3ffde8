// A small traced agent: a retrieval, a stubbed LLM call reporting token usage, and a tool that
// fails once and is retried, all under one AGENT span. With no tracking server configured the
// trace goes to ./ferrotrace-traces (or $FERROTRACE_LOCAL_DIR); `ferrotrace traces show <id>`
// prints it as a tree.
//
// In an application: `import * as mlflow from "ferrotrace";` (was: "mlflow-tracing").
import * as mlflow from "../../bindings-node/dist/index.mjs";

const { SpanType } = mlflow;

const DOCS = {
  tracing: "Tracing records each step of an agent as a span.",
  ferrotrace: "ferrotrace is a native tracing SDK with MLflow's API.",
};

const retrieve = mlflow.trace(async function retrieve(query, k = 2) {
  const words = query.toLowerCase();
  return Object.entries(DOCS)
    .filter(([id]) => words.includes(id))
    .slice(0, k)
    .map(([id, text]) => ({ id, text }));
}, { spanType: SpanType.RETRIEVER });

const callLlm = mlflow.trace(async function callLlm(prompt, temperature = 0.2) {
  // A stand-in for a real model: an answer and the token usage it reports.
  const inputTokens = prompt.split(/\s+/).length;
  mlflow.getCurrentActiveSpan()?.setAttribute("mlflow.chat.tokenUsage", {
    input_tokens: inputTokens,
    output_tokens: 9,
    total_tokens: inputTokens + 9,
  });
  return { role: "assistant", content: "ferrotrace records spans natively and exports them in the background." };
}, { spanType: SpanType.LLM, attributes: { model: "stub-llm-1" } });

let toolCalls = 0;
const wordCount = mlflow.trace(async function wordCount(text) {
  if (++toolCalls === 1) throw new Error("tool backend did not answer");
  return text.split(/\s+/).length;
}, { spanType: SpanType.TOOL });

const agent = mlflow.trace(async function agent(question) {
  mlflow.updateCurrentTrace({ tags: { app: "quickstart" }, sessionId: "session-1", user: "demo-user" });
  const docs = await retrieve(question);
  const context = docs.map((d) => d.text).join(" ");
  const reply = await callLlm(`Context: ${context}\nQuestion: ${question}`);
  let words;
  for (let attempt = 1; words === undefined; attempt++) {
    try {
      words = await wordCount(reply.content);
    } catch (err) {
      if (attempt === 2) throw err; // the failed attempt stays in the trace as an ERROR span
    }
  }
  return { answer: reply.content, words, sources: docs.map((d) => d.id) };
}, { spanType: SpanType.AGENT });

console.log(await agent("What does ferrotrace do for tracing?"));
// Delivery happens in the background; the exit hook flushes too, this just makes it explicit.
await mlflow.flushTraces();
console.log(`trace ${mlflow.getLastActiveTraceId()} written to ${mlflow.getConfig().localDir}`);
