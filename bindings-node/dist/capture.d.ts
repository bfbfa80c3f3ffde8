interface Caps {
    max_depth: number;
    max_string_chars: number;
    max_items: number;
    max_value_bytes: number;
    cycle_marker: string;
    size_marker: string;
    depth_marker: string;
    string_suffix_template: string;
    items_marker_template: string;
    cut_map_key: string;
}
/** The limits in force, read once from the core so every binding truncates alike. */
export declare const CAPS: Readonly<Caps>;
/**
 * Serialises `value` to JSON text. Never throws.
 *
 * @example
 * ```ts
 * toJsonText({ a: 1n, m: new Map([["k", 1]]) }); // '{"a":"1","m":{"k":1}}'
 * ```
 */
export declare function toJsonText(value: unknown): string;
/**
 * The JSON text of a number, boolean, null or short string that needs no escaping, exactly as
 * JSON.stringify writes it, without its fixed cost (the common traced argument and result);
 * `undefined` for anything else.
 */
export declare function primitiveJson(v: unknown): string | undefined;
export {};
