"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.memoryTraces = memoryTraces;
exports.clearMemoryTraces = clearMemoryTraces;
exports.readLocalStore = readLocalStore;
exports.attribute = attribute;
exports.addonPath = addonPath;
/**
 * Helpers for tests: read what the memory destination (`FERROTRACE_DESTINATION=memory`) or a
 * local store folder holds, as MLflow trace dicts (`Trace.to_dict()`).
 *
 * @example
 * ```ts
 * import { testing, flushTraces } from "ferrotrace";
 * await flushTraces();
 * const [t] = testing.memoryTraces();
 * t.data.spans.map((s) => s.name);
 * ```
 */
const native_1 = require("./native");
/** Traces delivered to the memory destination so far (call `flushTraces()` first). */
function memoryTraces() {
    return JSON.parse(native_1.native.memoryTraces());
}
/** Empties the memory destination. */
function clearMemoryTraces() {
    native_1.native.clearMemory();
}
/** Every trace in a local store folder, plus warnings about damaged records. */
function readLocalStore(dir) {
    return JSON.parse(native_1.native.readLocalStore(dir));
}
/** Decodes a stored attribute value (JSON text). */
function attribute(span, key) {
    const v = span.attributes[key];
    return v === undefined ? undefined : JSON.parse(v);
}
/** The file the native addon was loaded from (every thread of a process uses the same one). */
function addonPath() {
    return native_1.addonPath;
}
