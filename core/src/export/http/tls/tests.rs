use super::*;

const CERT: &str = include_str!("../../mlflow/testdata/client-cert.pem");
const KEY: &str = include_str!("../../mlflow/testdata/client-key.pem");
const OTHER_KEY: &str = include_str!("../../mlflow/testdata/other-key.pem");

fn cert_file(dir: &Path, name: &str, parts: &[&str]) -> std::path::PathBuf {
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
        assert_eq!(cert.chain.len(), 1);
    }
    let http = HttpSettings {
        client_cert_path: Some(cert_file(dir.path(), "ok.pem", &[CERT, KEY])),
        ..HttpSettings::default()
    };
    assert!(mlflow_tls(&http)
        .unwrap()
        .client_auth_cert_resolver
        .has_certs());
    assert!(!mlflow_tls(&HttpSettings::default())
        .unwrap()
        .client_auth_cert_resolver
        .has_certs());
    // Each mistake is a setting error naming the variable and saying what is wrong.
    for (parts, why) in [
        (vec![CERT], "no unencrypted PEM private key"),
        (vec![KEY], "no PEM certificate"),
        (vec![CERT, OTHER_KEY], "not the certificate's"),
        (vec!["not a pem file"], "no PEM certificate"),
    ] {
        let path = cert_file(dir.path(), "bad.pem", &parts);
        let e = client_cert(&path, var).err().unwrap().to_string();
        assert!(e.contains(var) && e.contains(why), "{why}: {e}");
        let http = HttpSettings {
            client_cert_path: Some(path),
            ..HttpSettings::default()
        };
        assert!(mlflow_tls(&http).unwrap_err().to_string().contains(var));
    }
    let e = client_cert(&dir.path().join("missing.pem"), var)
        .err()
        .unwrap();
    assert!(e.to_string().contains("cannot read"), "{e}");
}
