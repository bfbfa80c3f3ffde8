"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.addonPath = exports.native = void 0;
exports.beforeNativeCall = beforeNativeCall;
exports.afterSettingsCall = afterSettingsCall;
/**
 * Loads the native addon (Rust, napi) and describes its surface. Only this module touches it
 * directly; everything else goes through the typed `native` object.
 */
const fs = require("node:fs");
const path = require("node:path");
const node_worker_threads_1 = require("node:worker_threads");
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
    const found = [];
    for (const f of builtFiles()) {
        try {
            found.push([f, fs.statSync(f).mtimeMs]);
        }
        catch {
            // not built here
        }
    }
    const built = found.sort((a, b) => b[1] - a[1]).map(([f]) => f);
    const pre = prebuiltFile();
    return pre === undefined ? built : [...built, pre];
}
/**
 * The addon of the per-platform package an install from the registry brings as an optional
 * dependency (`ferrotrace-linux-x64-gnu`); a build in this folder, when there is one, wins.
 */
function prebuiltFile() {
    if (process.platform !== "linux" || process.arch !== "x64")
        return undefined;
    try {
        return require.resolve("ferrotrace-linux-x64-gnu", { paths: [PACKAGE_ROOT] });
    }
    catch {
        return undefined;
    }
}
/** The package's copy of the addon and cargo's outputs in a source checkout. */
function builtFiles() {
    const target = path.join(PACKAGE_ROOT, "..", "target");
    return [
        path.join(PACKAGE_ROOT, "ferrotrace.node"),
        path.join(target, "x86_64-unknown-linux-gnu", "release", LIB),
        path.join(target, "x86_64-unknown-linux-gnu", "debug", LIB),
        path.join(target, "release", LIB),
        path.join(target, "debug", LIB),
    ];
}
/**
 * In a worker thread, the addon file this process already has mapped (Linux), if it is one of
 * `files`: every thread must use that same file, since a second copy (a newer build, another
 * `FERROTRACE_NODE_ADDON`) would be a second tracer with its own queue and memory store.
 */
function loadedInProcess(files) {
    if (node_worker_threads_1.isMainThread)
        return undefined;
    let maps;
    try {
        maps = fs.readFileSync("/proc/self/maps", "utf8");
    }
    catch {
        return undefined;
    }
    const real = new Map();
    for (const f of files) {
        try {
            real.set(fs.realpathSync(f), f);
        }
        catch {
            // gone since it was listed
        }
    }
    for (const line of maps.split("\n")) {
        const at = line.indexOf("/");
        if (at < 0)
            continue;
        const file = real.get(line.slice(at));
        if (file !== undefined)
            return file;
    }
    return undefined;
}
/** Every file the addon may be loaded from, for the in-process check. */
function allCandidates() {
    const explicit = process.env.FERROTRACE_NODE_ADDON;
    const pre = prebuiltFile();
    const files = pre === undefined ? builtFiles() : [...builtFiles(), pre];
    return explicit ? [explicit, ...files] : files;
}
function load() {
    const files = candidates();
    const file = loadedInProcess(allCandidates()) ?? files[0];
    if (file === undefined) {
        throw new Error("ferrotrace: the native addon is not built. Run `node scripts/build.js` in the " +
            `ferrotrace package folder (${PACKAGE_ROOT}); it needs cargo. With npm's install-script ` +
            "approval enabled, `npm install-scripts approve ferrotrace && npm rebuild ferrotrace` does the same.");
    }
    const mod = { exports: {} };
    // dlopen rather than require: cargo's output ends in `.so`, which require() would read as JS.
    process.dlopen(mod, file);
    return [mod.exports, file];
}
const [binding, file] = load();
let beforeCall = () => { };
/**
 * Sets what runs before every native call that could see spans ended in JavaScript but not yet
 * recorded (`leaves.ts` records them), so the core never observes them out of order.
 */
function beforeNativeCall(f) {
    beforeCall = f;
}
let afterSettings = () => { };
/** Sets what runs after every call that changes settings (`configure`, `init`). */
function afterSettingsCall(f) {
    afterSettings = f;
}
const SETTINGS = new Set(["configure", "init"]);
// Calls that act on one open span or start one cannot see a span ended elsewhere; every other
// call (ending a span, reading stats, the last trace id, traces, flushing, settings) can, and
// `spanDetach` frees a slot that kept leaves may name as their parent.
const ORDER_FREE = new Set([
    "startRoot", "startChild", "registerSite", "rawFunction", "leafBuffering", "leafStart",
    "spanSetInputs", "spanSetOutputs", "spanSetAttribute", "spanSetSpanType", "spanSetName",
    "spanSetStatus", "spanAddEvent", "spanRecordException", "spanUpdateTrace", "spanTraceId",
    "spanSpanId", "spanParentId", "spanName", "spanIsEnded", "spanGetAttribute", "spanAttributes",
    "spanEvents", "spanStatus", "spanStartNs", "spanEndNs", "spanIsSampled", "spanChunk",
    "spanAddLink", "spanLinks", "spanTraceparent", "normalizeTraceparent", "spanToJson", "caps",
    "recentWarnings", "noteParentExpired", "llmStart", "llmEnd", "llmFail", "llmAttributes",
]);
function ordered(b) {
    const out = {};
    for (const key of Object.getOwnPropertyNames(b)) {
        const f = b[key];
        out[key] =
            typeof f !== "function" || ORDER_FREE.has(key)
                ? f
                : SETTINGS.has(key)
                    ? function (...args) {
                        beforeCall();
                        try {
                            return f.apply(b, args);
                        }
                        finally {
                            afterSettings();
                        }
                    }
                    : function (...args) {
                        beforeCall();
                        return f.apply(b, args);
                    };
    }
    return out;
}
/** The loaded addon; calls that could see not yet recorded spans record them first. */
exports.native = ordered(binding);
/** The file the addon was loaded from (the same in every thread of the process). */
exports.addonPath = file;
