// Conformance of the wrapped LLM clients in JavaScript; its twin is llm_calls.py.
import { createRequire } from "node:module";

import * as mlflow from "../../bindings-node/dist/index.mjs";
import { tracedAnthropic } from "../../bindings-node/dist/anthropic.mjs";
import { tracedOpenAI } from "../../bindings-node/dist/openai.mjs";

const requireHere = createRequire(new URL("../../bindings-node/package.json", import.meta.url));
const OpenAI = requireHere("openai").default;
const Anthropic = requireHere("@anthropic-ai/sdk").default;

const URL_ = process.env.FAKE_LLM_URL;
const oa = tracedOpenAI(new OpenAI({ baseURL: URL_ + "/v1", apiKey: "test", maxRetries: 0 }));
const an = tracedAnthropic(new Anthropic({ baseURL: URL_, apiKey: "test", maxRetries: 0 }));
const MESSAGES = [{ role: "user", content: "What is six times seven?" }];
const TOOLS = [{ type: "function", function: { name: "add", description: "Add two numbers", parameters: {
  type: "object", properties: { a: { type: "integer" }, b: { type: "integer" } }, required: ["a", "b"] } } }];
const A_TOOLS = [{ name: "get_weather", description: "Weather in a city", input_schema: {
  type: "object", properties: { city: { type: "string" } }, required: ["city"] } }];

const llmCalls = mlflow.trace(async function llm_calls() {
  await oa.chat.completions.create({ model: "gpt-4o-mini", messages: MESSAGES, temperature: 0.2 });
  await oa.chat.completions.create({ model: "gpt-4o-mini", messages: MESSAGES, tools: TOOLS });
  for await (const _ of await oa.chat.completions.create({ model: "gpt-4o-mini", messages: MESSAGES, stream: true }));
  for await (const _ of await oa.chat.completions.create({ model: "gpt-4o-mini", messages: MESSAGES, stream: true,
    stream_options: { include_usage: true } }));
  await oa.responses.create({ model: "gpt-4o-mini", input: "What is six times seven?" });
  for await (const _ of await oa.responses.create({ model: "gpt-4o-mini", input: "What is six times seven?", stream: true }));
  await oa.embeddings.create({ model: "text-embedding-3-small", input: ["a b", "c"], encoding_format: "float" });
  try {
    await oa.chat.completions.create({ model: "error-400", messages: MESSAGES });
  } catch (e) {
    if (!(e instanceof OpenAI.BadRequestError)) throw e;
  }
  await an.messages.create({ model: "claude-fake-1", max_tokens: 64, messages: MESSAGES });
  await an.messages.create({ model: "claude-fake-1", max_tokens: 64, messages: MESSAGES, tools: A_TOOLS });
  for await (const _ of await an.messages.create({ model: "claude-fake-1", max_tokens: 64, messages: MESSAGES, stream: true }));
  await an.messages.stream({ model: "claude-fake-1", max_tokens: 64, messages: MESSAGES, tools: A_TOOLS }).finalMessage();
  try {
    await an.messages.create({ model: "error-500", max_tokens: 8, messages: MESSAGES });
  } catch (e) {
    if (!(e instanceof Anthropic.InternalServerError)) throw e;
  }
  return "done";
}, { spanType: "AGENT" });

await llmCalls();
await mlflow.flushTraces();
