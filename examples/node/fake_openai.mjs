// A tiny fake OpenAI-compatible server on 127.0.0.1 for the examples (no network, no API key):
// `POST /v1/chat/completions` only. Given tools, and unless the last message is a tool result,
// the model asks for the first tool with arguments made from its schema; otherwise it answers
// (quoting the tool's result when there is one). Token counts are word counts.
import * as http from "node:http";

const words = (v) =>
  typeof v === "string" ? v.split(/\s+/).filter(Boolean).length
    : Array.isArray(v) ? v.reduce((n, x) => n + words(x), 0)
      : v && typeof v === "object" ? Object.values(v).reduce((n, x) => n + words(x), 0) : 0;

const SAMPLE = { integer: 2, number: 1.5, string: "ferrotrace records spans", boolean: true };

function chat(req) {
  const messages = req.messages ?? [];
  const last = messages.at(-1) ?? {};
  const tool = (req.tools ?? [])[0]?.function;
  let message;
  if (tool && last.role !== "tool") {
    const props = tool.parameters?.properties ?? {};
    const args = Object.fromEntries(Object.entries(props).map(([k, s]) => [k, SAMPLE[s.type] ?? null]));
    message = { role: "assistant", content: null, refusal: null,
      tool_calls: [{ id: "call_1", type: "function", function: { name: tool.name, arguments: JSON.stringify(args) } }] };
  } else {
    message = { role: "assistant", content: last.role === "tool" ? `The tool said ${last.content}.` : "The answer is 42.", refusal: null };
  }
  const prompt = words(messages);
  const completion = words(message.content ?? "") + (message.tool_calls ? 3 : 0);
  return {
    id: "chatcmpl-fake", object: "chat.completion", created: 1_700_000_000, model: req.model ?? "gpt-fake",
    choices: [{ index: 0, message, logprobs: null, finish_reason: message.tool_calls ? "tool_calls" : "stop" }],
    usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
    system_fingerprint: "fp_fake",
  };
}

/** Starts the server on a free port; resolves to `{ baseURL, close() }`. */
export async function startFakeOpenAI() {
  const server = http.createServer(async (req, res) => {
    let body = "";
    for await (const chunk of req) body += chunk;
    if (req.method !== "POST" || !req.url.endsWith("/chat/completions")) {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: "not found", type: "invalid_request_error" } }));
      return;
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(chat(JSON.parse(body || "{}"))));
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    baseURL: `http://127.0.0.1:${server.address().port}/v1`,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(resolve);
    }),
  };
}
