//! The TLS configuration the HTTP clients are given: rustls with the ring provider, the
//! platform's verifier or only the CA certificates of a bundle, and a client certificate checked
//! before use. Built when the client is, so a bad file is a setting error naming the variable.

use std::path::Path;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use crate::config::HttpSettings;
use crate::error::{Error, Result};

/// The TLS of an MLflow client: `MLFLOW_TRACKING_SERVER_CERT_PATH` (or the platform's roots),
/// `MLFLOW_TRACKING_INSECURE_TLS`, `MLFLOW_TRACKING_CLIENT_CERT_PATH`.
pub(crate) fn mlflow_tls(http: &HttpSettings) -> Result<ClientConfig> {
    let verifier: Arc<dyn ServerCertVerifier> = if http.insecure_tls {
        Arc::new(AcceptAnyCertificate(provider()))
    } else {
        match &http.server_cert_path {
            None => platform_verifier()?,
            Some(path) => bundle_verifier(path, "MLFLOW_TRACKING_SERVER_CERT_PATH")?,
        }
    };
    let client_cert = match &http.client_cert_path {
        Some(path) => Some(client_cert(path, "MLFLOW_TRACKING_CLIENT_CERT_PATH")?),
        None => None,
    };
    finish(verifier, client_cert, "MLFLOW_TRACKING_CLIENT_CERT_PATH")
}

/// The platform's roots, or only the CA certificates of the PEM bundle at `path` (errors name
/// `setting`).
pub(crate) fn roots_tls(path: Option<&Path>, setting: &str) -> Result<ClientConfig> {
    let verifier = match path {
        None => platform_verifier()?,
        Some(path) => bundle_verifier(path, setting)?,
    };
    finish(verifier, None, setting)
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn finish(
    verifier: Arc<dyn ServerCertVerifier>,
    client_cert: Option<ClientCert>,
    setting: &str,
) -> Result<ClientConfig> {
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::config(setting, format!("TLS setup failed: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    match client_cert {
        None => Ok(builder.with_no_client_auth()),
        Some(c) => builder.with_client_auth_cert(c.chain, c.key).map_err(|e| {
            Error::config(
                setting,
                format!("the client certificate cannot be used: {e}"),
            )
        }),
    }
}

fn platform_verifier() -> Result<Arc<dyn ServerCertVerifier>> {
    // The system's roots are read at the first handshake, not here.
    rustls_platform_verifier::Verifier::new(provider())
        .map(|v| Arc::new(v) as Arc<dyn ServerCertVerifier>)
        .map_err(|e| Error::InvalidArgument(format!("the platform's TLS verifier: {e}")))
}

fn bundle_verifier(path: &Path, setting: &str) -> Result<Arc<dyn ServerCertVerifier>> {
    let mut roots = RootCertStore::empty();
    for cert in ca_bundle(path, setting)? {
        roots
            .add(cert)
            .map_err(|e| Error::config(setting, format!("{}: {e}", path.display())))?;
    }
    rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider())
        .build()
        .map(|v| v as Arc<dyn ServerCertVerifier>)
        .map_err(|e| Error::config(setting, format!("{}: {e}", path.display())))
}

/// `MLFLOW_TRACKING_INSECURE_TLS`: any certificate is taken (the handshake's signatures are
/// still checked, so the connection is encrypted to whoever holds the key it shows).
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

fn read_pem(path: &Path, setting: &str) -> Result<Vec<u8>> {
    std::fs::read(path)
        .map_err(|e| Error::config(setting, format!("cannot read {}: {e}", path.display())))
}

fn pem_certificates(pem: &[u8]) -> Vec<CertificateDer<'static>> {
    CertificateDer::pem_slice_iter(pem)
        .filter_map(|c| c.ok())
        .collect()
}

/// The certificates of the PEM bundle at `path`; errors name `setting`.
fn ca_bundle(path: &Path, setting: &str) -> Result<Vec<CertificateDer<'static>>> {
    let certs = pem_certificates(&read_pem(path, setting)?);
    if certs.is_empty() {
        return Err(Error::config(
            setting,
            format!("{} holds no PEM certificate", path.display()),
        ));
    }
    Ok(certs)
}

/// A client certificate chain and its key.
pub(crate) struct ClientCert {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

/// The client certificate of the PEM file at `path`, as MLflow (requests' `cert=`) takes it:
/// the certificate, then any intermediates, and the unencrypted private key, in one file.
/// Checked here, so that a key that is missing, unsupported or not the certificate's is a
/// setting error now rather than a failed handshake (or a panic in the TLS layer) later.
pub(crate) fn client_cert(path: &Path, setting: &str) -> Result<ClientCert> {
    let pem = read_pem(path, setting)?;
    let chain = pem_certificates(&pem);
    let bad = |why: String| Error::config(setting, format!("{}: {why}", path.display()));
    if chain.is_empty() {
        return Err(bad("holds no PEM certificate (give one file with the client certificate and its private key)".into()));
    }
    let key = PrivateKeyDer::from_pem_slice(&pem).map_err(|_| {
        bad("holds no unencrypted PEM private key (give one file with the client certificate and its private key)".into())
    })?;
    let signing = provider()
        .key_provider
        .load_private_key(key.clone_key())
        .map_err(|e| bad(format!("the private key cannot be used: {e}")))?;
    let certified = rustls::sign::CertifiedKey::new(chain.clone(), signing);
    match certified.keys_match() {
        Ok(()) | Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::Unknown)) => {}
        Err(e) => {
            return Err(bad(format!(
                "the private key is not the certificate's: {e}"
            )))
        }
    }
    Ok(ClientCert { chain, key })
}

#[cfg(test)]
mod tests;
