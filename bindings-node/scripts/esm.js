// Copies the hand-written ESM entries next to the CommonJS build (tsc does not copy .mjs files).
const fs = require("node:fs");
const path = require("node:path");

const root = path.join(__dirname, "..");
for (const name of ["index.mjs", "openai.mjs", "anthropic.mjs"]) {
  fs.copyFileSync(path.join(root, "ts", name), path.join(root, "dist", name));
}
