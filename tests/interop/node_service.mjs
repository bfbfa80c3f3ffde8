// The Node side of the cross-language distributed-tracing test: an HTTP service traced with
// ferrotrace. GET /work continues the caller's trace from its traceparent header; GET /call?url=
// makes a traced call to another service, sending its own traceparent; GET /stop flushes and exits.
// Prints the port it listens on.
import * as http from "node:http";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const pkg = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "bindings-node", "dist", "index.mjs");
const mlflow = await import(pkg);

const work = mlflow.trace(function nodeWork(q) {
  return mlflow.withSpan(() => q.toUpperCase(), { name: "nodeStep" });
});

const call = mlflow.trace(async function nodeClient(url) {
  const res = await fetch(url, { headers: mlflow.getTracingContextHeadersForHttpRequest() });
  return { status: res.status, body: await res.text(), traceId: mlflow.getCurrentActiveSpan().traceId };
});

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, "http://127.0.0.1");
  if (url.pathname === "/work") {
    const out = mlflow.withTracingContextFromHeaders(req.headers, () => work(url.searchParams.get("q") ?? ""));
    res.end(JSON.stringify({ out }));
  } else if (url.pathname === "/call") {
    res.end(JSON.stringify(await call(url.searchParams.get("url"))));
  } else if (url.pathname === "/stop") {
    await mlflow.flushTraces(10_000);
    res.end("{}", () => process.exit(0));
  } else {
    res.statusCode = 404;
    res.end();
  }
});
server.listen(0, "127.0.0.1", () => console.log(server.address().port));
