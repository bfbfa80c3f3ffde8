// A traced, tool-using agent service in Node: retrieval, an LLM call through the real `openai`
// client (traced by `tracedOpenAI`), a tool, user and session tracking, a secret that redaction
// keeps out of the trace, and sampling. The Node twin of agent_service.py.
//
// One command, which starts a local fake OpenAI-compatible server (no network, no API key), asks
// one question through the service and prints the answer and the trace id:
//
//   node examples/agent/agent_service.mjs --demo
//
// As a service: `OPENAI_BASE_URL=... node examples/agent/agent_service.mjs --port 8000`, then
// `POST /chat {"question": ..., "user": ..., "session": ...}` answers `{"answer", "trace_id"}`.
// With no MLFLOW_TRACKING_URI the traces go to ./ferrotrace-traces; `npx ferrotrace ui` shows them.
//
// Sampling: MLFLOW_TRACE_SAMPLING_RATIO=0.1 keeps one trace in ten, decided from the trace id;
// FERROTRACE_SAMPLING_KEEP_ERRORS=true keeps every failed one anyway.
//
// In an application: `import * as mlflow from "ferrotrace"; import { tracedOpenAI } from "ferrotrace/openai";`.
import * as http from "node:http";
import { createRequire } from "node:module";
import { parseArgs } from "node:util";

import * as mlflow from "../../bindings-node/dist/index.mjs";
import { tracedOpenAI } from "../../bindings-node/dist/openai.mjs";
import { startFakeOpenAI } from "../node/fake_openai.mjs";

// `openai` from the package's devDependencies (`make node` installs it).
const OpenAI = createRequire(new URL("../../bindings-node/package.json", import.meta.url))("openai").default;

const { SpanType } = mlflow;
const DOCS = [
  { id: "doc-1", text: "ferrotrace records each step of an agent as a span, natively." },
  { id: "doc-2", text: "Traces go to an MLflow server, an OTLP collector or a local store." },
];
const TOOLS = [{
  type: "function",
  function: {
    name: "count_words",
    description: "Count the words of a text",
    parameters: { type: "object", properties: { text: { type: "string" } }, required: ["text"] },
  },
}];

const retrieve = mlflow.trace(function retrieve(query) {
  const words = new Set(query.toLowerCase().split(/\s+/));
  const hits = DOCS.filter((d) => d.text.toLowerCase().split(/\s+/).some((w) => words.has(w)));
  return hits.length ? hits : DOCS.slice(0, 1);
}, { spanType: SpanType.RETRIEVER });

const countWords = mlflow.trace(function count_words(text) {
  return text.split(/\s+/).filter(Boolean).length;
}, { spanType: SpanType.TOOL });

let client; // the traced OpenAI client, made in main()

// `apiKey` is an argument of the traced call: the default redaction replaces it.
const answer = mlflow.trace(async function agent(question, user, session, apiKey) {
  // User and session, as MLflow's docs record them: searchable on the server.
  mlflow.updateCurrentTrace({ metadata: { "mlflow.trace.user": user, "mlflow.trace.session": session } });
  const context = retrieve(question).map((d) => d.text).join("\n");
  const messages = [
    { role: "system", content: `Answer from this context:\n${context}` },
    { role: "user", content: question },
  ];
  for (let turn = 0; turn < 3; turn++) { // model -> tool -> model, bounded
    const reply = await client.chat.completions.create({ model: "gpt-4o-mini", messages, tools: TOOLS });
    const message = reply.choices[0].message;
    if (!message.tool_calls?.length) return message.content ?? "";
    messages.push(message);
    for (const call of message.tool_calls) {
      const result = countWords(JSON.parse(call.function.arguments).text);
      messages.push({ role: "tool", tool_call_id: call.id, content: String(result) });
    }
  }
  return "no answer";
}, { spanType: SpanType.AGENT });

async function readJson(req) {
  let body = "";
  for await (const chunk of req) body += chunk;
  return body ? JSON.parse(body) : {};
}

function service() {
  return http.createServer(async (req, res) => {
    if (req.method !== "POST" || req.url !== "/chat") {
      res.writeHead(404).end();
      return;
    }
    const body = await readJson(req);
    const text = await answer(body.question, body.user ?? "anonymous", body.session ?? "default",
      process.env.DOWNSTREAM_API_KEY ?? "sk-demo-0123456789abcdef0123456789abcdef");
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ answer: text, trace_id: mlflow.getLastActiveTraceId() }));
  });
}

async function main() {
  const { values } = parseArgs({ options: {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "8000" },
    demo: { type: "boolean", default: false },
  } });
  const fake = values.demo ? await startFakeOpenAI() : null;
  client = tracedOpenAI(new OpenAI({
    baseURL: fake?.baseURL ?? process.env.OPENAI_BASE_URL,
    apiKey: process.env.OPENAI_API_KEY ?? "not-needed-by-the-fake",
  }));
  const server = service();
  await new Promise((resolve) => server.listen(values.demo ? 0 : Number(values.port), values.host, resolve));
  if (!values.demo) {
    console.log(`agent service on http://${values.host}:${server.address().port}`);
    return;
  }
  try {
    const res = await fetch(`http://127.0.0.1:${server.address().port}/chat`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ question: "How does ferrotrace record an agent?", user: "alice", session: "conversation-7" }),
    });
    const reply = await res.json();
    console.log(reply.answer);
    console.log(reply.trace_id);
  } finally {
    server.closeAllConnections();
    server.close();
    await fake.close();
  }
}

await main();
