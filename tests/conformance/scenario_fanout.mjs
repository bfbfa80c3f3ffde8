// Conformance scenario "fanout" in JavaScript; its twin is scenario_fanout.py.
import * as mlflow from "../../bindings-node/dist/index.mjs";

const { SpanType } = mlflow;
const tick = () => new Promise((resolve) => setImmediate(resolve));

const embed = mlflow.trace(async function embed(text) {
  await tick();
  return [text.length, 0.5];
}, { spanType: SpanType.EMBEDDING });

const search = mlflow.trace(async function search(source, query) {
  await tick();
  const vector = await embed(source + ": " + query);
  return [{ source, score: vector[0] }];
}, { spanType: SpanType.RETRIEVER });

const rank = mlflow.trace(function rank(hits) {
  return [...hits].sort((a, b) => b.score - a.score).slice(0, 2);
}, { spanType: SpanType.RERANKER });

const fanout = mlflow.trace(async function fanout(query) {
  const groups = await Promise.all([search("wiki", query), search("news", query), search("forum", query)]);
  return rank(groups.flat());
}, { spanType: SpanType.AGENT });

await fanout("rust tracing");
await mlflow.flushTraces();
