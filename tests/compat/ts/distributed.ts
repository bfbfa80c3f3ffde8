// Distributed tracing: a client span sends its trace context in the `traceparent` header of an
// HTTP call to a service (an HTTP server in this process, on 127.0.0.1), which continues the same
// trace with its own spans.
//
// Mirrors: the "Distributed tracing" page of MLflow's tracing docs, TypeScript tab
// (`getTracingContextHeadersForHttpRequest` on the client, `withTracingContextFromHeaders` /
// `withTracingContextFromHeadersAsync` in the server's handler).
import * as http from "node:http";
import type { AddressInfo } from "node:net";

import * as mlflow from "ferrotrace";

mlflow.init({ trackingUri: process.env.MLFLOW_TRACKING_URI, experimentId: process.env.COMPAT_EXPERIMENT_ID });

const lookUp = mlflow.trace((sku: string) => ({ sku, stock: 12 }), { name: "look_up", spanType: mlflow.SpanType.TOOL });

const server = http.createServer((req, res) => {
  void mlflow.withTracingContextFromHeadersAsync(req.headers, async () => {
    const result = await mlflow.withSpan(
      (span) => {
        span.setInputs({ path: req.url });
        return lookUp(String(req.url).slice(1));
      },
      { name: "inventory_service", spanType: mlflow.SpanType.CHAIN },
    );
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify(result));
  });
});

async function main(): Promise<void> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  const checkStock = mlflow.trace(
    async (sku: string): Promise<unknown> => {
      const headers = mlflow.getTracingContextHeadersForHttpRequest();
      console.log("sends traceparent:", typeof headers["traceparent"] === "string");
      const r = await fetch(`http://127.0.0.1:${port}/${sku}`, { headers });
      return await r.json();
    },
    { name: "check_stock", spanType: mlflow.SpanType.AGENT },
  );

  console.log("answer:", JSON.stringify(await checkStock("sku-9")));
  const traceId = mlflow.getLastActiveTraceId()!;
  server.close();
  await mlflow.flushTraces();
  console.log(`COMPAT_TRACE_IDS ${JSON.stringify([traceId])}`);
}

void main();
