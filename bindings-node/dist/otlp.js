"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.OTLP_ENV = exports.OTLP_OPTIONS = void 0;
/** The option names above, as `init` forwards them. */
exports.OTLP_OPTIONS = [
    "otlpEndpoint",
    "otlpHeaders",
    "otlpCompression",
    "otlpTimeout",
    "otlpServiceName",
    "otlpDualExport",
];
/** The variables `init` reads for the options not given. */
exports.OTLP_ENV = [
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_HEADERS",
    "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
    "OTEL_EXPORTER_OTLP_COMPRESSION",
    "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION",
    "OTEL_EXPORTER_OTLP_TIMEOUT",
    "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
    "OTEL_EXPORTER_OTLP_PROTOCOL",
    "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
    "OTEL_SERVICE_NAME",
    "OTEL_RESOURCE_ATTRIBUTES",
    "MLFLOW_ENABLE_OTLP_EXPORTER",
    "MLFLOW_TRACE_ENABLE_OTLP_DUAL_EXPORT",
    "FERROTRACE_OTLP_SEMCONV",
    "MLFLOW_ENABLE_OTEL_GENAI_SEMCONV",
];
