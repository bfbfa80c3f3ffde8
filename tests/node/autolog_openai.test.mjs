// tracedOpenAI with the real `openai` client against the fake provider server, exporting to a
// real MLflow server, read back with MLflow's client: span names, types, inputs, outputs,
// attributes, token usage, stream chunks, errors; the client's results and errors untouched;
// streams left early or aborted still end their span.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { before, describe, test } from "node:test";

import { PKG } from "./helpers.mjs";
import { CLIENTS, fakeLlm, onlySpan, readTraces } from "./llm_support.mjs";
import { mlflowServer, runApp, skip, uniqueName } from "./mlflow_support.mjs";

const APP = `${CLIENTS}
mlflow.init({ trackingUri: process.argv[2], experimentName: process.argv[3] });
const client = mlflow.tracedOpenAI(new OpenAI({ baseURL: process.argv[4] + "/v1", apiKey: "test", maxRetries: 0 }));
const MESSAGES = [{ role: "user", content: "What is six times seven?" }];
const TOOLS = [{ type: "function", function: { name: "add", description: "Add two numbers",
  parameters: { type: "object", properties: { a: { type: "integer" }, b: { type: "integer" } }, required: ["a", "b"] } } }];
const ids = {};
const facts = {};
async function traced(name, fn) {
  facts[name] = await fn();
  ids[name] = mlflow.getLastActiveTraceId();
}
await traced("plain", async () => {
  const r = await client.chat.completions.create({ model: "gpt-4o-mini", messages: MESSAGES, temperature: 0.2 });
  return { result: JSON.parse(JSON.stringify(r)), hasRequestId: "_request_id" in r };
});
await traced("tools", async () => (await client.chat.completions.create({ model: "gpt-4o-mini", messages: MESSAGES, tools: TOOLS })).choices[0].message);
for (const [name, extra] of [["stream", {}], ["streamUsage", { stream_options: { include_usage: true } }]]) {
  await traced(name, async () => {
    const stream = await client.chat.completions.create({ model: "gpt-4o-mini", messages: MESSAGES, stream: true, ...extra });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? "";
    return { text, isStream: stream.constructor.name };
  });
}
await traced("streamBreak", async () => {
  const stream = await client.chat.completions.create({ model: "gpt-4o-mini", messages: MESSAGES, stream: true });
  let n = 0;
  for await (const chunk of stream) if (++n === 2) break;
  return n;
});
await traced("streamAbort", async () => {
  const stream = await client.chat.completions.create({ model: "gpt-4o-mini", messages: MESSAGES, stream: true });
  const it = stream[Symbol.asyncIterator]();
  await it.next();
  stream.controller.abort(); // and never read again: the abort ends the span
  return stream.controller.signal.aborted;
});
await traced("parse", async () => {
  const r = await client.chat.completions.parse({ model: "gpt-4o-mini", messages: MESSAGES,
    response_format: { type: "json_schema", json_schema: { name: "answer", strict: true,
      schema: { type: "object", properties: { value: { type: "integer" } }, required: ["value"], additionalProperties: false } } } });
  return r.choices[0].message.parsed;
});
await traced("responses", async () => (await client.responses.create({ model: "gpt-4o-mini", input: "What is six times seven?" })).output_text);
await traced("responsesStream", async () => {
  const events = [];
  for await (const e of await client.responses.create({ model: "gpt-4o-mini", input: "What is six times seven?", stream: true })) events.push(e.type);
  return events.at(-1);
});
await traced("embeddings", async () => (await client.embeddings.create({ model: "text-embedding-3-small", input: ["a b", "c"], encoding_format: "float" })).data.length);
await traced("error", async () => {
  try {
    await client.chat.completions.create({ model: "error-400", messages: MESSAGES });
    return "no error";
  } catch (e) {
    return { isBadRequest: e instanceof OpenAI.BadRequestError, status: e.status };
  }
});
await traced("withResponse", async () => {
  const { data, response } = await client.chat.completions.create({ model: "gpt-4o-mini", messages: MESSAGES }).withResponse();
  return { content: data.choices[0].message.content, status: response.status };
});
await traced("withOptions", async () => (await client.withOptions({ timeout: 30_000 }).embeddings.create({ model: "m", input: "x", encoding_format: "float" })).model);
await traced("nested", async () => mlflow.withSpan(async () => {
  const r = await client.chat.completions.create({ model: "gpt-4o-mini", messages: MESSAGES });
  return r.choices[0].message.content;
}, { name: "agent", spanType: "AGENT" }));
// Dropped unread: a promise never awaited and a stream never iterated end their spans once collected.
const v8 = await import("node:v8");
const vm = await import("node:vm");
v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc");
async function collected() {
  for (let i = 0; i < 20; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 50));
  }
  return mlflow.getLastActiveTraceId();
}
facts.beforeDropped = mlflow.getLastActiveTraceId();
(() => {
  client.chat.completions.create({ model: "gpt-4o-mini", messages: MESSAGES });
})();
await new Promise((r) => setTimeout(r, 300)); // the answer arrives, unread
ids.droppedPromise = await collected();
await (async () => {
  await client.chat.completions.create({ model: "gpt-4o-mini", messages: MESSAGES, stream: true });
})();
ids.droppedStream = await collected();
const warnings = [];
const warn = console.warn;
console.warn = (m) => warnings.push(String(m));
const notAClient = { hello: 1 };
facts.unsupported = { same: mlflow.tracedOpenAI(notAClient) === notAClient && mlflow.tracedOpenAI(5) === 5, warnings };
console.warn = warn;
facts.untouched = client.baseURL === process.argv[4] + "/v1" && client instanceof OpenAI;
await mlflow.flushTraces();
console.log(JSON.stringify({ ids, facts }));
`;

const attr = (span, key) => span.attributes[key];

describe("tracedOpenAI on a real MLflow server", { skip }, () => {
  const serverUri = mlflowServer();
  const fakeUrl = fakeLlm();
  let facts;
  let traces;
  let ids;

  before(async () => {
    const { out } = await runApp(APP, [serverUri(), uniqueName("node-openai"), fakeUrl()]);
    ({ facts, ids } = out);
    traces = await readTraces(serverUri(), Object.values(ids));
  });
  const trace = (name) => traces[ids[name]];

  test("a chat completion: MLflow's span, attributes and trace token usage; the result is the client's", () => {
    const span = onlySpan(trace("plain"));
    const result = facts.plain.result;
    assert.equal(result.choices[0].message.content, "The answer is 42.");
    assert.equal(facts.plain.hasRequestId, true);
    assert.equal(span.name, "Completions");
    assert.equal(span.span_type, "CHAT_MODEL");
    assert.equal(span.status, "OK");
    assert.deepEqual(span.inputs, { model: "gpt-4o-mini", messages: [{ role: "user", content: "What is six times seven?" }], temperature: 0.2 });
    assert.deepEqual(span.outputs, result);
    assert.equal(attr(span, "temperature"), 0.2);
    assert.equal(attr(span, "model"), "gpt-4o-mini");
    assert.equal(attr(span, "mlflow.message.format"), "openai");
    assert.equal(attr(span, "mlflow.llm.model"), "gpt-4o-mini");
    const u = result.usage;
    const usage = { input_tokens: u.prompt_tokens, output_tokens: u.completion_tokens, total_tokens: u.total_tokens };
    assert.deepEqual(attr(span, "mlflow.chat.tokenUsage"), usage);
    assert.deepEqual(JSON.parse(trace("plain").metadata["mlflow.trace.tokenUsage"]), usage);
  });

  test("tools: mlflow.chat.tools, and the tool call in the outputs", () => {
    const span = onlySpan(trace("tools"));
    assert.equal(facts.tools.tool_calls[0].function.name, "add");
    assert.deepEqual(attr(span, "mlflow.chat.tools")[0].function.name, "add");
    assert.equal(span.outputs.choices[0].message.tool_calls[0].function.name, "add");
  });

  test("streams: one event per chunk, the rebuilt completion as outputs, usage only when included", () => {
    assert.equal(facts.stream.text, "The answer is 42.");
    assert.equal(facts.stream.isStream, "Stream");
    const plain = onlySpan(trace("stream"));
    assert.equal(plain.outputs.choices[0].message.content, "The answer is 42.");
    assert.equal(plain.outputs.object, "chat.completion");
    assert.ok(plain.events.length >= 5);
    assert.equal(plain.events[0].name, "mlflow.chunk.item.0");
    assert.equal(JSON.parse(plain.events[0].attributes["mlflow.chunk.value"]).object, "chat.completion.chunk");
    assert.equal(attr(plain, "mlflow.chat.tokenUsage"), undefined);
    const withUsage = onlySpan(trace("streamUsage"));
    assert.equal(attr(withUsage, "stream_options").include_usage, true);
    assert.equal(attr(withUsage, "mlflow.chat.tokenUsage").total_tokens, withUsage.outputs.usage.total_tokens);
  });

  test("a stream left early (break) or aborted still ends its span, with what was read", () => {
    assert.equal(facts.streamBreak, 2);
    const left = onlySpan(trace("streamBreak"));
    assert.equal(left.status, "OK");
    assert.equal(left.events.length, 2);
    assert.equal(left.outputs.choices[0].message.content, "The");
    assert.equal(facts.streamAbort, true);
    const aborted = onlySpan(trace("streamAbort"));
    assert.equal(aborted.events.length, 1);
    assert.equal(trace("streamAbort").state, "OK");
  });

  test("parse: the parsed message in the outputs", () => {
    assert.deepEqual(facts.parse, { value: 2 });
    const span = onlySpan(trace("parse"));
    assert.equal(span.name, "Completions");
    assert.deepEqual(span.outputs.choices[0].message.parsed, { value: 2 });
  });

  test("responses.create, plain and streamed", () => {
    const plain = onlySpan(trace("responses"));
    assert.equal(plain.name, "Responses");
    assert.equal(plain.span_type, "CHAT_MODEL");
    assert.equal(plain.outputs.object, "response");
    assert.ok(attr(plain, "mlflow.chat.tokenUsage").total_tokens > 0);
    assert.equal(facts.responsesStream, "response.completed");
    const streamed = onlySpan(trace("responsesStream"));
    assert.equal(streamed.outputs.object, "response");
    assert.deepEqual(attr(streamed, "mlflow.chat.tokenUsage"), attr(plain, "mlflow.chat.tokenUsage"));
  });

  test("embeddings.create is an EMBEDDING span", () => {
    assert.equal(facts.embeddings, 2);
    const span = onlySpan(trace("embeddings"));
    assert.equal(span.name, "Embeddings");
    assert.equal(span.span_type, "EMBEDDING");
    assert.equal(attr(span, "mlflow.message.format"), undefined);
    assert.equal(span.outputs.data.length, 2);
  });

  test("an API error reaches the caller as the client threw it; the span records it as MLflow does", () => {
    assert.deepEqual(facts.error, { isBadRequest: true, status: 400 });
    const span = onlySpan(trace("error"));
    assert.equal(span.status, "ERROR");
    assert.equal(span.description, "");
    assert.equal(span.events[0].name, "exception");
    assert.match(span.events[0].attributes["exception.message"], /400/);
    assert.equal(span.outputs, null);
  });

  test("withResponse() still gives the data and the raw response", () => {
    assert.deepEqual(facts.withResponse, { content: "The answer is 42.", status: 200 });
    assert.equal(onlySpan(trace("withResponse")).outputs.choices[0].message.content, "The answer is 42.");
  });

  test("a client made by withOptions() is traced too", () => {
    assert.equal(facts.withOptions, "m");
    assert.equal(onlySpan(trace("withOptions")).name, "Embeddings");
  });

  test("a call inside a traced function is its child", () => {
    const spans = trace("nested").spans;
    assert.deepEqual(spans.map((s) => s.name).sort(), ["Completions", "agent"]);
    const agent = spans.find((s) => s.name === "agent");
    assert.equal(spans.find((s) => s.name === "Completions").parent_id, agent.span_id);
    assert.equal(agent.outputs, "The answer is 42.");
  });

  test("a call's promise never awaited and a stream never read end their spans once collected", () => {
    assert.notEqual(ids.droppedPromise, facts.beforeDropped);
    assert.notEqual(ids.droppedStream, ids.droppedPromise);
    for (const name of ["droppedPromise", "droppedStream"]) {
      const span = onlySpan(trace(name));
      assert.equal(span.name, "Completions");
      assert.equal(span.status, "OK");
      assert.equal(span.outputs, null);
    }
  });

  test("something that is not a client is returned as it is, with one warning", () => {
    assert.equal(facts.unsupported.same, true);
    assert.equal(facts.unsupported.warnings.length, 1);
    assert.match(facts.unsupported.warnings[0], /tracedOpenAI/);
    assert.equal(facts.untouched, true);
  });
});

test("require('ferrotrace') and its subpaths load neither openai nor @anthropic-ai/sdk", () => {
  const code = `
    const a = require("ferrotrace"); const o = require("ferrotrace/openai"); const n = require("ferrotrace/anthropic");
    const loaded = Object.keys(require.cache).filter((k) => /node_modules\\/(openai|@anthropic-ai)\\//.test(k));
    console.log(JSON.stringify({ loaded, same: a.tracedOpenAI === o.tracedOpenAI && a.tracedAnthropic === n.tracedAnthropic }));`;
  const r = spawnSync(process.execPath, ["-e", code], { cwd: PKG, encoding: "utf8", env: { ...process.env, FERROTRACE_DESTINATION: "memory" } });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout.trim().split("\n").at(-1)), { loaded: [], same: true });
});
