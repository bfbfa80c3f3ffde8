// Copies the hand-written ESM entry next to the CommonJS build (tsc does not copy .mjs files).
const fs = require("node:fs");
const path = require("node:path");

const root = path.join(__dirname, "..");
fs.copyFileSync(path.join(root, "ts", "index.mjs"), path.join(root, "dist", "index.mjs"));
