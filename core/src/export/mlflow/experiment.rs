//! Experiment lookup: get by name, create when missing, survive a concurrent creator; ids
//! remembered per server and name for the life of the process.

use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::Instant;

use parking_lot::Mutex;
use serde_json::{json, Value};

use super::client::MlflowClient;
use super::http::{truncate, Method};
use crate::error::{Error, Result};
use crate::export::Deadline;

impl MlflowClient {
    /// The id of the experiment named `name`, created if it does not exist. A concurrent creator
    /// (`RESOURCE_ALREADY_EXISTS`) is survived by reading the name again. A deleted experiment
    /// is an error, as in MLflow's `set_experiment`.
    pub fn resolve_experiment(&self, name: &str) -> Result<String> {
        let deadline = Deadline::default();
        self.block_on(|c| async move { self.resolve_experiment_by(&c, name, &deadline).await })
    }

    /// [`MlflowClient::resolve_experiment`] within `deadline`, remembered per server and name
    /// for the life of the process.
    pub(crate) fn resolve_experiment_cached(
        &self,
        name: &str,
        deadline: Option<Instant>,
    ) -> Result<String> {
        if let Some(id) = self.cached_experiment(name) {
            return Ok(id);
        }
        let deadline = Deadline::at(deadline);
        self.block_on(|c| async move {
            self.resolve_experiment_cached_async(&c, name, &deadline)
                .await
        })
    }

    fn cached_experiment(&self, name: &str) -> Option<String> {
        let key = (self.inner.base.clone(), name.to_owned());
        experiment_cache().lock().get(&key).cloned()
    }

    /// [`MlflowClient::resolve_experiment_cached`] as a future of `c`'s runtime.
    pub(crate) async fn resolve_experiment_cached_async(
        &self,
        c: &reqwest::Client,
        name: &str,
        deadline: &Deadline,
    ) -> Result<String> {
        if let Some(id) = self.cached_experiment(name) {
            return Ok(id);
        }
        let id = self.resolve_experiment_by(c, name, deadline).await?;
        experiment_cache()
            .lock()
            .insert((self.inner.base.clone(), name.to_owned()), id.clone());
        Ok(id)
    }

    /// Forgets a cached name (its experiment was deleted on the server).
    pub(crate) fn forget_experiment(&self, name: &str) {
        experiment_cache()
            .lock()
            .remove(&(self.inner.base.clone(), name.to_owned()));
    }

    async fn resolve_experiment_by(
        &self,
        c: &reqwest::Client,
        name: &str,
        deadline: &Deadline,
    ) -> Result<String> {
        const BY_NAME: &str = "/api/2.0/mlflow/experiments/get-by-name";
        let query = [("experiment_name", name)];
        let get = || self.json_async(c, Method::Get, BY_NAME, &query, None, deadline);
        let found = match get().await {
            Ok(v) => v,
            Err(Error::NotFound { .. }) => {
                let body = json!({ "name": name });
                let created = self
                    .json_async(
                        c,
                        Method::Post,
                        "/api/2.0/mlflow/experiments/create",
                        &[],
                        Some(&body),
                        deadline,
                    )
                    .await;
                match created {
                    Ok(v) => return experiment_id_of(&v, "experiment_id"),
                    Err(e) if e.mlflow_code() == Some("RESOURCE_ALREADY_EXISTS") => get().await?,
                    Err(e) => return Err(e),
                }
            }
            Err(e) => return Err(e),
        };
        let exp = &found["experiment"];
        if exp["lifecycle_stage"] == "deleted" {
            return Err(Error::InvalidArgument(format!(
                "the MLflow experiment {name:?} is deleted; restore it on the server or use another name"
            )));
        }
        experiment_id_of(exp, "experiment_id")
    }
}

fn experiment_cache() -> &'static Mutex<HashMap<(String, String), String>> {
    static CACHE: OnceLock<Mutex<HashMap<(String, String), String>>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

fn experiment_id_of(v: &Value, key: &str) -> Result<String> {
    match &v[key] {
        Value::String(s) if !s.is_empty() => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        _ => Err(Error::Rejected {
            status: 200,
            request: "experiment lookup".into(),
            code: None,
            message: format!("the answer has no {key}: {}", truncate(&v.to_string(), 300)),
        }),
    }
}
