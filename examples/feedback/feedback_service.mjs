// Collecting feedback on traces, in Node: an HTTP service whose answers carry their trace id, an
// endpoint that records the user's rating, and an LLM-as-judge step that scores every answer.
//
//   MLFLOW_TRACKING_URI=http://127.0.0.1:5000 node examples/feedback/feedback_service.mjs --demo
//
// `--demo` starts the service on a free port of 127.0.0.1, plays one client (asks a question,
// reads the `x-trace-id` header, sends a thumbs up with a comment), prints the trace id and the
// assessments stored on the trace, and stops. Without `--demo` it serves until stopped:
//
//   POST /chat      {"question": "..."}                          -> {answer, traceId} + x-trace-id
//   POST /feedback  {"traceId", "thumbsUp", "comment", "user"}   -> {assessmentId}
//
// In an application: `import * as mlflow from "ferrotrace";` (was: "mlflow-tracing").
import * as http from "node:http";

import * as mlflow from "../../bindings-node/dist/index.mjs";

const { AssessmentSourceType, SpanType } = mlflow;
const KNOWLEDGE = { tracing: "Tracing records each step of an LLM app as a span, so you can see what happened." };

const generate = mlflow.trace(async function generate(question) {
  // A stand-in for the app's model.
  const topic = Object.keys(KNOWLEDGE).find((k) => question.toLowerCase().includes(k));
  return topic ? KNOWLEDGE[topic] : "I do not know.";
}, { spanType: SpanType.LLM });

const chat = mlflow.trace(async function chat(question) {
  return generate(question);
}, { spanType: SpanType.AGENT });

// A fake, local judge model: scores how much of the question the answer addresses. A real app
// calls an LLM here with a grading prompt.
const JUDGE = "keyword-judge-v1";
function judgeScore(question, answer) {
  const words = [...new Set(question.split(/\s+/).map((w) => w.replace(/[?.,!]/g, "").toLowerCase()).filter((w) => w.length > 3))].sort();
  const hits = words.filter((w) => answer.toLowerCase().includes(w));
  const score = words.length ? Math.round((hits.length / words.length) * 100) / 100 : 0;
  return { score, rationale: `The answer mentions [${hits.join(", ")}] of the question's key words [${words.join(", ")}].` };
}

async function judge(traceId, question, answer) {
  const { score, rationale } = judgeScore(question, answer);
  await mlflow.logFeedback({ traceId, name: "relevance", value: score, rationale,
    source: { sourceType: AssessmentSourceType.LLM_JUDGE, sourceId: JUDGE } });
}

async function readJson(req) {
  let body = "";
  for await (const chunk of req) body += chunk;
  return body ? JSON.parse(body) : {};
}

const server = http.createServer(async (req, res) => {
  const reply = (payload, headers = {}) => {
    res.writeHead(200, { "content-type": "application/json", ...headers });
    res.end(JSON.stringify(payload));
  };
  const request = await readJson(req);
  if (req.method === "POST" && req.url === "/chat") {
    let traceId;
    const answer = await mlflow.withSpan(async (span) => {
      traceId = span.traceId;
      return chat(request.question);
    }, { name: "handle_chat", spanType: SpanType.CHAIN, inputs: { question: request.question } });
    await judge(traceId, request.question, answer);
    reply({ answer, traceId }, { "x-trace-id": traceId });
  } else if (req.method === "POST" && req.url === "/feedback") {
    const fb = await mlflow.logFeedback({
      traceId: request.traceId, name: "user_thumbs_up", value: Boolean(request.thumbsUp), rationale: request.comment,
      source: { sourceType: AssessmentSourceType.HUMAN, sourceId: request.user ?? "anonymous" },
    });
    reply({ assessmentId: fb.assessmentId });
  } else {
    res.writeHead(404);
    res.end();
  }
});

async function post(url, payload) {
  const res = await fetch(url, { method: "POST", body: JSON.stringify(payload), headers: { "content-type": "application/json" } });
  return { body: await res.json(), headers: res.headers };
}

async function demo(base) {
  const { body, headers } = await post(`${base}/chat`, { question: "What is tracing?" });
  const traceId = headers.get("x-trace-id");
  console.log(body.answer);
  await post(`${base}/feedback`, { traceId, thumbsUp: true, comment: "clear and short", user: "alice" });
  console.log(traceId);
  const trace = await mlflow.getTrace(traceId);
  for (const a of [...(trace?.info.assessments ?? [])].sort((x, y) => x.name.localeCompare(y.name))) {
    console.log(`${a.name}: ${JSON.stringify(a.feedback?.value ?? a.value)} from ${a.source.sourceType}/${a.source.sourceId}`);
  }
}

server.listen(0, "127.0.0.1", async () => {
  const base = `http://127.0.0.1:${server.address().port}`;
  if (!process.argv.includes("--demo")) {
    console.log(`listening on ${base}`);
    return;
  }
  try {
    await demo(base);
  } finally {
    server.close();
  }
});
