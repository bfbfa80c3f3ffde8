// tracedAnthropic with the real `@anthropic-ai/sdk` client against the fake provider server,
// exporting to a real MLflow server, read back with MLflow's client: messages.create (plain,
// tool use, streamed, failing) and messages.stream (read to the end, or aborted).
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";

import { CLIENTS, fakeLlm, onlySpan, readTraces } from "./llm_support.mjs";
import { mlflowServer, python, runApp, skip, uniqueName } from "./mlflow_support.mjs";

const APP = `${CLIENTS}
import { tracedAnthropic } from ${JSON.stringify(new URL("../../bindings-node/dist/anthropic.mjs", import.meta.url).href)};
mlflow.init({ trackingUri: process.argv[2], experimentName: process.argv[3] });
const client = tracedAnthropic(new Anthropic({ baseURL: process.argv[4], apiKey: "test", maxRetries: 0 }));
const MESSAGES = [{ role: "user", content: "What is six times seven?" }];
const TOOLS = [{ name: "get_weather", description: "Weather in a city",
  input_schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } }];
const ids = {};
const facts = {};
async function traced(name, fn) {
  facts[name] = await fn();
  ids[name] = mlflow.getLastActiveTraceId();
}
await traced("plain", async () => JSON.parse(JSON.stringify(await client.messages.create({ model: "claude-fake-1", max_tokens: 64, messages: MESSAGES }))));
await traced("tools", async () => (await client.messages.create({ model: "claude", max_tokens: 64, messages: MESSAGES, tools: TOOLS })).content[0]);
await traced("createStream", async () => {
  const stream = await client.messages.create({ model: "claude", max_tokens: 64, messages: MESSAGES, stream: true });
  const events = [];
  for await (const e of stream) events.push(e);
  return { n: events.length, outputTokens: events.at(-2).usage.output_tokens };
});
await traced("helper", async () => {
  const stream = client.messages.stream({ model: "claude", max_tokens: 64, messages: MESSAGES, tools: TOOLS });
  const final = await stream.finalMessage();
  return { type: final.content[0].type, isMessageStream: stream.constructor.name };
});
await traced("helperAbort", async () => {
  const stream = client.messages.stream({ model: "claude", max_tokens: 64, messages: MESSAGES });
  let n = 0;
  for await (const e of stream) if (++n === 2) break;
  await new Promise((r) => setTimeout(r, 50));
  return n;
});
for (const status of [400, 500]) {
  await traced("error" + status, async () => {
    try {
      await client.messages.create({ model: "error-" + status, max_tokens: 8, messages: MESSAGES });
      return "no error";
    } catch (e) {
      return { status: e.status, isApiError: e instanceof Anthropic.APIError, ctor: e.constructor.name };
    }
  });
}
const warnings = [];
const warn = console.warn;
console.warn = (m) => warnings.push(String(m));
facts.unsupported = { same: tracedAnthropic(MESSAGES) === MESSAGES && tracedAnthropic(null) === null, warnings };
console.warn = warn;
await mlflow.flushTraces();
console.log(JSON.stringify({ ids, facts }));
`;

const attr = (span, key) => span.attributes[key];

describe("tracedAnthropic on a real MLflow server", { skip }, () => {
  const serverUri = mlflowServer();
  const fakeUrl = fakeLlm();
  let facts;
  let traces;
  let ids;

  before(async () => {
    const { out } = await runApp(APP, [serverUri(), uniqueName("node-anthropic"), fakeUrl()]);
    ({ facts, ids } = out);
    traces = await readTraces(serverUri(), Object.values(ids));
  });
  const trace = (name) => traces[ids[name]];

  test("messages.create: MLflow's span, attributes and token usage; the message is the client's", () => {
    const msg = facts.plain;
    assert.equal(msg.content[0].text, "The answer is 42.");
    const span = onlySpan(trace("plain"));
    assert.equal(span.name, "Messages.create");
    assert.equal(span.span_type, "CHAT_MODEL");
    assert.deepEqual(span.inputs, { model: "claude-fake-1", max_tokens: 64, messages: [{ role: "user", content: "What is six times seven?" }] });
    assert.deepEqual(span.outputs, msg);
    assert.equal(attr(span, "mlflow.message.format"), "anthropic");
    assert.equal(attr(span, "mlflow.llm.model"), "claude-fake-1");
    assert.equal(attr(span, "mlflow.llm.provider"), "anthropic");
    const u = msg.usage;
    const usage = { input_tokens: u.input_tokens, output_tokens: u.output_tokens, total_tokens: u.input_tokens + u.output_tokens,
      cache_read_input_tokens: 0, cache_creation_input_tokens: 0 };
    assert.deepEqual(attr(span, "mlflow.chat.tokenUsage"), usage);
    assert.equal(JSON.parse(trace("plain").metadata["mlflow.trace.tokenUsage"]).total_tokens, usage.total_tokens);
  });

  test("tool use: the tools in MLflow's (OpenAI's) shape", () => {
    assert.deepEqual(facts.tools.input, { city: "x" });
    const span = onlySpan(trace("tools"));
    assert.deepEqual(attr(span, "mlflow.chat.tools"), [{ type: "function", function: { name: "get_weather", description: "Weather in a city",
      parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } } }]);
  });

  test("messages.create with stream: one event per chunk, the assembled message, its usage", () => {
    const span = onlySpan(trace("createStream"));
    assert.equal(span.events.filter((e) => e.name.startsWith("mlflow.chunk.item.")).length, facts.createStream.n);
    assert.equal(span.outputs.content[0].text, "The answer is 42.");
    assert.equal(span.outputs.stop_reason, "end_turn");
    assert.equal(attr(span, "mlflow.chat.tokenUsage").output_tokens, facts.createStream.outputTokens);
  });

  test("messages.stream: one span ending with the final message; aborted, with the message so far", () => {
    assert.deepEqual(facts.helper, { type: "tool_use", isMessageStream: "MessageStream" });
    const span = onlySpan(trace("helper"));
    assert.equal(span.name, "Messages.stream");
    assert.equal(span.span_type, "CHAT_MODEL");
    assert.deepEqual(span.outputs.content[0].input, { city: "x" });
    assert.ok(attr(span, "mlflow.chat.tokenUsage").output_tokens > 0);
    assert.equal(facts.helperAbort, 2);
    const aborted = onlySpan(trace("helperAbort"));
    assert.equal(aborted.status, "OK");
    assert.equal(aborted.outputs.id, "msg_fake");
  });

  test("API errors reach the caller as the client threw them; model and provider still set", () => {
    for (const status of [400, 500]) {
      assert.equal(facts["error" + status].status, status);
      assert.equal(facts["error" + status].isApiError, true);
      const span = onlySpan(trace("error" + status));
      assert.equal(span.status, "ERROR");
      assert.match(span.description, new RegExp(String(status)));
      assert.equal(attr(span, "mlflow.llm.model"), `error-${status}`);
      assert.equal(attr(span, "mlflow.llm.provider"), "anthropic");
    }
  });

  test("something that is not a client is returned as it is, with one warning", () => {
    assert.equal(facts.unsupported.same, true);
    assert.equal(facts.unsupported.warnings.length, 1);
    assert.match(facts.unsupported.warnings[0], /tracedAnthropic/);
  });
});

test("the addon's provider mapping is the one Python's binding exposes (same core code)", { skip }, async () => {
  const { native } = (await import("node:module")).createRequire(import.meta.url)("../../bindings-node/dist/native.js");
  const cases = [
    ["openai.chat", { model: "gpt-4o-mini", messages: [], temperature: 0, tools: [{ type: "function", function: { name: "f", parameters: {} } }] },
      { object: "chat.completion", model: "gpt-4o-mini-2024", usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5, prompt_tokens_details: { cached_tokens: 1 } } }],
    ["openai.responses", { model: "m", input: "x" }, { object: "response", model: "m", usage: { input_tokens: 1, output_tokens: 2, total_tokens: 3 } }],
    ["openai.embedding", { model: "e", input: ["a"] }, { object: "list", model: "e", usage: { prompt_tokens: 1, total_tokens: 1 } }],
    ["anthropic.messages", { model: "claude", max_tokens: 8, tools: [{ name: "t", input_schema: { type: "object" } }] },
      { usage: { input_tokens: 4, output_tokens: 2, cache_read_input_tokens: 3, cache_creation_input_tokens: 1 } }],
    ["anthropic.messages", { model: "claude" }, null],
  ];
  const js = cases.map(([call, i, o]) => JSON.parse(native.llmAttributes(call, JSON.stringify(i), o === null ? null : JSON.stringify(o))));
  const py = await python(
    "import json, sys\nfrom ferrotrace import _native\n" +
    "print(json.dumps([json.loads(_native.llm_attributes(c, json.dumps(i), None if o is None else json.dumps(o))) for c, i, o in json.loads(sys.argv[1])]))",
    [JSON.stringify(cases)],
  );
  assert.deepEqual(js, py);
  assert.equal(js[0].end["mlflow.llm.model"], "gpt-4o-mini-2024");
  assert.deepEqual(js[3].end["mlflow.chat.tokenUsage"], { input_tokens: 8, output_tokens: 2, total_tokens: 10,
    cache_read_input_tokens: 3, cache_creation_input_tokens: 1 });
  assert.throws(() => native.llmAttributes("nope", "{}"), /unknown provider call/);
});
