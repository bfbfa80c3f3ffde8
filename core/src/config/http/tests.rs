use super::*;
use std::collections::HashMap;

fn read(pairs: &[(&str, &str)]) -> (HttpSettings, Vec<String>) {
    let m: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let mut w = Vec::new();
    (HttpSettings::from_lookup(&|k| m.get(k).cloned(), &mut w), w)
}

#[test]
fn env_values_are_read_and_bad_ones_warn() {
    let (h, w) = read(&[
        ("MLFLOW_TRACKING_USERNAME", "alice"),
        ("MLFLOW_TRACKING_PASSWORD", "pw"),
        ("MLFLOW_TRACKING_TOKEN", "tok"),
        ("MLFLOW_TRACKING_INSECURE_TLS", "True"),
        ("MLFLOW_HTTP_REQUEST_TIMEOUT", "7"),
    ]);
    assert!(w.is_empty());
    assert_eq!(h.username.unwrap().expose(), "alice");
    assert!(h.insecure_tls);
    assert_eq!(h.request_timeout, Duration::from_secs(7));
    let (h, w) = read(&[
        ("MLFLOW_HTTP_REQUEST_TIMEOUT", "-1"),
        ("MLFLOW_TRACKING_INSECURE_TLS", "maybe"),
    ]);
    assert_eq!(h.request_timeout, DEFAULT_HTTP_TIMEOUT);
    assert_eq!(w.len(), 2);
    assert!(
        w[0].contains("MLFLOW_TRACKING_INSECURE_TLS")
            && w[1].contains("MLFLOW_HTTP_REQUEST_TIMEOUT")
    );
}

#[test]
fn credentials_file_is_read_and_env_overrides_it() {
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join(".mlflow")).unwrap();
    std::fs::write(
        home.path().join(".mlflow/credentials"),
        "[other]\nmlflow_tracking_username = nope\n[mlflow]\nmlflow_tracking_username = fileuser\nmlflow_tracking_password = filepw\n",
    )
    .unwrap();
    let home = home.path().to_str().unwrap();
    let (h, _) = read(&[("HOME", home)]);
    assert_eq!(h.username.unwrap().expose(), "fileuser");
    assert_eq!(h.password.unwrap().expose(), "filepw");
    let (h, _) = read(&[("HOME", home), ("MLFLOW_TRACKING_PASSWORD", "envpw")]);
    assert_eq!(h.username.unwrap().expose(), "fileuser");
    assert_eq!(h.password.unwrap().expose(), "envpw");
}

#[test]
fn debug_never_shows_secrets() {
    let (h, _) = read(&[
        ("MLFLOW_TRACKING_PASSWORD", "s3cr3t-pw"),
        ("MLFLOW_TRACKING_TOKEN", "s3cr3t-tok"),
    ]);
    let dbg = format!("{h:?}");
    assert!(!dbg.contains("s3cr3t"), "{dbg}");
}

#[test]
fn userinfo_is_split_out() {
    assert_eq!(split_userinfo("http://h:5000").0, "http://h:5000");
    assert!(split_userinfo("http://h:5000/a@b").1.is_none());
    let (uri, creds) = split_userinfo("http://bob@h");
    assert_eq!(uri, "http://h");
    let (u, p) = creds.unwrap();
    assert_eq!(u.expose(), "bob");
    assert!(p.is_none());
    assert_eq!(percent_decode("a%2"), "a%2");
}

#[test]
fn config_moves_uri_credentials_out_and_keeps_explicit_ones() {
    use crate::config::{Config, ConfigUpdate, NameStyle};
    let m: HashMap<&str, &str> = [("MLFLOW_TRACKING_URI", "https://bob:s3cr3t@h:5000/")].into();
    let (c, w) = Config::from_lookup(|k| m.get(k).map(|v| v.to_string()));
    assert!(w.is_empty());
    assert_eq!(c.tracking_uri.as_deref(), Some("https://h:5000"));
    assert_eq!(c.http.password.as_ref().unwrap().expose(), "s3cr3t");
    assert!(!format!("{c:?}").contains("s3cr3t"));
    let mut c = Config::default();
    c.http.username = Some(Secret::new("env-user"));
    let u = ConfigUpdate {
        tracking_uri: Some("http://x:y@h".into()),
        ..Default::default()
    };
    c.apply(u, NameStyle::Snake).unwrap();
    assert_eq!(c.tracking_uri.as_deref(), Some("http://h"));
    assert_eq!(c.http.username.unwrap().expose(), "env-user");
}

#[test]
fn the_last_experiment_set_wins_and_both_at_once_is_an_error() {
    use crate::config::{Config, ConfigUpdate, NameStyle};
    let mut c = Config {
        experiment_id: Some("3".into()),
        ..Config::default()
    };
    let name = ConfigUpdate {
        experiment_name: Some("exp".into()),
        ..Default::default()
    };
    c.apply(name, NameStyle::Snake).unwrap();
    assert_eq!(
        (c.experiment_id.as_deref(), c.experiment_name.as_deref()),
        (None, Some("exp"))
    );
    let id = ConfigUpdate {
        experiment_id: Some(" 4 ".into()),
        ..Default::default()
    };
    c.apply(id, NameStyle::Snake).unwrap();
    assert_eq!(
        (c.experiment_id.as_deref(), c.experiment_name.as_deref()),
        (Some("4"), None)
    );
    let both = ConfigUpdate {
        experiment_id: Some("4".into()),
        experiment_name: Some("e".into()),
        ..Default::default()
    };
    let e = c.apply(both, NameStyle::Camel).unwrap_err().to_string();
    assert!(
        e.contains("experimentId") && e.contains("experimentName"),
        "{e}"
    );
    let empty = ConfigUpdate {
        experiment_name: Some(" ".into()),
        ..Default::default()
    };
    assert!(c
        .apply(empty, NameStyle::Snake)
        .unwrap_err()
        .to_string()
        .contains("experiment_name"));
}
