// A tool-calling chat model: the model (an OpenAI-style chat endpoint answered by a fake server
// in this process, on 127.0.0.1) is offered a tool, asks for it, the tool runs, and the model
// answers. The chat spans record the tools offered, the messages and the token usage, which the
// trace sums up.
//
// Mirrors: the "Tracing schema" section of MLflow's tracing docs on chat-model spans, in the
// TypeScript SDK's terms (`SpanType.CHAT_MODEL` / `TOOL`, the `mlflow.chat.tools` and
// `mlflow.chat.tokenUsage` attributes, `TraceInfo.tokenUsage`).
import * as http from "node:http";
import type { AddressInfo } from "node:net";

import * as mlflow from "ferrotrace";

mlflow.init({ trackingUri: process.env.MLFLOW_TRACKING_URI, experimentId: process.env.COMPAT_EXPERIMENT_ID });

interface Message {
  role: string;
  content: string | null;
  tool_calls?: Array<{ id: string; type: "function"; function: { name: string; arguments: string } }>;
  tool_call_id?: string;
}

const TOOLS = [
  {
    type: "function",
    function: {
      name: "get_weather",
      description: "Current weather of a city",
      parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
    },
  },
];

// The fake model: asks for the tool first, then answers with its result.
const model = http.createServer((req, res) => {
  let body = "";
  req.on("data", (d) => (body += d));
  req.on("end", () => {
    const messages = (JSON.parse(body) as { messages: Message[] }).messages;
    const last = messages[messages.length - 1];
    const message: Message =
      last.role === "tool"
        ? { role: "assistant", content: `It is ${last.content} in Paris.` }
        : {
            role: "assistant",
            content: null,
            tool_calls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }],
          };
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ choices: [{ message }], usage: { prompt_tokens: 20, completion_tokens: 7, total_tokens: 27 } }));
  });
});

async function chatModel(url: string, messages: Message[]): Promise<Message> {
  return mlflow.withSpan(
    async (span) => {
      span.setAttribute(mlflow.SpanAttributeKey.CHAT_TOOLS, TOOLS);
      const r = await fetch(url, { method: "POST", body: JSON.stringify({ model: "fake-gpt", messages, tools: TOOLS }) });
      const answer = (await r.json()) as { choices: Array<{ message: Message }>; usage: Record<string, number> };
      span.setAttribute(mlflow.SpanAttributeKey.TOKEN_USAGE, {
        [mlflow.TokenUsageKey.INPUT_TOKENS]: answer.usage.prompt_tokens,
        [mlflow.TokenUsageKey.OUTPUT_TOKENS]: answer.usage.completion_tokens,
        [mlflow.TokenUsageKey.TOTAL_TOKENS]: answer.usage.total_tokens,
      });
      span.setOutputs(answer.choices[0].message);
      return answer.choices[0].message;
    },
    { name: "chat_completion", spanType: mlflow.SpanType.CHAT_MODEL, inputs: { messages } },
  );
}

const getWeather = mlflow.trace((city: string) => (city === "Paris" ? "sunny" : "unknown"), {
  name: "get_weather",
  spanType: mlflow.SpanType.TOOL,
});

async function main(): Promise<void> {
  await new Promise<void>((resolve) => model.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(model.address() as AddressInfo).port}/v1/chat/completions`;

  const agent = mlflow.trace(
    async (question: string): Promise<string> => {
      const messages: Message[] = [{ role: "user", content: question }];
      const first = await chatModel(url, messages);
      messages.push(first);
      for (const call of first.tool_calls ?? []) {
        const args = JSON.parse(call.function.arguments) as { city: string };
        messages.push({ role: "tool", content: getWeather(args.city), tool_call_id: call.id });
      }
      const final = await chatModel(url, messages);
      return final.content ?? "";
    },
    { name: "weather_agent", spanType: mlflow.SpanType.AGENT },
  );

  console.log(await agent("What is the weather in Paris?"));
  const traceId = mlflow.getLastActiveTraceId()!;
  model.close();
  await mlflow.flushTraces();
  console.log(`COMPAT_TRACE_IDS ${JSON.stringify([traceId])}`);
}

void main();
