/**
 * `tracedAnthropic(client)`: the official `@anthropic-ai/sdk` client, traced as MLflow's
 * `mlflow-anthropic` integration and ferrotrace's Python `ferrotrace.anthropic.autolog()` trace
 * it (the same spans for the same calls). The SDK is not a dependency: the client is recognised
 * by its shape.
 *
 * @example
 * ```ts
 * import Anthropic from "@anthropic-ai/sdk";
 * import { tracedAnthropic } from "ferrotrace/anthropic";
 * const client = tracedAnthropic(new Anthropic());
 * await client.messages.create({ model: "claude-sonnet-4-5", max_tokens: 100, messages: [{ role: "user", content: "hi" }] });
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

const CALL = "anthropic.messages";

/** `Messages.create`, `Messages.stream` (as the Python spans). */
const spanName = (resource: object, method: string): string => `${resource.constructor?.name || "Messages"}.${method}`;

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null;
const copy = (v: unknown): unknown => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)));

/** The message a stream of raw events describes (what `messages.create({stream: true})` returns). */
export function assemble(events: unknown[]): unknown {
  let message: Json = {};
  const partialJson = new Map<number, string>();
  const contentOf = (): Json[] => {
    if (!Array.isArray(message.content)) message.content = [];
    return message.content as Json[];
  };
  for (const event of events) {
    if (!isObj(event)) continue;
    const index = typeof event.index === "number" ? event.index : -1;
    switch (event.type) {
      case "message_start":
        message = isObj(event.message) ? (copy(event.message) as Json) : {};
        contentOf();
        break;
      case "content_block_start":
        contentOf().push(copy(event.content_block) as Json);
        break;
      case "content_block_delta": {
        const block = contentOf()[index];
        const delta = event.delta as Json | undefined;
        if (!isObj(block) || !isObj(delta)) break;
        if (delta.type === "text_delta") block.text = String(block.text ?? "") + String(delta.text ?? "");
        else if (delta.type === "input_json_delta")
          partialJson.set(index, (partialJson.get(index) ?? "") + String(delta.partial_json ?? ""));
        else if (delta.type === "thinking_delta")
          block.thinking = String(block.thinking ?? "") + String(delta.thinking ?? "");
        break;
      }
      case "content_block_stop":
        if (partialJson.has(index)) {
          const text = partialJson.get(index) || "{}";
          partialJson.delete(index);
          try {
            const block = contentOf()[index];
            if (isObj(block)) block.input = JSON.parse(text);
          } catch {
            // keep the block's input as it started
          }
        }
        break;
      case "message_delta": {
        if (isObj(event.delta)) {
          for (const [k, v] of Object.entries(event.delta)) if (v !== null && v !== undefined) message[k] = v;
        }
        if (!isObj(message.usage)) message.usage = {};
        const usage = message.usage as Json;
        if (isObj(event.usage)) {
          for (const [k, v] of Object.entries(event.usage)) if (v !== null && v !== undefined) usage[k] = v;
        }
        break;
      }
    }
  }
  return Object.keys(message).length > 0 ? message : null;
}

const CREATE: Method = {
  call: CALL,
  spanType: "CHAT_MODEL",
  name: spanName,
  follow: (result, call) =>
    followPromise(result, call, (value: unknown, c: ProviderCall) => {
      if (isClientStream(value)) tapStream(value, c, assemble);
      else c.succeed(value);
    }),
};

interface MessageStreamLike {
  _emit: (event: string, ...args: unknown[]) => unknown;
  currentMessage?: unknown;
}

/**
 * `messages.stream()` returns a `MessageStream` that runs by itself: the span follows its
 * events (on the object itself, adding no listener, so unhandled errors stay unhandled) and
 * ends with the final message, the error, or, when aborted, the message so far.
 */
function followMessageStream(result: unknown, call: ProviderCall): unknown {
  const stream = result as MessageStreamLike;
  const emit = typeof result === "object" && result !== null ? stream._emit : undefined;
  if (typeof emit !== "function") {
    warnOnce("anthropic:stream", "ferrotrace: messages.stream() returned an unknown object; its span ends now");
    call.succeed(undefined);
    return result;
  }
  const snapshot = (): unknown => {
    try {
      return stream.currentMessage;
    } catch {
      return undefined;
    }
  };
  stream._emit = function tracedEmit(this: unknown, event: string, ...args: unknown[]): unknown {
    if (!call.done) {
      if (event === "finalMessage") call.succeed(args[0]);
      else if (event === "error") call.fail(args[0]);
      else if (event === "abort" || event === "end") call.succeed(snapshot());
    }
    return emit.call(this, event, ...args);
  };
  return result;
}

const METHODS: Readonly<Record<string, Method>> = {
  "messages.create": CREATE,
  "messages.stream": { call: CALL, spanType: "CHAT_MODEL", name: spanName, follow: followMessageStream },
};
const PREFIXES = prefixesOf(METHODS);

/**
 * A traced view of an `@anthropic-ai/sdk` client: every `messages.create` (tool use,
 * `stream: true`) and `messages.stream` is one `CHAT_MODEL` span, with the request as inputs,
 * the message as outputs (a stream's assembled message), and `mlflow.message.format`,
 * `mlflow.chat.tools`, `mlflow.llm.model`, `mlflow.llm.provider` and `mlflow.chat.tokenUsage`.
 * Everything else is the client's own; results and errors are exactly the client's.
 * Something that is not an Anthropic client is returned as it is, with one warning.
 */
export function tracedAnthropic<T>(client: T): T {
  const c = client as { messages?: { create?: unknown } } | null;
  if (typeof c !== "object" || c === null || typeof c.messages?.create !== "function") {
    warnOnce(
      "anthropic:shape",
      "ferrotrace: tracedAnthropic() expects an `@anthropic-ai/sdk` client (new Anthropic()); it is returned untraced",
    );
    return client;
  }
  return wrapClient(c as object, "", METHODS, PREFIXES) as T;
}
