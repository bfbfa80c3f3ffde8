/**
 * Parameter names from a function's source text, so traced inputs read `{question: "..."}`
 * instead of `{args: [...]}`. Parsed once per wrapped function, never per call.
 */
/**
 * One entry per declared parameter, in order: its name, or `null` for a destructured
 * (`{a}`, `[a]`) or rest (`...a`) parameter, which have no single name. Empty when the source
 * cannot be read (native or bound functions, classes).
 *
 * @example
 * ```ts
 * parameterNames(function (a, { b }, c = f(1, 2), ...rest) {}); // ["a", null, "c", null]
 * ```
 */
export declare function parameterNames(fn: Function): Array<string | null>;
/**
 * The inputs object of one call: `{name: arg}` for each named parameter that received an
 * argument; `{args: [...]}` when no parameter has a usable name; `{}` for no arguments.
 */
export declare function inputsFor(names: Array<string | null>, args: unknown[]): Record<string, unknown>;
