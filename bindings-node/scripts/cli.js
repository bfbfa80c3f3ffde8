#!/usr/bin/env node
// `npx ferrotrace ui [--host 127.0.0.1] [--port 5000] [DIR]`: the local web UI over a store
// folder (default: $FERROTRACE_LOCAL_DIR or ./ferrotrace-traces), served by the native core.
"use strict";
const { native } = require("../dist/native.js");

function usage(code) {
  (code ? console.error : console.log)("usage: ferrotrace ui [--host 127.0.0.1] [--port 5000] [DIR]");
  process.exit(code);
}

const args = process.argv.slice(2);
if (args[0] !== "ui") usage(args.length && args[0] !== "--help" ? 2 : 0);
let host = "127.0.0.1";
let port = 5000;
let dir = process.env.FERROTRACE_LOCAL_DIR || "ferrotrace-traces";
for (let i = 1; i < args.length; i++) {
  const a = args[i];
  if (a === "--host") host = args[++i];
  else if (a === "--port") port = Number(args[++i]);
  else if (a === "--help" || a === "-h") usage(0);
  else if (a.startsWith("-")) usage(2);
  else dir = a;
}
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`error: --port must be a port number, not ${JSON.stringify(args[args.indexOf("--port") + 1])}`);
  process.exit(2);
}
let url;
try {
  url = native.uiStart(host, port, dir);
} catch (e) {
  console.error(`error: ${e.message}`);
  process.exit(2);
}
console.log(`ferrotrace ui: serving ${dir} at ${url} (Ctrl-C to stop)`);
// The server runs on a native thread: keep the event loop alive until a signal.
const keepAlive = setInterval(() => {}, 1 << 30);
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, () => {
    clearInterval(keepAlive);
    native.uiStop();
    process.exit(0);
  });
}
