#!/usr/bin/env node
// Builds the native addon from source with cargo and copies it to `<package>/ferrotrace.node`,
// where dist/native.js loads it. Run by npm at install time and by `npm run build`.
//
//   node scripts/build.js            release build (what users get)
//   node scripts/build.js --debug    faster unoptimised build, for development
//
// FERROTRACE_SKIP_BUILD=1 skips it (e.g. when FERROTRACE_NODE_ADDON points at a prebuilt file).
"use strict";
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const root = path.join(__dirname, "..");
const debug = process.argv.includes("--debug");

if (process.env.FERROTRACE_SKIP_BUILD === "1") {
  console.error("ferrotrace: FERROTRACE_SKIP_BUILD=1, not building the native addon");
  process.exit(0);
}

// Installed from the registry: the prebuilt addon for this platform came as an optional
// dependency (napi-rs's per-platform layout), so there is nothing to build.
const prebuilt = process.platform === "linux" && process.arch === "x64" ? "ferrotrace-linux-x64-gnu" : null;
if (prebuilt && process.env.FERROTRACE_BUILD_FROM_SOURCE !== "1") {
  try {
    require.resolve(prebuilt, { paths: [root] });
    console.error(`ferrotrace: using the prebuilt addon from ${prebuilt}`);
    process.exit(0);
  } catch {
    // not installed: build from source below
  }
}
if (!fs.existsSync(path.join(root, "..", "core", "Cargo.toml"))) {
  console.error(
    "ferrotrace: no prebuilt addon for this platform, and this copy is not inside the ferrotrace " +
      "repository, so it cannot be built from source. Install from a checkout: npm install <repo>/bindings-node",
  );
  process.exit(1);
}

const cargo = process.env.CARGO || "cargo";
const args = ["build", "-p", "ferrotrace-node", "--message-format=json-render-diagnostics"];
if (!debug) args.push("--release");
console.error(`ferrotrace: building the native addon: ${cargo} ${args.join(" ")}`);
// stdout carries cargo's JSON messages (parsed below); progress and errors go to stderr.
const res = spawnSync(cargo, args, {
  cwd: root,
  stdio: ["ignore", "pipe", "inherit"],
  maxBuffer: 256 * 1024 * 1024,
  encoding: "utf8",
});
if (res.error) {
  console.error(
    `ferrotrace: could not run ${cargo} (${res.error.message}). Building from source needs a ` +
      "Rust toolchain (https://rustup.rs) and this folder inside the ferrotrace repository.",
  );
  process.exit(1);
}
if (res.status !== 0) {
  console.error(`ferrotrace: cargo failed (exit ${res.status}); see the messages above.`);
  process.exit(res.status || 1);
}

// Ask cargo where the library went instead of guessing the target directory and triple.
let built = null;
for (const line of res.stdout.split("\n")) {
  if (!line.startsWith("{")) continue;
  let msg;
  try {
    msg = JSON.parse(line);
  } catch {
    continue;
  }
  if (msg.reason === "compiler-artifact" && msg.target && msg.target.name === "ferrotrace_node") {
    built = msg.filenames.find((f) => /\.(so|dylib|dll)$/.test(f)) || built;
  }
}
if (!built) {
  console.error("ferrotrace: cargo succeeded but reported no ferrotrace_node library");
  process.exit(1);
}

// Copy then rename: replacing the file in place would corrupt it for a process that has it loaded.
const dest = path.join(root, "ferrotrace.node");
const tmp = `${dest}.${process.pid}.tmp`;
fs.copyFileSync(built, tmp);
fs.renameSync(tmp, dest);
console.error(`ferrotrace: native addon ready: ${dest}`);
