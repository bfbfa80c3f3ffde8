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
import "./index";
/** The message a stream of raw events describes (what `messages.create({stream: true})` returns). */
export declare function assemble(events: unknown[]): unknown;
/**
 * A traced view of an `@anthropic-ai/sdk` client: every `messages.create` (tool use,
 * `stream: true`) and `messages.stream` is one `CHAT_MODEL` span, with the request as inputs,
 * the message as outputs (a stream's assembled message), and `mlflow.message.format`,
 * `mlflow.chat.tools`, `mlflow.llm.model`, `mlflow.llm.provider` and `mlflow.chat.tokenUsage`.
 * Everything else is the client's own; results and errors are exactly the client's.
 * Something that is not an Anthropic client is returned as it is, with one warning.
 */
export declare function tracedAnthropic<T>(client: T): T;
