// A tool-calling agent on the real `openai` client, traced by tracedOpenAI. It starts a fake
// OpenAI-compatible server on 127.0.0.1 itself (no network, no API key), so it runs anywhere:
//
//   node examples/node/openai_agent.mjs
//
// The model asks for the `multiply` tool, the agent runs it and sends the result back, the model
// answers. One trace: the AGENT span, two CHAT_MODEL spans from tracedOpenAI (messages, tools,
// token usage) and the TOOL span between them. With no tracking server configured the trace
// goes to ./ferrotrace-traces (`npx ferrotrace traces show <id>`); set MLFLOW_TRACKING_URI to
// send it to MLflow.
//
// In an application: `import OpenAI from "openai"; import { tracedOpenAI } from "ferrotrace/openai";`
// (with MLflow's SDK: `from "mlflow-openai"`).
import { createRequire } from "node:module";

import * as mlflow from "../../bindings-node/dist/index.mjs";
import { tracedOpenAI } from "../../bindings-node/dist/openai.mjs";
import { startFakeOpenAI } from "./fake_openai.mjs";

// `openai` from the package's devDependencies (`make node` installs it).
const OpenAI = createRequire(new URL("../../bindings-node/package.json", import.meta.url))("openai").default;

const { SpanType } = mlflow;
const TOOLS = [{
  type: "function",
  function: {
    name: "multiply",
    description: "Multiply two integers",
    parameters: { type: "object", properties: { a: { type: "integer" }, b: { type: "integer" } }, required: ["a", "b"] },
  },
}];

const multiply = mlflow.trace(function multiply(a, b) {
  return a * b;
}, { spanType: SpanType.TOOL });

let client; // set below, once the fake server runs

const agent = mlflow.trace(async function agent(question) {
  const messages = [{ role: "user", content: question }];
  for (let turn = 0; turn < 4; turn++) { // a bounded loop: model -> tool -> model
    const reply = await client.chat.completions.create({ model: "gpt-4o-mini", messages, tools: TOOLS });
    const message = reply.choices[0].message;
    if (!message.tool_calls?.length) return message.content ?? "";
    messages.push(message);
    for (const call of message.tool_calls) {
      const { a, b } = JSON.parse(call.function.arguments);
      messages.push({ role: "tool", tool_call_id: call.id, content: String(multiply(a, b)) });
    }
  }
  return "no answer";
}, { spanType: SpanType.AGENT });

const server = await startFakeOpenAI();
try {
  client = tracedOpenAI(new OpenAI({ baseURL: server.baseURL, apiKey: "not-needed" }));
  console.log(await agent("What is 2 times 2?"));
} finally {
  await server.close();
}
await mlflow.flushTraces();
console.log(mlflow.getLastActiveTraceId());
