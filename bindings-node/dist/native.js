"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.native = void 0;
/**
 * Loads the native addon (Rust, napi) and describes its surface. Only this module touches it
 * directly; everything else goes through the typed `native` object.
 */
const fs = require("node:fs");
const path = require("node:path");
const PACKAGE_ROOT = path.join(__dirname, "..");
const LIB = "libferrotrace_node.so";
/**
 * Where the addon may be, newest first: `FERROTRACE_NODE_ADDON` if set, else the copy that
 * `scripts/build.js` leaves at the package root, else (in a source checkout) cargo's own output.
 * The newest file wins so that a `cargo build` after an install is picked up.
 */
function candidates() {
    const explicit = process.env.FERROTRACE_NODE_ADDON;
    if (explicit)
        return [explicit];
    const target = path.join(PACKAGE_ROOT, "..", "target");
    const files = [
        path.join(PACKAGE_ROOT, "ferrotrace.node"),
        path.join(target, "x86_64-unknown-linux-gnu", "release", LIB),
        path.join(target, "x86_64-unknown-linux-gnu", "debug", LIB),
        path.join(target, "release", LIB),
        path.join(target, "debug", LIB),
    ];
    const found = [];
    for (const f of files) {
        try {
            found.push([f, fs.statSync(f).mtimeMs]);
        }
        catch {
            // not built here
        }
    }
    return found.sort((a, b) => b[1] - a[1]).map(([f]) => f);
}
function load() {
    const files = candidates();
    if (files.length === 0) {
        throw new Error("ferrotrace: the native addon is not built. Run `node scripts/build.js` in the " +
            `ferrotrace package folder (${PACKAGE_ROOT}); it needs cargo. With npm's install-script ` +
            "approval enabled, `npm install-scripts approve ferrotrace && npm rebuild ferrotrace` does the same.");
    }
    const mod = { exports: {} };
    // dlopen rather than require: cargo's output ends in `.so`, which require() would read as JS.
    process.dlopen(mod, files[0]);
    return mod.exports;
}
/** The loaded addon. */
exports.native = load();
