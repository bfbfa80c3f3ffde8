//! What a tracking URI names: an MLflow server, a local store folder (`file:` URIs and plain
//! paths), or a store ferrotrace does not write (`sqlite:`, `databricks`, other databases),
//! for which traces go to the local store with a warning saying so.

use std::path::PathBuf;

use super::validate_tracking_uri;
use crate::error::Result;

/// Where a tracking URI sends traces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TrackingTarget {
    /// Empty: the default local store.
    Default,
    /// An MLflow server (`http(s)://...`, credentials still in it).
    Server(String),
    /// A local store in this folder.
    LocalDir(PathBuf),
    /// A store ferrotrace does not write: the local store is used; the warning says so.
    Unsupported { warning: String },
}

/// Classifies a tracking URI given as `setting` (named in warnings and errors).
///
/// ```
/// use ferrotrace_core::config::{classify_tracking_uri, TrackingTarget};
/// assert_eq!(classify_tracking_uri("file:///tmp/t", "MLFLOW_TRACKING_URI").unwrap(),
///            TrackingTarget::LocalDir("/tmp/t".into()));
/// assert_eq!(classify_tracking_uri("./traces", "x").unwrap(), TrackingTarget::LocalDir("./traces".into()));
/// assert!(matches!(classify_tracking_uri("sqlite:///mlflow.db", "MLFLOW_TRACKING_URI").unwrap(),
///                  TrackingTarget::Unsupported { warning } if warning.contains("MLFLOW_TRACKING_URI")));
/// ```
pub fn classify_tracking_uri(uri: &str, setting: &str) -> Result<TrackingTarget> {
    let uri = uri.trim();
    if uri.is_empty() {
        return Ok(TrackingTarget::Default);
    }
    let lower = uri.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        return Ok(validate_tracking_uri(uri, setting)?
            .map(TrackingTarget::Server)
            .unwrap_or(TrackingTarget::Default));
    }
    if let Some(rest) = uri.strip_prefix("file:") {
        // file:///abs, file://localhost/abs, file:rel
        let path = rest
            .strip_prefix("//")
            .map(|r| r.strip_prefix("localhost").unwrap_or(r))
            .unwrap_or(rest);
        let path = percent_decode(path);
        return Ok(TrackingTarget::LocalDir(PathBuf::from(
            if path.is_empty() {
                ".".to_owned()
            } else {
                path
            },
        )));
    }
    let scheme = lower.split_once(':').map(|(s, _)| s).unwrap_or("");
    let is_scheme = !scheme.is_empty()
        && scheme.len() > 1 // a Windows drive letter is a path
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    let database = [
        "sqlite",
        "postgresql",
        "postgres",
        "mysql",
        "mssql",
        "databricks",
        "uc",
    ];
    if lower == "databricks"
        || database
            .iter()
            .any(|d| scheme == *d || scheme.starts_with(&format!("{d}+")))
    {
        return Ok(TrackingTarget::Unsupported {
            warning: format!(
                "{setting}={uri} names a store ferrotrace does not write to ({}): traces go to the local store instead; \
                 send them to an MLflow server later with `ferrotrace push --tracking-uri http://<server>`",
                if scheme.is_empty() { lower.as_str() } else { scheme }
            ),
        });
    }
    if !is_scheme {
        return Ok(TrackingTarget::LocalDir(PathBuf::from(uri)));
    }
    // Anything else: the same error as before (an unknown scheme is a typo, not a folder).
    validate_tracking_uri(uri, setting).map(|_| TrackingTarget::Default)
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
