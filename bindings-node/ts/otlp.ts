/**
 * Options for sending traces to an OpenTelemetry collector (OTLP/HTTP, protobuf), shared by
 * `init` and `configure`. Each option not given falls back to its environment variable.
 */
export interface OtlpOptions {
  /**
   * The collector URL (`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, or `OTEL_EXPORTER_OTLP_ENDPOINT` +
   * `/v1/traces`). Used as is when it has a path, else `/v1/traces` is appended; `""` turns OTLP
   * export off. As in MLflow, the collector replaces the MLflow server (or local store) unless
   * `otlpDualExport` is true.
   */
  otlpEndpoint?: string;
  /** Request headers, e.g. an API key (`OTEL_EXPORTER_OTLP_HEADERS`); values are never logged. */
  otlpHeaders?: Record<string, string>;
  /** `"gzip"` or `"none"` (`OTEL_EXPORTER_OTLP_COMPRESSION`, default none). */
  otlpCompression?: "gzip" | "none";
  /** Seconds one request may take (`OTEL_EXPORTER_OTLP_TIMEOUT`, in ms there; default 10 s). */
  otlpTimeout?: number;
  /** The resource's `service.name` (`OTEL_SERVICE_NAME`). */
  otlpServiceName?: string;
  /** Export to the collector and the MLflow server both (`MLFLOW_TRACE_ENABLE_OTLP_DUAL_EXPORT`). */
  otlpDualExport?: boolean;
}

/** The option names above, as `init` forwards them. */
export const OTLP_OPTIONS = [
  "otlpEndpoint",
  "otlpHeaders",
  "otlpCompression",
  "otlpTimeout",
  "otlpServiceName",
  "otlpDualExport",
] as const;

/** The variables `init` reads for the options not given. */
export const OTLP_ENV = [
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
