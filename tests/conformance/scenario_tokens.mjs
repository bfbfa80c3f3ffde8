// Conformance scenario "tokens" in JavaScript; its twin is scenario_tokens.py.
import * as mlflow from "../../bindings-node/dist/index.mjs";

const { SpanType } = mlflow;
const usage = (i, o) => ({ input_tokens: i, output_tokens: o, total_tokens: i + o });

const llm = mlflow.trace(function llm(messages, model) {
  const span = mlflow.getCurrentActiveSpan();
  span.setAttribute("mlflow.chat.tokenUsage", usage(messages.length * 10, 5));
  span.setAttribute("mlflow.message.format", "openai");
  return { role: "assistant", content: "reply to " + messages.at(-1).content };
}, { spanType: SpanType.CHAT_MODEL });

const summarize = mlflow.trace(function summarize(text) {
  return llm([{ role: "user", content: "summarize: " + text }], "small").content;
}, { spanType: SpanType.CHAIN });

const assistant = mlflow.trace(function assistant(question) {
  mlflow.updateCurrentTrace({
    clientRequestId: "req-42", requestPreview: "Q: " + question, responsePreview: "A: (see outputs)",
  });
  const draft = llm([{ role: "system", content: "be brief" }, { role: "user", content: question }], "large");
  return { answer: summarize(draft.content), unicode: "héllo ✓", n: 3, ok: true, none: null };
}, { spanType: SpanType.AGENT });

assistant("what is a span?");
await mlflow.flushTraces();
