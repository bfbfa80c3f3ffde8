// ESM entry of `ferrotrace/anthropic`: the CommonJS build re-exported, so both share one tracer.
import cjs from "./anthropic.js";

export const { tracedAnthropic } = cjs;
export default cjs;
