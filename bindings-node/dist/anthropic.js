"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.assemble = assemble;
exports.tracedAnthropic = tracedAnthropic;
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
require("./index");
const llm_wrap_1 = require("./llm_wrap");
const CALL = "anthropic.messages";
/** `Messages.create`, `Messages.stream` (as the Python spans). */
const spanName = (resource, method) => `${resource.constructor?.name || "Messages"}.${method}`;
const isObj = (v) => typeof v === "object" && v !== null;
const copy = (v) => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)));
/** The message a stream of raw events describes (what `messages.create({stream: true})` returns). */
function assemble(events) {
    let message = {};
    const partialJson = new Map();
    const contentOf = () => {
        if (!Array.isArray(message.content))
            message.content = [];
        return message.content;
    };
    for (const event of events) {
        if (!isObj(event))
            continue;
        const index = typeof event.index === "number" ? event.index : -1;
        switch (event.type) {
            case "message_start":
                message = isObj(event.message) ? copy(event.message) : {};
                contentOf();
                break;
            case "content_block_start":
                contentOf().push(copy(event.content_block));
                break;
            case "content_block_delta": {
                const block = contentOf()[index];
                const delta = event.delta;
                if (!isObj(block) || !isObj(delta))
                    break;
                if (delta.type === "text_delta")
                    block.text = String(block.text ?? "") + String(delta.text ?? "");
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
                        if (isObj(block))
                            block.input = JSON.parse(text);
                    }
                    catch {
                        // keep the block's input as it started
                    }
                }
                break;
            case "message_delta": {
                if (isObj(event.delta)) {
                    for (const [k, v] of Object.entries(event.delta))
                        if (v !== null && v !== undefined)
                            message[k] = v;
                }
                if (!isObj(message.usage))
                    message.usage = {};
                const usage = message.usage;
                if (isObj(event.usage)) {
                    for (const [k, v] of Object.entries(event.usage))
                        if (v !== null && v !== undefined)
                            usage[k] = v;
                }
                break;
            }
        }
    }
    return Object.keys(message).length > 0 ? message : null;
}
const CREATE = {
    call: CALL,
    spanType: "CHAT_MODEL",
    name: spanName,
    follow: (result, call) => (0, llm_wrap_1.followPromise)(result, call, (value, c) => {
        if ((0, llm_wrap_1.isClientStream)(value))
            (0, llm_wrap_1.tapStream)(value, c, assemble);
        else
            c.succeed(value);
    }),
};
/**
 * `messages.stream()` returns a `MessageStream` that runs by itself: the span follows its
 * events (on the object itself, adding no listener, so unhandled errors stay unhandled) and
 * ends with the final message, the error, or, when aborted, the message so far.
 */
function followMessageStream(result, call) {
    const stream = result;
    const emit = typeof result === "object" && result !== null ? stream._emit : undefined;
    if (typeof emit !== "function") {
        (0, llm_wrap_1.warnOnce)("anthropic:stream", "ferrotrace: messages.stream() returned an unknown object; its span ends now");
        call.succeed(undefined);
        return result;
    }
    const snapshot = () => {
        try {
            return stream.currentMessage;
        }
        catch {
            return undefined;
        }
    };
    stream._emit = function tracedEmit(event, ...args) {
        if (!call.done) {
            if (event === "finalMessage")
                call.succeed(args[0]);
            else if (event === "error")
                call.fail(args[0]);
            else if (event === "abort" || event === "end")
                call.succeed(snapshot());
        }
        return emit.call(this, event, ...args);
    };
    return result;
}
const METHODS = {
    "messages.create": CREATE,
    "messages.stream": { call: CALL, spanType: "CHAT_MODEL", name: spanName, follow: followMessageStream },
};
const PREFIXES = (0, llm_wrap_1.prefixesOf)(METHODS);
/**
 * A traced view of an `@anthropic-ai/sdk` client: every `messages.create` (tool use,
 * `stream: true`) and `messages.stream` is one `CHAT_MODEL` span, with the request as inputs,
 * the message as outputs (a stream's assembled message), and `mlflow.message.format`,
 * `mlflow.chat.tools`, `mlflow.llm.model`, `mlflow.llm.provider` and `mlflow.chat.tokenUsage`.
 * Everything else is the client's own; results and errors are exactly the client's.
 * Something that is not an Anthropic client is returned as it is, with one warning.
 */
function tracedAnthropic(client) {
    const c = client;
    if (typeof c !== "object" || c === null || typeof c.messages?.create !== "function") {
        (0, llm_wrap_1.warnOnce)("anthropic:shape", "ferrotrace: tracedAnthropic() expects an `@anthropic-ai/sdk` client (new Anthropic()); it is returned untraced");
        return client;
    }
    return (0, llm_wrap_1.wrapClient)(c, "", METHODS, PREFIXES);
}
