//! COLD PATH: settings for an MLflow tracking server and the calls made to it (experiment
//! lookup, assessments, trace tags). Every network call is an `AsyncTask`: it runs on the libuv
//! thread pool and settles a Promise, so the JS thread never waits on the server.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;

use ferrotrace_core::api::MlflowApi;
use ferrotrace_core::config::{ConfigUpdate, NameStyle, OtlpUpdate, ProcessUpdate, Secret};
use ferrotrace_core::{global, Error as CoreError};
use napi::bindgen_prelude::AsyncTask;
use napi::{Env, Error, Result, Task};
use napi_derive::napi;
use serde_json::{Map, Value};

use crate::errors::{self, Failure};
use crate::object;

fn config_error(setting: &str, message: &str) -> Error {
    Error::from_reason(CoreError::config(setting, message).to_string())
}

/// `options[key]` as text: absent or `null` is `None`; any other non-string is an error naming
/// the option (a silently ignored `trackingUri: 5000` would send traces elsewhere).
fn text(options: &Map<String, Value>, key: &str) -> Result<Option<String>> {
    match options.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(config_error(key, "must be a string")),
    }
}

fn number(options: &Map<String, Value>, key: &str) -> Option<f64> {
    // A present but non-numeric value must fail validation, not be ignored.
    options
        .get(key)
        .filter(|v| !v.is_null())
        .map(|n| n.as_f64().unwrap_or(f64::NAN))
}

/// A credential: an empty string counts as not given (as in MLflow's TypeScript SDK).
fn secret(options: &Map<String, Value>, key: &str) -> Result<Option<Secret>> {
    Ok(text(options, key)?
        .filter(|s| !s.is_empty())
        .map(Secret::new))
}

fn flag(options: &Map<String, Value>, key: &str) -> Result<Option<bool>> {
    match options.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(config_error(key, "must be a boolean")),
    }
}

/// An object of string values, e.g. `otlpHeaders: { "x-api-key": "..." }` (values never shown).
fn string_map(options: &Map<String, Value>, key: &str) -> Result<Option<Vec<(String, String)>>> {
    match options.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.clone(), s.clone())),
                _ => Err(config_error(
                    key,
                    &format!("the value of {k:?} must be a string"),
                )),
            })
            .collect::<Result<Vec<_>>>()
            .map(Some),
        Some(_) => Err(config_error(key, "must be an object of strings")),
    }
}

/// The OTLP collector options: `otlpEndpoint`, `otlpHeaders`, `otlpCompression`, `otlpTimeout`
/// (seconds), `otlpServiceName`, `otlpDualExport`, `otlpSemconv`.
fn otlp_from(options: &Map<String, Value>) -> Result<OtlpUpdate> {
    Ok(OtlpUpdate {
        endpoint: text(options, "otlpEndpoint")?,
        headers: string_map(options, "otlpHeaders")?,
        compression: text(options, "otlpCompression")?,
        timeout: number(options, "otlpTimeout"),
        service_name: text(options, "otlpServiceName")?,
        dual_export: flag(options, "otlpDualExport")?,
        semconv: text(options, "otlpSemconv")?,
        ..Default::default()
    })
}

/// Tail sampling and redaction: `redact` (`"secrets"`, `"secrets,pii"`, `"off"`),
/// `redactPatterns` (rule name -> regex), `samplingKeepErrors`, `samplingKeepSlowerThanMs`.
fn process_update(options: &Map<String, Value>) -> Result<ProcessUpdate> {
    Ok(ProcessUpdate {
        redact: text(options, "redact")?,
        redact_patterns: string_map(options, "redactPatterns")?,
        keep_errors: flag(options, "samplingKeepErrors")?,
        keep_slower_than_ms: number(options, "samplingKeepSlowerThanMs"),
    })
}

/// The settings a JS options object names, with JS names: `destination`, `localDir`,
/// `samplingRatio`, `exitTimeout`, `trackingUri`, `experimentId`, `experimentName`,
/// `trackingServerUsername`, `trackingServerPassword`, `trackingServerToken`, `sdkLanguage`,
/// the OTLP options of [`otlp_from`] and the tail-sampling and redaction options of
/// [`process_update`].
pub(crate) fn update_from(options: &Map<String, Value>) -> Result<ConfigUpdate> {
    Ok(ConfigUpdate {
        destination: text(options, "destination")?,
        local_dir: text(options, "localDir")?.map(Into::into),
        tracking_uri: text(options, "trackingUri")?,
        sampling_ratio: number(options, "samplingRatio"),
        experiment_id: text(options, "experimentId")?,
        experiment_name: text(options, "experimentName")?,
        exit_timeout: number(options, "exitTimeout"),
        username: secret(options, "trackingServerUsername")?,
        password: secret(options, "trackingServerPassword")?,
        token: secret(options, "trackingServerToken")?,
        sdk_language: text(options, "sdkLanguage")?,
        otlp: otlp_from(options)?,
        process: process_update(options)?,
    })
}

/// Applies an update in one step (one exporter restart at most); errors name JS options.
pub(crate) fn apply(update: ConfigUpdate) -> Result<()> {
    global()
        .configure(|c| c.apply(update, NameStyle::Camel))
        .map_err(|e| Error::from_reason(e.to_string()))
}

/// MLflow's `init(options)`: `{"options": {...}, "env": {"MLFLOW_TRACKING_URI": ..., ...}}`.
/// Options given are validated strictly (an error names the option, nothing changes). For each
/// one not given, the variable from `env` (the JS `process.env` at the time of the call) is used
/// instead; as at startup, an unusable variable is reported as a warning and skipped, so a typo
/// in a deployment never stops the application. Returns whether a tracking server is set.
#[napi(catch_unwind)]
pub fn init(env: Env, json: String) -> Result<bool> {
    errors::with_code(&env, errors::CONFIG, init_from(&json))
}

fn init_from(json: &str) -> Result<bool> {
    let v = object(json);
    let options = match v.get("options") {
        Some(Value::Object(m)) => m.clone(),
        _ => Map::new(),
    };
    let env = match v.get("env") {
        Some(Value::Object(m)) => m.clone(),
        _ => Map::new(),
    };
    let env_var = |k: &str| env.get(k).and_then(Value::as_str).map(str::to_owned);
    // Only the variables the core reads (`initEnvNames`) are passed; others are ignored.
    let mut update = update_from(&options)?;
    let warnings = update.fill_from_init_env(&env_var);
    if !warnings.is_empty() {
        let all: Vec<String> = warnings
            .iter()
            .map(|w| format!("{w}; ignored by init"))
            .collect();
        ferrotrace_core::diag::warn("config", all.join("\nferrotrace: WARNING: "));
    }
    apply(update)?;
    Ok(global().config().tracking_uri.is_some())
}

/// The environment variables `init` falls back to, for the facade to pass from `process.env`
/// (the core's list: the facade keeps none of its own).
#[napi(catch_unwind)]
pub fn init_env_names() -> Vec<String> {
    ferrotrace_core::config::INIT_ENV
        .iter()
        .map(|s| (*s).to_owned())
        .collect()
}

/// A blocking call to the core, run on the libuv thread pool; resolves with its text.
pub struct Blocking {
    call: Option<Box<dyn FnOnce() -> ferrotrace_core::Result<String> + Send>>,
    /// Why the call failed, for the JS error [`Task::reject`] builds on the JS thread.
    failure: Option<Failure>,
}

impl Blocking {
    fn task(
        call: impl FnOnce() -> ferrotrace_core::Result<String> + Send + 'static,
    ) -> AsyncTask<Blocking> {
        AsyncTask::new(Blocking {
            call: Some(Box::new(call)),
            failure: None,
        })
    }
}

impl Task for Blocking {
    type Output = String;
    type JsValue = String;

    fn compute(&mut self) -> Result<String> {
        let call = self
            .call
            .take()
            .ok_or_else(|| Error::from_reason("ferrotrace: task run twice"))?;
        // A panic on a pool thread must become a rejected Promise, not an abort.
        let failure = match catch_unwind(AssertUnwindSafe(call)) {
            Ok(Ok(text)) => return Ok(text),
            Ok(Err(e)) => Failure::from(e),
            Err(_) => {
                global().count_internal_error("mlflow call");
                Failure::new(
                    errors::INTERNAL,
                    "ferrotrace: internal error (panic) in an MLflow call",
                )
            }
        };
        let reason = failure.message.clone();
        self.failure = Some(failure);
        Err(Error::from_reason(reason))
    }

    /// Rejects with a JS error that carries the failure's `code` (see [`crate::errors`]).
    fn reject(&mut self, env: Env, err: Error) -> Result<String> {
        let failure = self
            .failure
            .take()
            .unwrap_or_else(|| Failure::new(errors::INTERNAL, err.reason));
        Err(errors::js_error(&env, failure))
    }

    fn resolve(&mut self, _env: Env, output: String) -> Result<String> {
        Ok(output)
    }
}

/// Checks the configured experiment on the server within `timeout_ms` (creating it by name if
/// missing), for `init`. Never rejects: a problem is reported once as a warning on stderr, and
/// the Promise resolves with the experiment id, or `""` when it could not be checked.
#[napi(catch_unwind, ts_return_type = "Promise<string>")]
pub fn resolve_experiment(timeout_ms: f64) -> AsyncTask<Blocking> {
    let timeout = Duration::from_secs_f64((timeout_ms.max(0.0) / 1000.0).min(600.0));
    let configured = global().config();
    Blocking::task(move || {
        let tracer = global();
        // Settings changed since (a later `init` checks its own): nothing to report.
        let changed = || {
            let now = tracer.config();
            (now.tracking_uri, now.experiment_id, now.experiment_name)
                != (
                    configured.tracking_uri.clone(),
                    configured.experiment_id.clone(),
                    configured.experiment_name.clone(),
                )
        };
        if changed() {
            return Ok(String::new());
        }
        Ok(match tracer.resolve_experiment(timeout) {
            Ok(id) => id,
            Err(_) if changed() => String::new(),
            Err(e) => {
                let server = configured.tracking_uri.clone().unwrap_or_default();
                let message = match &e {
                    CoreError::Transport { .. } | CoreError::Server { .. } | CoreError::Timeout(_) => format!(
                        "init: the MLflow server at {server} did not answer: {e}. Tracing goes on without waiting for it; traces it cannot take are counted in stats().dropped_traces"
                    ),
                    _ => format!(
                        "init: the MLflow experiment on {server} cannot be used: {e}. Traces will not be exported until this is fixed"
                    ),
                };
                ferrotrace_core::diag::warn("init", message);
                String::new()
            }
        })
    })
}

/// One trace-level call (`set_trace_tag`, assessments, `get_trace`, `search_traces`,
/// `delete_traces`, ...) on the configured backend, the MLflow server or the local store, run
/// on the libuv thread pool: JSON arguments in, JSON text out (see `ferrotrace_core::api::call`).
#[napi(catch_unwind, ts_return_type = "Promise<string>")]
pub fn trace_api(op: String, args_json: String) -> AsyncTask<Blocking> {
    Blocking::task(move || {
        // Parsed on the pool thread: a refusal rejects with the argument error's `code`.
        let args: Value = serde_json::from_str(&args_json)
            .map_err(|e| CoreError::InvalidArgument(format!("{op}: invalid arguments: {e}")))?;
        ferrotrace_core::api::call(global(), &op, &args).map(|v| v.to_string())
    })
}

/// Rewrites the segments of a store folder without superseded records; resolves with the
/// report as JSON text.
#[napi(catch_unwind, ts_return_type = "Promise<string>")]
pub fn store_compact(dir: String) -> AsyncTask<Blocking> {
    Blocking::task(move || {
        ferrotrace_core::store::compact::compact(std::path::Path::new(&dir))
            .map(|r| serde_json::to_string(&r).unwrap_or_default())
    })
}

/// What a command line prints for a store folder, and the warnings about damaged records.
#[napi(object)]
pub struct StoreText {
    /// The text; `null` when `storeShow` finds no such trace.
    pub text: Option<String>,
    pub warnings: Vec<String>,
}

/// The table of a store folder's traces (`ferrotrace traces list`).
#[napi(catch_unwind)]
pub fn store_list(env: Env, dir: String) -> Result<StoreText> {
    let (text, warnings) = ferrotrace_core::store::list_text(std::path::Path::new(&dir))
        .map_err(|e| errors::js_error(&env, Failure::from(e)))?;
    Ok(StoreText {
        text: Some(text),
        warnings,
    })
}

/// One trace of a store folder as a tree, by its id or a unique start or end of it
/// (`ferrotrace traces show`); several matches throw `ERR_FERROTRACE_INVALID_ARGUMENT`.
#[napi(catch_unwind)]
pub fn store_show(env: Env, dir: String, trace_id: String) -> Result<StoreText> {
    let (text, warnings) = ferrotrace_core::store::show_text(std::path::Path::new(&dir), &trace_id)
        .map_err(|e| errors::js_error(&env, Failure::from(e)))?;
    Ok(StoreText { text, warnings })
}
