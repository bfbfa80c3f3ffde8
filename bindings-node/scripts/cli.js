#!/usr/bin/env node
// `npx ferrotrace ...`: the command line of the npm package, over a store folder (default:
// $FERROTRACE_LOCAL_DIR or ./ferrotrace-traces); the same commands as the Python package's.
//
//   ferrotrace traces list [--dir DIR]         one line per trace
//   ferrotrace traces show ID [--dir DIR]      one trace as a tree (a unique start or end of the id)
//   ferrotrace store compact [DIR]             drop superseded records; safe while others write
//   ferrotrace ui [--host 127.0.0.1] [--port 5000] [DIR]
"use strict";
const { native } = require("../dist/native.js");

const USAGE = `usage: ferrotrace traces list [--dir DIR]
       ferrotrace traces show ID [--dir DIR]
       ferrotrace store compact [DIR]
       ferrotrace ui [--host 127.0.0.1] [--port 5000] [DIR]`;

function usage(code) {
  (code ? console.error : console.log)(USAGE);
  process.exit(code);
}

/** Runs `f`; an error is printed (`error: ...`) and exits with 2. */
function orExit(f) {
  try {
    return f();
  } catch (e) {
    console.error(`error: ${e.message}`);
    process.exit(2);
  }
}

function warn(warnings) {
  for (const w of warnings) console.error(`warning: ${w}`);
}

const args = process.argv.slice(2);
let dir = process.env.FERROTRACE_LOCAL_DIR || "ferrotrace-traces";
if (args.length === 0 || args[0] === "--help" || args[0] === "-h") usage(args.length ? 0 : 2);

if (args[0] === "traces") {
  const rest = [];
  for (let i = 2; i < args.length; i++) {
    if (args[i] === "--dir" && i + 1 < args.length) dir = args[++i];
    else if (args[i] === "--help" || args[i] === "-h") usage(0);
    else if (args[i].startsWith("-")) usage(2);
    else rest.push(args[i]);
  }
  if (args[1] === "list" && rest.length === 0) {
    const { text, warnings } = orExit(() => native.storeList(dir));
    warn(warnings);
    console.log(text);
  } else if (args[1] === "show" && rest.length === 1) {
    const { text, warnings } = orExit(() => native.storeShow(dir, rest[0]));
    warn(warnings);
    if (text == null) {
      console.error(`no trace ${JSON.stringify(rest[0])} in ${dir}`);
      process.exit(1);
    }
    console.log(text);
  } else usage(2);
} else if (args[0] === "store") {
  if (args[1] !== "compact" || args.length > 3) usage(2);
  if (args[2] !== undefined) dir = args[2];
  native.storeCompact(dir).then(
    (text) => {
      const r = JSON.parse(text);
      warn(r.warnings);
      console.log(
        `compacted ${r.segments_compacted} segment(s) (${r.segments_live} in use left alone): ` +
          `${r.records_before} -> ${r.records_after} records, ${r.bytes_before} -> ${r.bytes_after} bytes`,
      );
    },
    (e) => {
      console.error(`error: ${e.message}`);
      process.exit(2);
    },
  );
} else if (args[0] === "ui") {
  let host = "127.0.0.1";
  let port = 5000;
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
  const url = orExit(() => native.uiStart(host, port, dir));
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
} else usage(2);
