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
/**
 * `'"name":'` per parameter when every parameter has a distinct usable name (then
 * `primitiveInputs` applies), else `null`.
 */
export declare function inputKeys(names: Array<string | null>): string[] | null;
/**
 * The JSON text `toJsonText(inputsFor(names, args))` gives, built directly when every argument
 * is a primitive `primitiveJson` writes (the common case: no object, no JSON.stringify call);
 * `undefined` otherwise.
 */
export declare function primitiveInputs(keys: string[], args: unknown[], primitiveJson: (v: unknown) => string | undefined): string | undefined;
