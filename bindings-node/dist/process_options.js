"use strict";
/**
 * Tail sampling and redaction options, taken by both `init` and `configure`.
 */
Object.defineProperty(exports, "__esModule", { value: true });
exports.PROCESS_OPTIONS = void 0;
/** The option names of {@link ProcessOptions}, passed through to the core as given. */
exports.PROCESS_OPTIONS = [
    "redact",
    "redactPatterns",
    "samplingKeepErrors",
    "samplingKeepSlowerThanMs",
];
