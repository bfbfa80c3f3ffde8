//! The HTTP details under [`super::MlflowClient`]: TLS setup, request headers, and answers mapped
//! to classified errors with the server's message.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use serde_json::Value;
use ureq::http::Uri;
use ureq::tls::{Certificate, ClientCert, PemItem, PrivateKey, RootCerts, TlsConfig};
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};

use crate::config::{HttpSettings, Secret};
use crate::error::{Error, Result};

/// HTTP methods the client sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Patch,
    Delete,
}

impl Method {
    /// `GET`, `POST`, `PATCH`, `DELETE` (any case).
    ///
    /// ```
    /// use ferrotrace_core::export::mlflow::Method;
    /// assert_eq!(Method::parse("patch"), Some(Method::Patch));
    /// assert_eq!(Method::parse("PUT"), None);
    /// ```
    pub fn parse(s: &str) -> Option<Method> {
        match s.trim().to_ascii_uppercase().as_str() {
            "GET" => Some(Method::Get),
            "POST" => Some(Method::Post),
            "PATCH" => Some(Method::Patch),
            "DELETE" => Some(Method::Delete),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

/// One request's body and headers beyond the defaults.
pub(crate) struct Body<'a> {
    pub(crate) bytes: &'a [u8],
    pub(crate) content_type: &'static str,
    pub(crate) headers: &'a [(&'static str, &'a str)],
}

/// Timeout, credentials and body headers of one request.
pub(crate) fn prepare<B>(
    b: ureq::RequestBuilder<B>,
    timeout: Duration,
    auth: Option<&Secret>,
    body: Option<&Body<'_>>,
) -> ureq::RequestBuilder<B> {
    let mut b = b.config().timeout_global(Some(timeout)).build();
    if let Some(auth) = auth {
        b = b.header("Authorization", auth.expose());
    }
    if let Some(body) = body {
        b = b.header("Content-Type", body.content_type);
        for (k, v) in body.headers {
            b = b.header(*k, *v);
        }
    }
    b
}

/// An agent of `config` that resolves host names as [`CachedResolver`] does.
pub(crate) fn agent(config: ureq::config::Config) -> ureq::Agent {
    ureq::Agent::with_parts(config, DefaultConnector::new(), CachedResolver::default())
}

/// How long a host name's addresses are used for new connections before they are looked up
/// again.
const RESOLVED_FOR: Duration = Duration::from_secs(10);

/// ureq looks the host up before every request, even one that goes out on a pooled connection,
/// and with a timeout set (always, here) it does so on a thread of its own: a thread per
/// StartTraceV3. This resolver takes an IP address as it is and keeps a name's addresses for
/// [`RESOLVED_FOR`]; they are only used to open connections, as when a client looks names up
/// per new connection.
#[derive(Debug, Default)]
struct CachedResolver {
    inner: DefaultResolver,
    last: Mutex<Option<(String, Instant, ResolvedSocketAddrs)>>,
}

impl Resolver for CachedResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &ureq::config::Config,
        timeout: NextTimeout,
    ) -> std::result::Result<ResolvedSocketAddrs, ureq::Error> {
        let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
            return self.inner.resolve(uri, config, timeout);
        };
        let port = authority.port_u16().or(match scheme {
            "http" => Some(80),
            "https" => Some(443),
            _ => None,
        });
        let host = authority.host();
        let ip = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host)
            .parse::<IpAddr>();
        if let (Ok(ip), Some(port)) = (ip, port) {
            let mut out = self.empty();
            for addr in config
                .ip_family()
                .keep_wanted(std::iter::once(SocketAddr::new(ip, port)))
            {
                out.push(addr);
            }
            return if out.is_empty() {
                Err(ureq::Error::HostNotFound)
            } else {
                Ok(out)
            };
        }
        let key = format!("{scheme}://{authority}");
        if let Some((k, at, addrs)) = &*self.last.lock() {
            if *k == key && at.elapsed() < RESOLVED_FOR {
                return Ok(addrs.clone());
            }
        }
        let addrs = self.inner.resolve(uri, config, timeout)?;
        *self.last.lock() = Some((key, Instant::now(), addrs.clone()));
        Ok(addrs)
    }
}

pub(crate) fn tls_config(http: &HttpSettings) -> Result<TlsConfig> {
    let builder = TlsConfig::builder();
    let builder = if http.insecure_tls {
        builder.disable_verification(true)
    } else {
        match &http.server_cert_path {
            None => builder.root_certs(RootCerts::PlatformVerifier),
            Some(path) => builder.root_certs(RootCerts::new_with_certs(&ca_bundle(
                path,
                "MLFLOW_TRACKING_SERVER_CERT_PATH",
            )?)),
        }
    };
    let client_cert = match &http.client_cert_path {
        Some(path) => Some(client_cert(path, "MLFLOW_TRACKING_CLIENT_CERT_PATH")?),
        None => None,
    };
    Ok(builder.client_cert(client_cert).build())
}

/// TLS that trusts only the CA certificates of the PEM bundle at `path`; errors name `setting`.
pub(crate) fn ca_bundle_tls(path: &std::path::Path, setting: &str) -> Result<TlsConfig> {
    Ok(TlsConfig::builder()
        .root_certs(RootCerts::new_with_certs(&ca_bundle(path, setting)?))
        .build())
}

fn read_pem(path: &std::path::Path, setting: &str) -> Result<Vec<u8>> {
    std::fs::read(path)
        .map_err(|e| Error::config(setting, format!("cannot read {}: {e}", path.display())))
}

fn pem_certificates(pem: &[u8]) -> Vec<Certificate<'static>> {
    ureq::tls::parse_pem(pem)
        .filter_map(|item| match item {
            Ok(PemItem::Certificate(c)) => Some(c),
            _ => None,
        })
        .collect()
}

/// The certificates of the PEM bundle at `path`; errors name `setting`.
fn ca_bundle(path: &std::path::Path, setting: &str) -> Result<Vec<Certificate<'static>>> {
    let certs = pem_certificates(&read_pem(path, setting)?);
    if certs.is_empty() {
        return Err(Error::config(
            setting,
            format!("{} holds no PEM certificate", path.display()),
        ));
    }
    Ok(certs)
}

/// The client certificate of the PEM file at `path`, as MLflow (requests' `cert=`) takes it:
/// the certificate, then any intermediates, and the unencrypted private key, in one file.
/// Checked here, so that a key that is missing, unsupported or not the certificate's is a
/// setting error now rather than a failed handshake (or a panic in the TLS layer) later.
pub(crate) fn client_cert(path: &std::path::Path, setting: &str) -> Result<ClientCert> {
    let pem = read_pem(path, setting)?;
    let chain = pem_certificates(&pem);
    let bad = |why: String| Error::config(setting, format!("{}: {why}", path.display()));
    if chain.is_empty() {
        return Err(bad("holds no PEM certificate (give one file with the client certificate and its private key)".into()));
    }
    let key = PrivateKey::from_pem(&pem).map_err(|_| {
        bad("holds no unencrypted PEM private key (give one file with the client certificate and its private key)".into())
    })?;
    let der = rustls::pki_types::PrivateKeyDer::try_from(key.der().to_vec())
        .map_err(|e| bad(format!("the private key cannot be read: {e}")))?;
    let provider = rustls::crypto::ring::default_provider();
    let signing = provider
        .key_provider
        .load_private_key(der)
        .map_err(|e| bad(format!("the private key cannot be used: {e}")))?;
    let certified = rustls::sign::CertifiedKey::new(
        chain
            .iter()
            .map(|c| rustls::pki_types::CertificateDer::from(c.der().to_vec()))
            .collect(),
        signing,
    );
    match certified.keys_match() {
        Ok(()) | Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::Unknown)) => {}
        Err(e) => {
            return Err(bad(format!(
                "the private key is not the certificate's: {e}"
            )))
        }
    }
    Ok(ClientCert::new_with_certs(&chain, key))
}

pub(crate) fn parse_json_response(method: Method, path: &str, bytes: &[u8]) -> Result<Value> {
    parse_answer(method, path, bytes, Value::Object(Default::default()))
}

/// Checks that a 2xx answer is a JSON object (or empty) without keeping it: what the exporter
/// does with the StartTraceV3 answer, an echo of the trace info it has no use for. An answer
/// framed as an object (`{` ... `}`) is taken as one without parsing it: the check is there to
/// name a tracking URI that is no MLflow server (an HTML login page, a proxy's text); anything
/// else is parsed, as for [`parse_json_response`].
pub(crate) fn check_json_response(method: Method, path: &str, bytes: &[u8]) -> Result<()> {
    let text = bytes.trim_ascii();
    if text.first() == Some(&b'{') && text.last() == Some(&b'}') {
        return Ok(());
    }
    parse_answer(method, path, bytes, serde::de::IgnoredAny).map(|_| ())
}

/// An answer decoded as `T`, `empty` for an empty body; not JSON is refused.
fn parse_answer<T: serde::de::DeserializeOwned>(
    method: Method,
    path: &str,
    bytes: &[u8],
    empty: T,
) -> Result<T> {
    let text = String::from_utf8_lossy(bytes);
    if text.trim().is_empty() {
        return Ok(empty);
    }
    serde_json::from_str(&text).map_err(|_| Error::Rejected {
        status: 200,
        request: format!("{} {path}", method.as_str()),
        code: None,
        message: format!(
            "the answer is not JSON (is the tracking URI an MLflow server?): {}",
            truncate(&text, 200)
        ),
    })
}

/// Maps a non-2xx answer to an error with the server's message (MLflow's `{"error_code",
/// "message"}`, FastAPI's `{"detail"}`, or the text).
pub(crate) fn classify(
    status: u16,
    request: String,
    body: &[u8],
    retry_after: Option<Duration>,
) -> Error {
    let text = String::from_utf8_lossy(body);
    let parsed: Option<Value> = serde_json::from_str(&text).ok();
    let code = parsed
        .as_ref()
        .and_then(|v| v["error_code"].as_str())
        .map(str::to_owned);
    let message = match parsed.as_ref() {
        Some(v) if v["message"].is_string() => v["message"].as_str().unwrap_or_default().to_owned(),
        Some(v) if v["detail"].is_string() => v["detail"].as_str().unwrap_or_default().to_owned(),
        Some(v) if !v["detail"].is_null() => v["detail"].to_string(),
        _ if text.trim().is_empty() => format!("HTTP {status} with no message"),
        _ => text.trim().to_owned(),
    };
    let message = truncate(&message, 1000);
    match status {
        401 | 403 => Error::Auth {
            status,
            request,
            message,
        },
        404 => Error::NotFound {
            request,
            code,
            message,
        },
        // MLflow's transient codes; a 501 (the file store has no OTLP ingestion) is final.
        408 | 429 | 500 | 502 | 503 | 504 => Error::Server {
            status,
            request,
            message,
            retry_after,
        },
        _ => Error::Rejected {
            status,
            request,
            code,
            message,
        },
    }
}

pub(crate) fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &s[..cut]),
        None => s.to_owned(),
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters (for a query value or one
/// path segment).
///
/// ```
/// assert_eq!(ferrotrace_core::export::mlflow::encode_path_segment("tr-1 a/b"), "tr-1%20a%2Fb");
/// ```
pub fn encode_path_segment(s: &str) -> String {
    encode_component(s)
}

pub(crate) fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const CERT: &str = include_str!("testdata/client-cert.pem");
    const KEY: &str = include_str!("testdata/client-key.pem");
    const OTHER_KEY: &str = include_str!("testdata/other-key.pem");

    fn cert_file(dir: &std::path::Path, name: &str, parts: &[&str]) -> std::path::PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, parts.concat()).unwrap();
        path
    }

    #[test]
    fn a_client_certificate_is_one_pem_file_with_its_key() {
        let dir = tempfile::tempdir().unwrap();
        let var = "MLFLOW_TRACKING_CLIENT_CERT_PATH";
        // Either order, as requests (OpenSSL) takes it.
        for parts in [[CERT, KEY], [KEY, CERT]] {
            let path = cert_file(dir.path(), "both.pem", &parts);
            let cert = client_cert(&path, var).unwrap();
            assert_eq!(cert.certs().len(), 1);
        }
        let http = HttpSettings {
            client_cert_path: Some(cert_file(dir.path(), "ok.pem", &[CERT, KEY])),
            ..HttpSettings::default()
        };
        assert!(tls_config(&http).unwrap().client_cert().is_some());
        assert!(tls_config(&HttpSettings::default())
            .unwrap()
            .client_cert()
            .is_none());
        // Each mistake is a setting error naming the variable and saying what is wrong.
        for (parts, why) in [
            (vec![CERT], "no unencrypted PEM private key"),
            (vec![KEY], "no PEM certificate"),
            (vec![CERT, OTHER_KEY], "not the certificate's"),
            (vec!["not a pem file"], "no PEM certificate"),
        ] {
            let path = cert_file(dir.path(), "bad.pem", &parts);
            let e = client_cert(&path, var).unwrap_err().to_string();
            assert!(e.contains(var) && e.contains(why), "{why}: {e}");
            let http = HttpSettings {
                client_cert_path: Some(path),
                ..HttpSettings::default()
            };
            assert!(tls_config(&http).unwrap_err().to_string().contains(var));
        }
        let e = client_cert(&dir.path().join("missing.pem"), var).unwrap_err();
        assert!(e.to_string().contains("cannot read"), "{e}");
    }

    fn resolve(uri: &str, config: &ureq::config::Config) -> Result<Vec<SocketAddr>, String> {
        let timeout = NextTimeout {
            after: Duration::from_secs(5).into(),
            reason: ureq::Timeout::Resolve,
            per_read: None,
            per_write: None,
        };
        CachedResolver::default()
            .resolve(&uri.parse().unwrap(), config, timeout)
            .map(|a| a.to_vec())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn addresses_are_taken_as_they_are_and_names_looked_up() {
        let any = ureq::config::Config::default();
        assert_eq!(
            resolve("http://127.0.0.1:5000/api", &any).unwrap(),
            ["127.0.0.1:5000".parse::<SocketAddr>().unwrap()]
        );
        assert_eq!(
            resolve("https://[::1]/", &any).unwrap(),
            ["[::1]:443".parse::<SocketAddr>().unwrap()]
        );
        let v6 = ureq::config::Config::builder()
            .ip_family(ureq::config::IpFamily::Ipv6Only)
            .build();
        assert!(resolve("http://127.0.0.1/", &v6).is_err());
        let local = resolve("http://localhost:8/", &any).unwrap();
        assert!(
            local.iter().all(|a| a.port() == 8 && a.ip().is_loopback()),
            "{local:?}"
        );
    }
}
