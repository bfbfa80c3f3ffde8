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
import "./index";
/**
 * A streamed chat completion as one `chat.completion` (text, finish reason, ids, usage), as
 * MLflow rebuilds it; a legacy completion stream as its text.
 */
export declare function chatResult(items: unknown[]): unknown;
/** The final response of a Responses API stream; for one cut short, the items completed so far. */
export declare function responsesResult(items: unknown[]): unknown;
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
export declare function tracedOpenAI<T>(client: T): T;
