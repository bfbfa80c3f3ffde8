"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.OTLP_OPTIONS = void 0;
/** The option names above, as `init` forwards them. */
exports.OTLP_OPTIONS = [
    "otlpEndpoint",
    "otlpHeaders",
    "otlpCompression",
    "otlpTimeout",
    "otlpServiceName",
    "otlpDualExport",
    "otlpSemconv",
];
