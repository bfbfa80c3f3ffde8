/**
 * Tail sampling and redaction options, taken by both `init` and `configure`.
 */
/** What is done to finished traces before they leave the process. */
export interface ProcessOptions {
    /**
     * Built-in redaction rules (`FERROTRACE_REDACT`): `"secrets"` (the default), `"secrets,pii"`
     * or `"off"`. Redacted values become `[REDACTED:<rule>]`.
     */
    redact?: string;
    /**
     * User redaction rules (`FERROTRACE_REDACT_PATTERNS`): rule name -> regex source (Rust `regex`
     * syntax). Replaces earlier user rules; an invalid regex throws naming `redactPatterns`.
     */
    redactPatterns?: Record<string, string>;
    /** Keep traces the sampling ratio drops when they end in error (`FERROTRACE_SAMPLING_KEEP_ERRORS`). */
    samplingKeepErrors?: boolean;
    /**
     * Keep traces the sampling ratio drops when their root runs at least this many milliseconds
     * (`FERROTRACE_SAMPLING_KEEP_SLOWER_THAN_MS`); 0 turns the rule off.
     */
    samplingKeepSlowerThanMs?: number;
}
/** The option names of {@link ProcessOptions}, passed through to the core as given. */
export declare const PROCESS_OPTIONS: readonly ["redact", "redactPatterns", "samplingKeepErrors", "samplingKeepSlowerThanMs"];
