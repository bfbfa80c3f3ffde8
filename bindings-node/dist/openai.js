"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.chatResult = chatResult;
exports.responsesResult = responsesResult;
exports.tracedOpenAI = tracedOpenAI;
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
require("./index");
const llm_wrap_1 = require("./llm_wrap");
/** The resource's class name: `Completions`, `Embeddings`, `Responses` (as the Python spans). */
const className = (resource) => resource.constructor?.name || "OpenAI";
const isObj = (v) => typeof v === "object" && v !== null;
/**
 * What a Responses API result is recorded as: the response without the `output_text` the
 * client adds (a convenience, not part of the response; Python's spans do not have it).
 */
function recorded(value) {
    if (!isObj(value) || value.object !== "response" || !("output_text" in value))
        return value;
    const { output_text: _ignored, ...rest } = value;
    return rest;
}
function method(call, spanType, rebuild) {
    const onValue = (value, c) => {
        if ((0, llm_wrap_1.isClientStream)(value))
            (0, llm_wrap_1.tapStream)(value, c, rebuild);
        else
            c.succeed(recorded(value));
    };
    return { call, spanType, name: className, follow: (result, c) => (0, llm_wrap_1.followPromise)(result, c, onValue) };
}
/** The text of one chat chunk (parts of a content list joined). */
function chunkText(chunk) {
    const choices = chunk.choices;
    if (!Array.isArray(choices) || choices.length === 0)
        return "";
    const content = choices[0]?.delta?.content;
    if (Array.isArray(content)) {
        return content
            .filter((p) => isObj(p) && p.type === "text" && typeof p.text === "string")
            .map((p) => p.text)
            .join("");
    }
    return typeof content === "string" ? content : "";
}
/**
 * A streamed chat completion as one `chat.completion` (text, finish reason, ids, usage), as
 * MLflow rebuilds it; a legacy completion stream as its text.
 */
function chatResult(items) {
    const chunks = items.filter((c) => isObj(c) && (c.object === "text_completion" || c.object === "chat.completion.chunk"));
    if (chunks.length === 0)
        return null;
    if (chunks[0].object === "text_completion") {
        return chunks
            .map((c) => {
            const choices = c.choices;
            return Array.isArray(choices) && choices.length > 0 ? String(choices[0]?.text ?? "") : "";
        })
            .join("");
    }
    const last = chunks[chunks.length - 1];
    let finishReason = "stop";
    const lastChoices = last.choices;
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
function responsesResult(items) {
    if (items.length === 0)
        return null;
    const last = items[items.length - 1];
    if (isObj(last) && last.type === "response.completed")
        return last.response;
    return {
        output: items.filter((c) => isObj(c) && c.type === "response.output_item.done").map((c) => c.item),
    };
}
const CHAT = method("openai.chat", "CHAT_MODEL", chatResult);
const RESPONSES = method("openai.responses", "CHAT_MODEL", responsesResult);
/** Traced methods by their path from the client. */
const METHODS = {
    "chat.completions.create": CHAT,
    "chat.completions.parse": CHAT,
    "beta.chat.completions.parse": CHAT,
    "completions.create": method("openai.completion", "LLM", chatResult),
    "embeddings.create": method("openai.embedding", "EMBEDDING", () => null),
    "responses.create": RESPONSES,
    "responses.parse": RESPONSES,
};
const PREFIXES = (0, llm_wrap_1.prefixesOf)(METHODS);
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
function tracedOpenAI(client) {
    const c = client;
    if (typeof c !== "object" ||
        c === null ||
        (typeof c.chat?.completions?.create !== "function" && typeof c.embeddings?.create !== "function")) {
        (0, llm_wrap_1.warnOnce)("openai:shape", "ferrotrace: tracedOpenAI() expects an `openai` client (new OpenAI()); it is returned untraced");
        return client;
    }
    return (0, llm_wrap_1.wrapClient)(c, "", METHODS, PREFIXES);
}
