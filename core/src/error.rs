//! The one error type of the core. Bindings map it once each.

use std::time::Duration;

/// Everything the core can report to a caller.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A setting has a value the core cannot use. `setting` names it as the user wrote it
    /// (an environment variable or an API parameter).
    #[error("invalid value for {setting}: {message}")]
    Config { setting: String, message: String },
    /// An API was called with an argument it cannot accept.
    #[error("{0}")]
    InvalidArgument(String),
    /// A bounded wait ran out.
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// An exporter could not deliver.
    #[error("export failed: {0}")]
    Export(String),
}

impl Error {
    pub fn config(setting: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Config {
            setting: setting.into(),
            message: message.into(),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
