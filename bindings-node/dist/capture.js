"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.CAPS = void 0;
exports.toJsonText = toJsonText;
exports.primitiveJson = primitiveJson;
/**
 * Any JavaScript value to JSON text, with the core's size caps, never throwing.
 *
 * Plain data (objects, arrays, strings, numbers, booleans, null) that is within the caps goes
 * through `JSON.stringify` unchanged: a cheap check walks it first, because JSON.stringify alone
 * would silently turn a Map or an Error into `{}`. Everything else goes through `Writer`, which
 * writes the same text JSON.stringify would for plain parts and handles the rest visibly.
 */
const node_util_1 = require("node:util");
const native_1 = require("./native");
function readCaps() {
    const fallback = {
        max_depth: 64,
        max_string_chars: 65536,
        max_items: 10000,
        max_value_bytes: 1048576,
        cycle_marker: "[Circular]",
        size_marker: "[Truncated: size]",
        depth_marker: "[Truncated: depth > 64]",
        string_suffix_template: "…[truncated {n} chars]",
        items_marker_template: "[truncated {n} items]",
        cut_map_key: "…",
    };
    try {
        return { ...fallback, ...JSON.parse(native_1.native.caps()) };
    }
    catch {
        return fallback;
    }
}
/** The limits in force, read once from the core so every binding truncates alike. */
exports.CAPS = Object.freeze(readCaps());
const MAX_DEPTH = exports.CAPS.max_depth;
const MAX_STRING = exports.CAPS.max_string_chars;
const MAX_ITEMS = exports.CAPS.max_items;
const MAX_BYTES = exports.CAPS.max_value_bytes;
const CYCLE = JSON.stringify(exports.CAPS.cycle_marker);
const SIZE = JSON.stringify(exports.CAPS.size_marker);
// Marker texts come from the core too, so Python and Node cut values identically.
const DEPTH = JSON.stringify(exports.CAPS.depth_marker);
const itemsMarker = (n) => JSON.stringify(exports.CAPS.items_marker_template.replace("{n}", String(n)));
const stringSuffix = (n) => exports.CAPS.string_suffix_template.replace("{n}", String(n));
const CUT_MAP_KEY = JSON.stringify(exports.CAPS.cut_map_key);
/**
 * Serialises `value` to JSON text. Never throws.
 *
 * @example
 * ```ts
 * toJsonText({ a: 1n, m: new Map([["k", 1]]) }); // '{"a":"1","m":{"k":1}}'
 * ```
 */
function toJsonText(value) {
    try {
        if (value === undefined)
            return "null";
        const p = primitiveJson(value);
        if (p !== undefined)
            return p;
        const budget = { left: MAX_BYTES };
        if (isPlain(value, 0, budget)) {
            const text = JSON.stringify(value);
            // Byte size is at most 3 per UTF-16 unit; only measure when that bound is not enough.
            if (text.length * 3 <= MAX_BYTES || Buffer.byteLength(text) <= MAX_BYTES)
                return text;
        }
    }
    catch {
        // a getter or proxy threw inside JSON.stringify: the writer handles each part separately
    }
    try {
        const w = new Writer();
        w.value(value, 0);
        return w.out;
    }
    catch {
        return JSON.stringify("[Unserializable]");
    }
}
// Up to this length a string is scanned here: cheaper than JSON.stringify's fixed cost.
const SHORT_STRING = Math.min(64, MAX_STRING);
/**
 * The JSON text of a number, boolean, null or short string that needs no escaping, exactly as
 * JSON.stringify writes it, without its fixed cost (the common traced argument and result);
 * `undefined` for anything else.
 */
function primitiveJson(v) {
    switch (typeof v) {
        case "number":
            return Number.isFinite(v) ? "" + v : "null";
        case "boolean":
            return v ? "true" : "false";
        case "string":
            return v.length <= SHORT_STRING && plainChars(v) ? '"' + v + '"' : undefined;
        case "object":
            return v === null ? "null" : undefined;
        default:
            return undefined;
    }
}
/** No quote, backslash, control character or surrogate: JSON.stringify would copy it as is. */
function plainChars(s) {
    for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i);
        if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff))
            return false;
    }
    return true;
}
/**
 * True for plain data within every cap. Bounded by depth, so cycles end here too (as `false`).
 * `budget.left` counts down an estimate of the text size.
 */
function isPlain(v, depth, budget) {
    switch (typeof v) {
        case "string":
            budget.left -= v.length + 2;
            return v.length <= MAX_STRING && budget.left > 0;
        case "number":
        case "boolean":
            budget.left -= 8;
            return true;
        case "undefined":
            return true; // dropped in objects and null in arrays, as the writer does
        case "object": {
            if (v === null)
                return true;
            if (depth >= MAX_DEPTH)
                return false;
            if (Array.isArray(v)) {
                if (v.length > MAX_ITEMS || Object.getPrototypeOf(v) !== Array.prototype)
                    return false;
                budget.left -= v.length + 2;
                for (let i = 0; i < v.length; i++) {
                    const x = v[i];
                    // Numbers inline (no call per item): arrays of them are common (embeddings, scores).
                    if (typeof x === "number")
                        budget.left -= 8;
                    else if (!isPlain(x, depth + 1, budget))
                        return false;
                }
                return budget.left > 0;
            }
            const proto = Object.getPrototypeOf(v);
            if (proto !== Object.prototype && proto !== null)
                return false;
            const o = v;
            if (typeof o.toJSON === "function")
                return false;
            const keys = Object.keys(o);
            if (keys.length > MAX_ITEMS)
                return false;
            budget.left -= 2;
            for (const k of keys) {
                budget.left -= k.length + 4;
                const x = o[k];
                if (typeof x === "number")
                    budget.left -= 8;
                else if (!isPlain(x, depth + 1, budget))
                    return false;
            }
            return budget.left > 0;
        }
        default:
            return false; // bigint, symbol, function
    }
}
/** Cuts a string longer than the cap, counting code points as the core does. */
function capString(s) {
    if (s.length <= MAX_STRING)
        return s;
    let points = 0;
    let cutAt = -1;
    for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
            const d = s.charCodeAt(i + 1);
            if (d >= 0xdc00 && d <= 0xdfff)
                i++;
        }
        points++;
        if (points === MAX_STRING)
            cutAt = i + 1;
    }
    if (points <= MAX_STRING)
        return s;
    return s.slice(0, cutAt) + stringSuffix(points - MAX_STRING);
}
function safeString(f) {
    try {
        return String(f());
    }
    catch {
        return "[Unserializable]";
    }
}
/** The marker of a value whose reading threw `e`, as JSON text. */
function unserializable(e) {
    return JSON.stringify(`[Unserializable: ${safeString(() => e.name)}]`);
}
const REVOKED = JSON.stringify("[Unserializable: revoked Proxy]");
/**
 * Past this many bits (~9,900 digits) a BigInt's decimal text costs too much to write: V8's
 * conversion grows faster than linearly (Node 20: 0.7 ms for 32,768 bits, 2-10 ms for 65,536,
 * ~100 ms for 220,000), and a traced call must not stall on its argument. Below it, the text is
 * capped as a string is.
 */
const BIGINT_MAX_BITS = Math.min(32768, Math.ceil(MAX_STRING * Math.log2(10)) + 64);
/** A BigInt as a JSON string of its digits, capped like a string; a huge one as a marker. */
function bigintJson(v) {
    const abs = v < 0n ? -v : v;
    if (BigInt.asUintN(BIGINT_MAX_BITS, abs) === abs)
        return JSON.stringify(capString(v.toString()));
    // The bit length from the hex text: linear, unlike the decimal one.
    const hex = abs.toString(16);
    const bits = (hex.length - 1) * 4 + parseInt(hex[0], 16).toString(2).length;
    const digits = Math.floor(bits * Math.log10(2)) + 1;
    return JSON.stringify(`[Truncated: BigInt of ${bits} bits, ~${digits} digits]`);
}
function functionLabel(f) {
    const name = safeString(() => f.name);
    return name ? `[Function: ${name}]` : "[Function (anonymous)]";
}
/** The first `MAX_ITEMS` items of an iterator, without copying a huge collection whole. */
function firstItems(it) {
    const out = [];
    for (let r = it.next(); !r.done && out.length < MAX_ITEMS; r = it.next())
        out.push(r.value);
    return out;
}
/** Writes JSON text piece by piece; `out.length` (UTF-16 units) stands in for the byte size. */
class Writer {
    out = "";
    /** Objects on the path from the root to the current value, for cycle detection. */
    path = [];
    value(v, depth) {
        if (this.out.length > MAX_BYTES) {
            this.out += SIZE;
            return;
        }
        switch (typeof v) {
            case "string":
                this.out += JSON.stringify(capString(v));
                return;
            case "number":
                this.out += Number.isFinite(v) ? String(v) : "null";
                return;
            case "boolean":
                this.out += v ? "true" : "false";
                return;
            case "bigint":
                this.out += bigintJson(v);
                return;
            case "undefined":
                this.out += "null";
                return;
            case "function":
                this.out += JSON.stringify(functionLabel(v));
                return;
            case "symbol":
                this.out += JSON.stringify(v.description ?? "");
                return;
            default:
                if (v === null)
                    this.out += "null";
                else
                    this.object(v, depth);
        }
    }
    object(o, depth) {
        if (depth >= MAX_DEPTH) {
            this.out += DEPTH;
            return;
        }
        if (this.path.includes(o)) {
            this.out += CYCLE;
            return;
        }
        this.path.push(o);
        try {
            this.dispatch(o, depth);
        }
        catch (e) {
            // User code (a getter, toJSON, a proxy trap) threw: say so instead of losing the value.
            this.out += unserializable(e);
        }
        finally {
            this.path.pop();
        }
    }
    dispatch(o, depth) {
        // A Proxy's traps are user code that may throw (or it may be revoked, as an Immer draft is
        // once `produce` returns): read it as a plain object or array, each part on its own.
        if (node_util_1.types.isProxy(o))
            return this.proxy(o, depth);
        if (Array.isArray(o))
            return this.seq(o, o.length, depth);
        if (ArrayBuffer.isView(o)) {
            const view = o instanceof DataView ? new Uint8Array(o.buffer, o.byteOffset, o.byteLength) : o;
            const items = view;
            return this.seq(items, items.length, depth);
        }
        if (o instanceof ArrayBuffer || o instanceof SharedArrayBuffer) {
            const bytes = new Uint8Array(o);
            return this.seq(bytes, bytes.length, depth);
        }
        if (o instanceof Map)
            return this.map(o, depth);
        if (o instanceof Set)
            return this.seq(firstItems(o.values()), o.size, depth);
        if (o instanceof Error) {
            return this.entries([
                ["name", o.name],
                ["message", o.message],
                ["stack", o.stack],
            ], 3, depth);
        }
        if (o instanceof Number || o instanceof String || o instanceof Boolean) {
            return this.value(o.valueOf(), depth);
        }
        const toJSON = o.toJSON;
        if (typeof toJSON === "function") {
            // Date and friends; the result is written at the same depth, and `o` stays on the path
            // so a toJSON returning `this` reads as a cycle instead of recursing.
            return this.value(toJSON.call(o, ""), depth);
        }
        const keys = Object.keys(o);
        const rec = o;
        const pairs = keys.slice(0, MAX_ITEMS).map((k) => {
            try {
                return [k, rec[k]];
            }
            catch (e) {
                return [k, `[Unserializable: ${safeString(() => e.name)}]`];
            }
        });
        this.entries(pairs, keys.length, depth);
    }
    /** What can be read of a Proxy: its own keys and their values, each read guarded. */
    proxy(o, depth) {
        let isArray;
        try {
            isArray = Array.isArray(o);
        }
        catch {
            this.out += REVOKED; // only a revoked proxy makes Array.isArray throw
            return;
        }
        let keys;
        try {
            keys = Object.keys(o);
        }
        catch (e) {
            this.out += unserializable(e);
            return;
        }
        const rec = o;
        const read = (k) => {
            try {
                return rec[k];
            }
            catch (e) {
                return `[Unserializable: ${safeString(() => e.name)}]`;
            }
        };
        if (isArray) {
            const items = keys.filter((k) => String(Number(k)) === k);
            const values = items.slice(0, MAX_ITEMS).map(read);
            return this.seq(values, items.length, depth);
        }
        const pairs = keys.slice(0, MAX_ITEMS).map((k) => [k, read(k)]);
        this.entries(pairs, keys.length, depth);
    }
    seq(items, len, depth) {
        this.out += "[";
        const n = Math.min(len, MAX_ITEMS);
        for (let i = 0; i < n; i++) {
            if (i > 0)
                this.out += ",";
            this.value(items[i], depth + 1);
        }
        if (len > MAX_ITEMS)
            this.out += `${n > 0 ? "," : ""}${itemsMarker(len - MAX_ITEMS)}`;
        this.out += "]";
    }
    map(m, depth) {
        const entries = firstItems(m.entries()).map(([k, v]) => [
            typeof k === "symbol" ? (k.description ?? "") : safeString(() => k),
            v,
        ]);
        this.entries(entries, m.size, depth);
    }
    /** An object from key/value pairs; `total` is the count before the cut. */
    entries(pairs, total, depth) {
        this.out += "{";
        let first = true;
        for (const [k, v] of pairs) {
            if (v === undefined)
                continue; // as JSON.stringify
            this.out += `${first ? "" : ","}${JSON.stringify(k)}:`;
            first = false;
            this.value(v, depth + 1);
        }
        if (total > MAX_ITEMS) {
            this.out += `${first ? "" : ","}${CUT_MAP_KEY}:${itemsMarker(total - MAX_ITEMS)}`;
        }
        this.out += "}";
    }
}
