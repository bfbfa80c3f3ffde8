/**
 * Errors the facade itself throws, with the same stable `code` the addon's errors carry (see
 * docs/errors.md): an argument refused before any call is `ERR_FERROTRACE_INVALID_ARGUMENT`, as
 * when the core refuses it.
 */
/** The code of an argument the API cannot accept. */
export declare const INVALID_ARGUMENT = "ERR_FERROTRACE_INVALID_ARGUMENT";
/**
 * An `Error` (or a `TypeError`, for an argument of the wrong type, as Node's own checks throw)
 * with `message` and `code` `ERR_FERROTRACE_INVALID_ARGUMENT`.
 */
export declare function invalidArgument(message: string, kind?: ErrorConstructor | TypeErrorConstructor): Error & {
    code: string;
};
