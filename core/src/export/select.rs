//! Which destinations a configuration names, decided in one place: the MLflow server of an
//! `http(s)` tracking URI, else the local store (or memory in tests); plus an OTLP collector
//! alone or beside it (see [`super::otlp::destinations`]). Called on the export thread: building
//! an exporter may read certificate files, set up TLS and start threads.

use crate::config::{Config, Destination, OtlpMode};
use crate::stats::Stats;

use super::{Exporter, LocalStoreExporter, MemoryExporter, MemorySink, MlflowExporter};

/// The exporters for `cfg`, one per destination; each gets every trace. `memory` is the sink of
/// the memory destination. A destination that cannot be built (an unreadable CA bundle) is a
/// warning naming the setting and a count in `stats().exporter_errors`; its traces go to the
/// local store instead, so none is lost.
pub fn destinations(cfg: &Config, memory: &MemorySink, stats: &Stats) -> Vec<Box<dyn Exporter>> {
    let out = super::otlp::destinations(cfg, || primary(cfg, memory, stats));
    // The OTLP exporter warns itself when it cannot be built; it is counted here.
    if cfg.otlp.mode() != OtlpMode::Off && !out.iter().any(|e| e.capabilities().name == "otlp") {
        Stats::inc(&stats.exporter_errors);
    }
    out
}

fn primary(cfg: &Config, memory: &MemorySink, stats: &Stats) -> Box<dyn Exporter> {
    match cfg.destination() {
        Destination::Memory => Box::new(MemoryExporter::with_sink(memory.clone())),
        Destination::Local(dir) => Box::new(LocalStoreExporter::with_max_bytes(
            dir,
            cfg.delivery.local_max_bytes,
        )),
        Destination::Mlflow(uri) => match MlflowExporter::new(cfg) {
            Ok(exporter) => Box::new(exporter),
            Err(e) => {
                Stats::inc(&stats.exporter_errors);
                crate::diag::warn(
                    "mlflow_config",
                    format!("cannot export to the MLflow server at {uri}: {e}; traces go to the local store"),
                );
                Box::new(LocalStoreExporter::with_max_bytes(
                    cfg.local_dir.clone(),
                    cfg.delivery.local_max_bytes,
                ))
            }
        },
    }
}

/// Whether exporters built from `old` must be replaced for `new`: the destination changed or,
/// for an MLflow server, its experiment, credentials or TLS settings.
pub fn settings_changed(old: &Config, new: &Config) -> bool {
    old.destination() != new.destination()
        || old.otlp != new.otlp
        || (matches!(new.destination(), Destination::Mlflow(_))
            && (old.experiment_id != new.experiment_id
                || old.experiment_name != new.experiment_name
                || old.http != new.http
                || old.sdk_language != new.sdk_language))
}

/// Whether `cfg` names a remote destination (an MLflow server or an OTLP collector), whose
/// undelivered traces may wait in a spill folder.
pub fn is_remote(cfg: &Config) -> bool {
    matches!(cfg.destination(), Destination::Mlflow(_)) || cfg.otlp.endpoint.is_some()
}
