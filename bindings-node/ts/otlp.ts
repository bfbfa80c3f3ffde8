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
  /**
   * The span attributes for the collector (`FERROTRACE_OTLP_SEMCONV`): `"mlflow"` (what MLflow's
   * OTLP exporter sends, the default), `"genai"` (MLflow's OpenTelemetry GenAI translation,
   * `MLFLOW_ENABLE_OTEL_GENAI_SEMCONV`) or `"openinference"` (for Arize Phoenix).
   */
  otlpSemconv?: OtlpSemconv;
}

/** The attribute conventions a collector can be sent (see `OtlpOptions.otlpSemconv`). */
export type OtlpSemconv = "mlflow" | "genai" | "openinference";

/** The option names above, as `init` forwards them. */
export const OTLP_OPTIONS = [
  "otlpEndpoint",
  "otlpHeaders",
  "otlpCompression",
  "otlpTimeout",
  "otlpServiceName",
  "otlpDualExport",
  "otlpSemconv",
] as const;

