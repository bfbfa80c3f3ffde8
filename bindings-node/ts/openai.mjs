// ESM entry of `ferrotrace/openai`: the CommonJS build re-exported, so both share one tracer.
import cjs from "./openai.js";

export const { tracedOpenAI } = cjs;
export default cjs;
