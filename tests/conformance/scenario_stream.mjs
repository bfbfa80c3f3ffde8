// Conformance scenario "stream" in JavaScript; its twin is scenario_stream.py.
import * as mlflow from "../../bindings-node/dist/index.mjs";

const { SpanType } = mlflow;

const streamAnswer = mlflow.trace(function* stream_answer(prompt) {
  for (const token of ["Tracing", " is", " fun", "."]) yield { delta: token };
}, { spanType: SpanType.LLM });

const endless = mlflow.trace(function* endless(prompt) {
  for (let i = 0; ; i++) yield i;
}, { spanType: SpanType.LLM });

const chat = mlflow.trace(function chat(message) {
  let answer = "";
  for (const chunk of streamAnswer("user: " + message)) answer += chunk.delta;
  const stream = endless("count");
  const first = [stream.next().value, stream.next().value];
  stream.return();
  return { answer, first };
}, { spanType: SpanType.CHAIN });

chat("is tracing fun?");
await mlflow.flushTraces();
