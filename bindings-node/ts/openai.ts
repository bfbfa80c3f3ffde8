/**
 * `tracedOpenAI(client)`: the official `openai` client, traced as MLflow's `mlflow-openai`
 * integration and ferrotrace's Python `ferrotrace.openai.autolog()` trace it (the same spans for
 * the same calls). `openai` is not a dependency: the client is recognised by its shape.
 *
 * @example
 * ```ts
 * import OpenAI from "openai";
 * import { tracedOpenAI } from "ferrotrace/openai";
 * const client = tracedOpenAI(new OpenAI());
 * await client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] });
 * ```
 */
// The tracer set up as `require("ferrotrace")` sets it up, when only this subpath is loaded.
import "./index";
import {
  followPromise,
  isClientStream,
  prefixesOf,
  tapStream,
  warnOnce,
  wrapClient,
  type Method,
  type ProviderCall,
} from "./llm_wrap";

/** The resource's class name: `Completions`, `Embeddings`, `Responses` (as the Python spans). */
const className = (resource: object): string => resource.constructor?.name || "OpenAI";

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null;

/**
 * What a Responses API result is recorded as: the response without the `output_text` the
 * client adds (a convenience, not part of the response; Python's spans do not have it).
 */
function recorded(value: unknown): unknown {
  if (!isObj(value) || value.object !== "response" || !("output_text" in value)) return value;
  const { output_text: _ignored, ...rest } = value;
  return rest;
}

function method(call: string, spanType: string, rebuild: (items: unknown[]) => unknown): Method {
  const onValue = (value: unknown, c: ProviderCall): void => {
    if (isClientStream(value)) tapStream(value, c, rebuild);
    else c.succeed(recorded(value));
  };
  return { call, spanType, name: className, follow: (result, c) => followPromise(result, c, onValue) };
}

/** The text of one chat chunk (parts of a content list joined). */
function chunkText(chunk: Json): string {
  const choices = chunk.choices as Json[] | undefined;
  if (!Array.isArray(choices) || choices.length === 0) return "";
  const content = (choices[0]?.delta as Json | undefined)?.content;
  if (Array.isArray(content)) {
    return content
      .filter((p): p is Json => isObj(p) && p.type === "text" && typeof p.text === "string")
      .map((p) => p.text as string)
      .join("");
  }
  return typeof content === "string" ? content : "";
}

/**
 * A streamed chat completion as one `chat.completion` (text, finish reason, ids, usage), as
 * MLflow rebuilds it; a legacy completion stream as its text.
 */
export function chatResult(items: unknown[]): unknown {
  const chunks = items.filter(
    (c): c is Json => isObj(c) && (c.object === "text_completion" || c.object === "chat.completion.chunk"),
  );
  if (chunks.length === 0) return null;
  if (chunks[0].object === "text_completion") {
    return chunks
      .map((c) => {
        const choices = c.choices as Json[] | undefined;
        return Array.isArray(choices) && choices.length > 0 ? String(choices[0]?.text ?? "") : "";
      })
      .join("");
  }
  const last = chunks[chunks.length - 1];
  let finishReason: unknown = "stop";
  const lastChoices = last.choices as Json[] | undefined;
  if (Array.isArray(lastChoices) && lastChoices.length > 0 && lastChoices[0]) {
    finishReason = lastChoices[0].finish_reason || finishReason;
  }
  return {
    id: last.id,
    choices: [{ index: 0, message: { role: "assistant", content: chunks.map(chunkText).join("") }, finish_reason: finishReason }],
    created: last.created,
    model: last.model,
    object: "chat.completion",
    system_fingerprint: last.system_fingerprint,
    usage: last.usage ?? null,
  };
}

/** The final response of a Responses API stream; for one cut short, the items completed so far. */
export function responsesResult(items: unknown[]): unknown {
  if (items.length === 0) return null;
  const last = items[items.length - 1];
  if (isObj(last) && last.type === "response.completed") return last.response;
  return {
    output: items.filter((c): c is Json => isObj(c) && c.type === "response.output_item.done").map((c) => c.item),
  };
}

const CHAT = method("openai.chat", "CHAT_MODEL", chatResult);
const RESPONSES = method("openai.responses", "CHAT_MODEL", responsesResult);

/** Traced methods by their path from the client. */
const METHODS: Readonly<Record<string, Method>> = {
  "chat.completions.create": CHAT,
  "chat.completions.parse": CHAT,
  "beta.chat.completions.parse": CHAT,
  "completions.create": method("openai.completion", "LLM", chatResult),
  "embeddings.create": method("openai.embedding", "EMBEDDING", () => null),
  "responses.create": RESPONSES,
  "responses.parse": RESPONSES,
};
const PREFIXES = prefixesOf(METHODS);

/**
 * A traced view of an `openai` client (`new OpenAI()`, `new AzureOpenAI()`): every
 * `chat.completions.create` / `parse` (tools, streams with or without
 * `stream_options.include_usage`), legacy `completions.create`, `embeddings.create` and
 * `responses.create` / `parse` (plain and streamed) is one span, with MLflow's span type, the
 * request as inputs, the result as outputs, and `mlflow.llm.model`, `mlflow.chat.tokenUsage`,
 * `mlflow.chat.tools`, `mlflow.message.format` and the request parameters as attributes.
 * Everything else is the client's own; results and errors are exactly the client's.
 * Something that is not an OpenAI client is returned as it is, with one warning.
 */
export function tracedOpenAI<T>(client: T): T {
  const c = client as { chat?: { completions?: { create?: unknown } }; embeddings?: { create?: unknown } } | null;
  if (
    typeof c !== "object" ||
    c === null ||
    (typeof c.chat?.completions?.create !== "function" && typeof c.embeddings?.create !== "function")
  ) {
    warnOnce("openai:shape", "ferrotrace: tracedOpenAI() expects an `openai` client (new OpenAI()); it is returned untraced");
    return client;
  }
  return wrapClient(c as object, "", METHODS, PREFIXES) as T;
}
