// A chat handler that streams a stubbed model's answer: the stream is one span with one event
// per chunk (its outputs are the chunks); a tracingContext tags every trace of a tenant; an end
// hook redacts e-mail addresses before anything is exported; the handler passes its span on to
// a downstream call as a W3C traceparent header. Traces go to ./ferrotrace-traces (or
// $FERROTRACE_LOCAL_DIR); `ferrotrace traces show <id>` prints them.
//
// In an application: `import * as mlflow from "ferrotrace";`.
import * as mlflow from "../../bindings-node/dist/index.mjs";

const { SpanType } = mlflow;
const EMAIL = /[\w.+-]+@[\w-]+(\.[\w-]+)+/g;

// Redaction: every span's inputs and outputs, just before it ends (chunk events, recorded as
// the stream runs, are not rewritten: see the README).
mlflow.registerOnSpanEndHook((span) => {
  const scrub = (v) => (v === undefined ? v : JSON.parse(JSON.stringify(v).replace(EMAIL, "<email>")));
  span.setInputs(scrub(span.inputs));
  if (span.outputs !== undefined) span.setOutputs(scrub(span.outputs));
});

// A stand-in for a streaming model: the span stays open until the last token is read.
const streamAnswer = mlflow.trace(async function* streamAnswer(question) {
  for (const token of ["Sure", ", ", "I will ", "write ", "to you."]) {
    await new Promise((r) => setTimeout(r, 2));
    yield token;
  }
}, { spanType: SpanType.LLM });

// A downstream call: a real service would send these headers and continue the trace with
// mlflow.withTracingContextFromHeadersAsync(req.headers, ...).
const notify = mlflow.trace(async function notify(user) {
  const headers = mlflow.getTracingContextHeadersForHttpRequest();
  return { sent: true, traceparent: headers.traceparent };
}, { spanType: SpanType.TOOL });

const handleChat = mlflow.trace(async function handleChat(question, user) {
  let text = "";
  for await (const token of streamAnswer(question)) {
    process.stdout.write(token);
    text += token;
  }
  process.stdout.write("\n");
  await notify(user);
  return text;
}, { spanType: SpanType.CHAIN });

await mlflow.tracingContext({ tags: { tenant: "acme" }, sessionId: "session-1" }, () =>
  handleChat("can you mail me the report?", "ann@example.com"),
);
await mlflow.flushTraces();
console.log(`trace ${mlflow.getLastActiveTraceId()}`);
