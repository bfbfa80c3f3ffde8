// The Node half of a distributed trace: an HTTP service that summarizes documents. It continues
// the caller's trace from the `traceparent` header, so its spans join the Python gateway's trace.
//
// Run the whole example with one command: .venv/bin/python examples/distributed/run.py
// Alone: `node examples/distributed/node_service.mjs` prints the port it listens on.
//
// In an application: `import * as mlflow from "ferrotrace";` (was: "mlflow-tracing").
import * as http from "node:http";

import * as mlflow from "../../bindings-node/dist/index.mjs";

const { SpanType } = mlflow;

const callModel = mlflow.trace(async function callModel(prompt) {
  // A stand-in for an LLM: the answer and the token usage it reports.
  mlflow.getCurrentActiveSpan()?.setAttribute("mlflow.chat.tokenUsage", { input_tokens: prompt.length, output_tokens: 6, total_tokens: prompt.length + 6 });
  return `Summary of ${prompt.split(".").length - 1} documents.`;
}, { spanType: SpanType.LLM });

const summarize = mlflow.trace(async function summarize(docs) {
  return callModel(docs.join(" "));
}, { spanType: SpanType.CHAIN });

const server = http.createServer((req, res) => {
  if (req.method !== "POST" || req.url !== "/summarize") {
    res.statusCode = 404;
    res.end();
    return;
  }
  let body = "";
  req.on("data", (chunk) => (body += chunk));
  req.on("end", async () => {
    const { docs } = JSON.parse(body);
    const summary = await mlflow.withTracingContextFromHeadersAsync(req.headers, () => summarize(docs));
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ summary }));
  });
});

server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => console.log(server.address().port));
// Stopped with SIGTERM: close the server; the exit hook delivers what is queued.
process.on("SIGTERM", () => server.close(() => process.exit(0)));
